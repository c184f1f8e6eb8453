#!/usr/bin/env bash
# Tuner convergence benchmark: throughput per generation as a table and a PNG plot, with the
# best static configuration of a grid sweep as a horizontal line. A benchmark, not a test: it
# prints, it never asserts.
#
#   convergence_bench.sh --sim lossy|three [--change-at T] [--seconds S] [--seed N] [--out DIR]
#       the real tuner against the synthetic path model (tests/tuner/path_model.hpp), virtual
#       time; needs the tuner_sim target built (cmake --build BUILD --target tuner_sim).
#   convergence_bench.sh --loopback [--seconds S] [--seed N] [--out DIR]
#       the real binary on 127.0.0.1: a grid sweep of static configurations (--no-tune), then a
#       tuned transfer that starts from a poor profile (1 leg, 16 KiB frames).
#
# Environment: BUILD (build directory, default build), VMP_BIN (default $BUILD/viamillipede).
# Needs jq and gnuplot. Output: DIR/convergence.tsv, DIR/convergence.png, DIR/tune.jsonl.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD:-$root/build}
mode="" path="" change_at="" seconds=60 seed=1 out=""
while (($#)); do
  case $1 in
    --sim) mode=sim path=$2; shift 2 ;;
    --loopback) mode=loopback; shift ;;
    --change-at) change_at=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "convergence_bench.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[[ -n $mode ]] || { sed -n '2,16p' "$0" >&2; exit 2; }
for tool in jq gnuplot; do
  command -v $tool >/dev/null || { echo "convergence_bench.sh: needs $tool" >&2; exit 1; }
done
out=${out:-$(mktemp -d /tmp/vmp-convergence.XXXXXX)}
mkdir -p "$out"
log=$out/tune.jsonl
optimum="" optimum_after="" title=""

if [[ $mode == sim ]]; then
  sim=$build/tests/tuner/tuner_sim
  [[ -x $sim ]] || { echo "convergence_bench.sh: build tuner_sim first ($sim)" >&2; exit 1; }
  args=(--path "$path" --seed "$seed" --seconds "$seconds" --log "$log")
  [[ -n $change_at ]] && args+=(--change-at "$change_at")
  result=$("$sim" "${args[@]}")
  optimum=$(awk '/^grid_optimum_bytes_per_second/ {print $2}' <<<"$result")
  optimum_after=$(awk '/^grid_optimum_after_change/ {print $2}' <<<"$result")
  title="tuner on synthetic path '$path' (virtual time, seed $seed)"
else
  bin=${VMP_BIN:-$build/viamillipede}
  [[ -x $bin ]] || { echo "convergence_bench.sh: no binary at $bin (set VMP_BIN)" >&2; exit 1; }
  port=$((20000 + RANDOM % 20000))
  # One transfer of `secs` seconds of zeros; prints bytes/s as the receiver counted them.
  transfer() {
    local secs=$1; shift
    local count=$out/rx.count
    # Bounded: a transfer that hangs costs this point, not the whole benchmark.
    timeout $((secs + 20)) "$bin" rx "$port" | wc -c >"$count" &
    local rx=$!
    sleep 0.3
    local start end
    start=$(date +%s.%N)
    timeout "$secs" cat /dev/zero | timeout $((secs + 15)) "$bin" tx 127.0.0.1 "$port" "$@" || true
    end=$(date +%s.%N)
    wait "$rx" || true
    awk -v b="$(cat "$count")" -v s="$start" -v e="$end" 'BEGIN {printf "%.0f\n", b / (e - s)}'
  }
  echo "grid sweep (static configurations, 5 s each):" >&2
  best=0
  for legs in 1 2 4 8 16; do
    for frame in 64K 1M 4M; do
      rate=$(transfer 5 --no-tune --threads "$legs" --frame-size "$frame")
      printf '  legs %-3s frame %-4s %10.1f MB/s\n' "$legs" "$frame" "$(awk -v r="$rate" 'BEGIN {print r / 1e6}')" >&2
      ((rate > best)) && best=$rate
    done
  done
  optimum=$best
  profile=$out/poor-profile.json
  cat >"$profile" <<JSON
{"format":"viamillipede-tuner-profile","version":1,"link_count":1,"fitness":0,
 "knobs":{"legs":1,"legs_per_link_max":64,"frame_bytes":16384,"window_bytes":4194304,
          "sndbuf_bytes":0,"rcvbuf_bytes":0,"congestion":"","link_weights":[]}}
JSON
  transfer "$seconds" --tune-seed "$seed" --tune-log "$log" --tune-profile "$profile" >/dev/null
  title="tuner on loopback, from 1 leg / 16 KiB frames (seed $seed)"
fi

# Per generation: when it ended, what the transfer got during it (goodput averaged over every
# experiment, i.e. including the cost of exploring), what the incumbent ran at, the best.
jq -r '[.generation, .time_seconds,
        ([.evaluations[] | .goodput * .seconds] | add) / ([.evaluations[] | .seconds] | add + 1e-9),
        (.evaluations | last | .goodput),
        .best.fitness, .best.knobs.legs, .best.knobs.frame_bytes, .reexplored] | @tsv' "$log" \
  >"$out/convergence.tsv"

printf '%4s %8s %12s %12s %12s %5s %9s %s\n' gen time_s transfer_MB/s incumbent_MB/s \
  best_fitness legs frame reexplored
awk -F'\t' '{printf "%4d %8.1f %12.2f %12.2f %12.2f %5d %9d %s\n", $1, $2, $3 / 1e6, $4 / 1e6, $5 / 1e6, $6, $7, $8}' \
  "$out/convergence.tsv"
printf 'grid-sweep optimum: %.2f MB/s' "$(awk -v r="$optimum" 'BEGIN {print r / 1e6}')"
[[ -n $optimum_after ]] && printf ', after the change at %s s: %.2f MB/s' "$change_at" \
  "$(awk -v r="$optimum_after" 'BEGIN {print r / 1e6}')"
printf '\n'

opt_line="$optimum / 1e6"
[[ -n $optimum_after ]] && opt_line="(x < $change_at ? $optimum : $optimum_after) / 1e6"
gnuplot <<GP
set terminal pngcairo size 900,500
set output '$out/convergence.png'
set title "$title"
set xlabel 'time (s)'
set ylabel 'goodput (MB/s)'
set key bottom right
set yrange [0:*]
set grid
plot '$out/convergence.tsv' using 2:(\$3/1e6) with linespoints title 'transfer (incl. exploring)', \
     '$out/convergence.tsv' using 2:(\$4/1e6) with linespoints title 'incumbent', \
     $opt_line with lines dt 2 lw 2 title 'grid-sweep optimum', \
     0.9 * $opt_line with lines dt 3 title '90% of optimum'
GP
echo "plot: $out/convergence.png" >&2
