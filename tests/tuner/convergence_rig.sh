#!/usr/bin/env bash
# Tuner convergence on the network rig (issue 5): a benchmark, it prints and plots.
#   (a) grid sweep of static configurations (--no-tune): legs {1,4,8,16} x congestion
#       {cubic,bbr} x frame {64K,1M}, GRID_SECONDS each (goodput from second 2 on) -> best;
#   (b) a tuned transfer of TUNE_SECONDS from a poor --tune-profile (1 leg, 16 KiB frames,
#       cubic; not pinned), with --tune-log, receiver-side throughput sampled every second.
# Prints the per-second table (second, Mbit/s, trailing 5 s mean, generation, tuner's
# best-so-far, grid optimum), the time to 90% of the optimum, and draws a PNG (throughput vs
# time, lines at the grid optimum and at 90% of it).
# Throughput is counted at the receiver host (tests/rig/tuner_lib.sh explains how and why).
#
# Usage (as root): convergence_rig.sh VIAMILLIPEDE VMP-LINKEMU [lossy|three ...] 
#   scenarios: lossy = 100 Mbit/s, 40 ms, 1%;  three = 100,60,30 Mbit/s at 20 ms (default both)
# Environment: OUT (output directory, default tests/tuner/out), GRID_SECONDS (8),
# TUNE_SECONDS (60), TUNE_SEED, GRID ("legs cc frame" lines to replace the default grid).
# Output per scenario: OUT/convergence-SCEN.tsv, .png, grid-SCEN.tsv, tune-SCEN.jsonl.
# Exit 0 done, 2 usage, 77 skipped (not root, tool missing). Needs gnuplot, jq, pv.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../rig/tuner_lib.sh"
(($# >= 2)) || { sed -n '2,21p' "$0" >&2; exit 2; }
tl_init "$1" "$2"
shift 2
require_tools gnuplot
SCENARIOS=("$@")
((${#SCENARIOS[@]})) || SCENARIOS=(lossy three)
OUT=${OUT:-$here/out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
GRID_SECONDS=${GRID_SECONDS:-8}
TUNE_SECONDS=${TUNE_SECONDS:-60}
if [[ -n ${GRID:-} ]]; then
  mapfile -t grid <<<"$GRID"
else
  grid=()
  for legs in 1 4 8 16; do for cc in cubic bbr; do for frame in 64K 1M; do
    grid+=("$legs $cc $frame")
  done; done; done
fi
seed_args=()
[[ -n ${TUNE_SEED:-} ]] && seed_args=(--tune-seed "$TUNE_SEED")

summary=()
for scen in "${SCENARIOS[@]}"; do
  case $scen in
    lossy) rig_up --path 100,40,1; links=1; title="lossy path 100 Mbit/s, 40 ms, 1% loss" ;;
    three) rig_up --path 100,20,0 --path 60,20,0 --path 30,20,0; links=3
           title="three paths 100/60/30 Mbit/s, 20 ms" ;;
    *) echo "convergence_rig.sh: unknown scenario '$scen'" >&2; exit 2 ;;
  esac
  targets=$(tl_targets "$links")
  TL_GRID_TSV=$OUT/grid-$scen.tsv
  : >"$TL_GRID_TSV"
  tl_grid "$scen" "$GRID_SECONDS" "$targets" "${grid[@]}"
  opt=$TL_GRID_BEST
  best_cfg=$TL_GRID_BEST_CFG
  unset TL_GRID_TSV

  tl_poor_profile "$RIG_WORK/profile.json" "$links"
  tl_run "$TUNE_SECONDS" "$RIG_WORK/tuned.samples" "$targets" --tune-profile "$RIG_WORK/profile.json" \
    --tune-log "$OUT/tune-$scen.jsonl" "${seed_args[@]}"
  tl_table "$RIG_WORK/tuned.samples" "$OUT/tune-$scen.jsonl" "$opt" >"$OUT/convergence-$scen.tsv"
  t90=$(tl_t90 "$OUT/convergence-$scen.tsv" 0)

  echo "## $scen: $title"
  echo
  echo "Grid sweep (static, --no-tune, ${GRID_SECONDS} s each, Mbit/s from second 2):"
  echo
  echo "| legs | cc | frame | Mbit/s |"
  echo "| ---: | --- | --- | ---: |"
  awk -F'\t' '{ printf "| %s | %s | %s | %s |\n", $2, $3, $4, $5 }' "$OUT/grid-$scen.tsv"
  echo
  echo "Grid optimum: $opt Mbit/s ($best_cfg). Tuned run from 1 leg / 16 KiB / cubic, ${TUNE_SECONDS} s:"
  echo
  echo '```'
  tl_print_table "$OUT/convergence-$scen.tsv"
  echo '```'
  echo
  echo "Time to 90% of the grid optimum (trailing 5 s mean): $t90 s"
  echo "Generations (tune log): $(jq -r '"gen \(.generation) at \(.time_seconds|floor) s: best legs=\(.best.knobs.legs) frame=\(.best.knobs.frame_bytes) cc=\(.best.knobs.congestion) fitness=\(.best.fitness*8/1e6|floor) Mbit/s"' "$OUT/tune-$scen.jsonl" 2>/dev/null | paste -sd ';' | sed 's/;/; /g')"
  echo
  summary+=("$scen: grid optimum $opt Mbit/s ($best_cfg), time to 90%: $t90 s")

  gnuplot <<GP
set terminal pngcairo size 900,500
set output '$OUT/convergence-$scen.png'
set title "viamillipede tuner on the rig: $title\nfrom 1 leg / 16 KiB frames / cubic; receiver-side throughput"
set xlabel 'time since start (s)'
set ylabel 'Mbit/s'
set key below
set yrange [0:*]
set grid
plot '$OUT/convergence-$scen.tsv' using 1:2 with lines lc rgb '#999999' title 'per second', \
     '$OUT/convergence-$scen.tsv' using 1:3 with linespoints pt 7 ps 0.5 lc rgb '#1f77b4' title '5 s mean', \
     $opt with lines dt 2 lw 2 lc rgb '#d62728' title 'grid-sweep optimum ($opt)', \
     0.9 * $opt with lines dt 3 lw 1 lc rgb '#ff7f0e' title '90% of optimum'
GP
  log "plot: $OUT/convergence-$scen.png"
done
printf '%s\n' "${summary[@]}"
