#!/usr/bin/env bash
# The whole test suite, as CI runs it: install dependencies, build, run every test; then build
# again under AddressSanitizer + UndefinedBehaviorSanitizer and run the suite there too.
#   scripts/test.sh            everything (network rig tests need root; they skip otherwise)
#   SKIP_DEPS=1 scripts/test.sh    do not apt-get install
#   SKIP_ASAN=1 scripts/test.sh    only the normal build
#   SKIP_FUZZ=1 scripts/test.sh    no fuzzing; FUZZ_SECONDS=N fuzzes each target N s (default 30)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

if [ -z "${SKIP_DEPS:-}" ]; then scripts/install-deps.sh; fi

echo "== build (RelWithDebInfo)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"

echo "== tests (normal build)"
# The unit tests (simulated time, no sockets shared) run in parallel; the integration and rig
# tests one at a time: they measure throughput and own network namespaces.
ctest --test-dir build --output-on-failure --timeout 900 -L unit -j"$jobs"
ctest --test-dir build --output-on-failure --timeout 900 -LE unit

if [ -z "${SKIP_ASAN:-}" ]; then
  echo "== build (ASan + UBSan)"
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DVMP_SANITIZE=ON >/dev/null
  cmake --build build-asan -j"$jobs"
  echo "== tests (ASan + UBSan)"
  # Same suite; big streams are shrunk because sanitized code runs several times slower.
  # The emulated-WAN rig tests are left to the normal build: under ASan they would measure the
  # sanitizer, not the network, and double the CI time.
  export VMP_BIG_BYTES=$((64 * 1024 * 1024)) VMP_HUGE_BYTES=$((512 * 1024 * 1024))
  export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  ctest --test-dir build-asan --output-on-failure --timeout 900 -L unit -j"$jobs"
  ctest --test-dir build-asan --output-on-failure --timeout 900 -LE 'unit|rig|prometheus'
fi
if [ -z "${SKIP_FUZZ:-}" ]; then
  echo "== fuzz (libFuzzer, clang; each target ${FUZZ_SECONDS:-30} s)"
  tests/fuzz/run.sh "${FUZZ_SECONDS:-30}"
fi
echo "== all tests passed"
