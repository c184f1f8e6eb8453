#!/usr/bin/env bash
# Builds the libFuzzer targets (clang) and runs each for a while on a copy of its seed corpus.
#
#   tests/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     # default: 60 s, every target
#
# Prints one line per target and exits non-zero when a target crashed (or hung), giving the
# reproducer and the log. The repository's corpus is never written to. See README.md.
# Environment: CXX (default clang++), JOBS (build parallelism, default 2),
# FUZZ_BUILD_DIR (default build-fuzz in the repository root), FUZZ_KEEP=1 keeps the work dir,
# FUZZ_BUILD_ONLY=1 builds and stops.
set -euo pipefail

seconds="${1:-60}"
shift || true
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: $0 [SECONDS_PER_TARGET] [TARGET...]" >&2
  exit 2
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${FUZZ_BUILD_DIR:-$root/build-fuzz}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_wire fuzz_reassembler fuzz_receiver)

start=$(date +%s)
echo "fuzz: building in $build"
mkdir -p "$build"
if ! { cmake -S "$here" -B "$build" -DCMAKE_CXX_COMPILER="${CXX:-clang++}" >"$build/fuzz-configure.log" 2>&1 &&
       cmake --build "$build" -j "${JOBS:-2}" >"$build/fuzz-build.log" 2>&1; }; then
  echo "fuzz: build failed; see $build/fuzz-configure.log and $build/fuzz-build.log" >&2
  tail -n 30 "$build/fuzz-build.log" >&2 2>/dev/null || tail -n 30 "$build/fuzz-configure.log" >&2
  exit 2
fi
echo "fuzz: built in $(( $(date +%s) - start )) s"
# FUZZ_BUILD_ONLY=1: stop here (scripts/test.sh builds ahead, while other tests run).
if [ -n "${FUZZ_BUILD_ONLY:-}" ]; then exit 0; fi

# UBSan findings abort (-fno-sanitize-recover); make them print where they happened.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"

work="$(mktemp -d "${TMPDIR:-/tmp}/vmp-fuzz.XXXXXX")"
failed=0
for target in "${targets[@]}"; do
  exe="$build/$target"
  if [ ! -x "$exe" ]; then
    echo "$target: no such target" >&2
    failed=1
    continue
  fi
  corpus="$work/$target/corpus"
  artifacts="$work/$target/artifacts"
  log="$work/$target/log"
  mkdir -p "$corpus" "$artifacts"
  if [ -d "$here/corpus/$target" ]; then cp "$here/corpus/$target/"* "$corpus/"; fi

  # One fuzzing process at a time (-jobs/-workers left at 1): the machine is shared.
  # -timeout: an input that takes this long is a hang (e.g. a receiver that never returns).
  # The outer timeout catches a process that does not exit after max_total_time.
  dict=()
  if [ -f "$here/$target.dict" ]; then dict=(-dict="$here/$target.dict"); fi
  rc=0
  timeout --kill-after=10 $((seconds + 120)) \
    "$exe" -max_total_time="$seconds" -timeout=30 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "${dict[@]}" "$corpus" >"$log" 2>&1 || rc=$?

  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2)
  repro=$(sed -n "s/.*Test unit written to //p" "$log" | tail -n 1)
  if [ "$rc" -eq 0 ] && [ -z "$repro" ]; then
    result=ok
  elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    result="HUNG (did not exit; killed)"
    failed=1
  else
    kind=$(grep -m1 -Eo 'ERROR: (AddressSanitizer|UndefinedBehaviorSanitizer|LeakSanitizer|libFuzzer): [a-z -]+' "$log" ||
           grep -m1 -Eo 'runtime error: .*' "$log" || echo "exit $rc")
    result="CRASH: $kind"
    failed=1
  fi
  printf '%-18s %10s execs %8s exec/s  cov %-6s %s\n' "$target" "${execs:-?}" "${rate:-?}" \
    "${cov:-?}" "$result"
  if [ "$result" != ok ]; then
    [ -n "$repro" ] && echo "  reproducer: $repro"
    echo "  log:        $log"
    echo "  reproduce:  $exe $repro"
  fi
done

if [ "$failed" -eq 0 ] && [ -z "${FUZZ_KEEP:-}" ]; then
  rm -rf "$work"
else
  echo "fuzz: work dir kept: $work"
fi
echo "fuzz: total $(( $(date +%s) - start )) s"
exit "$failed"
