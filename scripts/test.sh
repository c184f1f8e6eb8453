#!/usr/bin/env bash
# The whole test suite, as CI runs it: install dependencies, build, run every test; meanwhile
# build again under AddressSanitizer + UndefinedBehaviorSanitizer (and the fuzz targets), at
# idle priority; then run the suite under the sanitizers too, and fuzz each target briefly.
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

# The sanitizer and fuzz builds run meanwhile, at idle priority (see background-builds.sh);
# their output goes to build-background.log and is shown when they are waited for. setsid: a
# process group of their own, ended with this script.
setsid scripts/background-builds.sh "$jobs" >build-background.log 2>&1 &
bg_pid=$!
trap 'kill -- -"$bg_pid" 2>/dev/null || true' EXIT
echo "== sanitizer and fuzz builds started in the background (build-background.log)"

echo "== tests (normal build)"
# The unit tests (simulated time, no sockets shared) run in parallel; the integration and rig
# tests one at a time: they measure throughput and own network namespaces.
ctest --test-dir build --output-on-failure --timeout 900 -L unit -j"$jobs"
ctest --test-dir build --output-on-failure --timeout 900 -LE unit

bg_rc=0
wait "$bg_pid" || bg_rc=$?
cat build-background.log
if [ "$bg_rc" -ne 0 ]; then
  echo "the sanitizer or fuzz build failed (exit $bg_rc); its output is above" >&2
  exit 1
fi

if [ -z "${SKIP_ASAN:-}" ]; then
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
