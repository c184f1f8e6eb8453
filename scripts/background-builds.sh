#!/usr/bin/env bash
# The sanitizer build and the fuzz targets' build, for scripts/test.sh, which starts this while
# the normal build's tests run. Those tests spend most of their time waiting (on loopback, on
# emulated 20-100 Mbit/s links, on timeouts), and these builds are ~10 min of CPU on 2 cores:
# at SCHED_IDLE they take only the CPU time the tests leave idle (a test's process that wakes
# preempts them at once), so the tests measure what they measured before and CI is shorter.
#   scripts/background-builds.sh JOBS     (honours SKIP_ASAN and SKIP_FUZZ as test.sh does)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-$(nproc)}

# SCHED_IDLE for this shell and everything it starts; nice 19 where that is refused.
chrt --idle -p 0 $$ >/dev/null 2>&1 || renice -n 19 -p $$ >/dev/null

if [ -z "${SKIP_ASAN:-}" ]; then
  echo "== build (ASan + UBSan)"
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DVMP_SANITIZE=ON >/dev/null
  cmake --build build-asan -j"$jobs"
fi
if [ -z "${SKIP_FUZZ:-}" ]; then
  echo "== build (fuzz targets)"
  FUZZ_BUILD_ONLY=1 JOBS="$jobs" tests/fuzz/run.sh
fi
echo "== background builds done"
