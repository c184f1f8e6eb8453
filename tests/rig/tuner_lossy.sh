#!/usr/bin/env bash
# Tuner rig test (issue 5): starting from a poor configuration (a --tune-profile holding 1 leg,
# 16 KiB frames, cubic -- not pinned, so every knob stays a gene), the tuned transfer must
# reach 90% of the best static configuration of a grid sweep within 30 s.
#   lossy: one path, 100 Mbit/s, 40 ms RTT, 1% loss each way        (default)
#   three: three paths, 100/60/30 Mbit/s, 20 ms RTT
# The grid (--no-tune, 8 s each, goodput from second 2 on) is measured in the test, on the same
# rig, just before the tuned run. Throughput is the payload arriving at the receiver host,
# each second (tuner_lib.sh says why not stdout, which is printed as a cross-check);
# "reached" = the trailing 5-second mean is >= 90% of the grid optimum.
# Usage: tuner_lossy.sh VIAMILLIPEDE VMP-LINKEMU [lossy|three]   (exit 0 pass, 1 fail, 77 skip)
# Environment: TUNE_SECONDS (tuned run, default 40), GRID_SECONDS (default 8), TUNE_SEED.
set -euo pipefail
source "$(dirname "$0")/tuner_lib.sh"
SCENARIO=${3:-lossy}
tl_init "$1" "$2"
TUNE_SECONDS=${TUNE_SECONDS:-40}
GRID_SECONDS=${GRID_SECONDS:-8}
LIMIT=30

case $SCENARIO in
  lossy)
    rig_up --path 100,40,1
    links=1
    # A small grid: legs at 1 MiB frames and one small frame (the bench shows frame size does
    # not matter at these rates). No cubic: at 1% loss 16 cubic legs reach about half of bbr's
    # rate (45-52 of 95 Mbit/s in every recorded round), so they never set the optimum.
    grid=("4 bbr 1M" "16 bbr 1M" "4 bbr 64K")
    ;;
  three)
    rig_up --path 100,20,0 --path 60,20,0 --path 30,20,0
    links=3
    grid=("4 bbr 1M" "8 bbr 1M" "8 cubic 1M" "16 cubic 1M")
    ;;
  *) echo "tuner_lossy.sh: scenario lossy|three" >&2; exit 2 ;;
esac
targets=$(tl_targets "$links")

tl_grid "$SCENARIO" "$GRID_SECONDS" "$targets" "${grid[@]}"
opt=$TL_GRID_BEST
log "grid optimum: $opt Mbit/s ($TL_GRID_BEST_CFG)"

tl_poor_profile "$RIG_WORK/profile.json" "$links"
seed_args=()
[[ -n ${TUNE_SEED:-} ]] && seed_args=(--tune-seed "$TUNE_SEED")
tl_run "$TUNE_SECONDS" "$RIG_WORK/tuned.samples" "$targets" --tune-profile "$RIG_WORK/profile.json" \
  --tune-log "$RIG_WORK/tune.jsonl" "${seed_args[@]}"
tl_table "$RIG_WORK/tuned.samples" "$RIG_WORK/tune.jsonl" "$opt" >"$RIG_WORK/table.tsv"
tl_print_tunelog "$RIG_WORK/tune.jsonl"
tl_print_table "$RIG_WORK/table.tsv"
t90=$(tl_t90 "$RIG_WORK/table.tsv" 0)
echo "scenario $SCENARIO: grid optimum $opt Mbit/s ($TL_GRID_BEST_CFG); 90% = $(awk -v o="$opt" 'BEGIN{printf "%.1f", 0.9*o}') Mbit/s; time to 90%: $t90 s (limit $LIMIT s)"
echo "cross-check, receiver stdout (5 s mean): time to 90%: $(tl_t90 "$RIG_WORK/table.tsv" 0 7) s (not asserted: stdout comes in bursts)"
grep -q . "$RIG_WORK/tune.jsonl" 2>/dev/null || log "note: the tune log is empty (no generation finished)"
[[ $t90 != none ]] && ((t90 <= LIMIT)) ||
  fail "tuned transfer did not reach 90% of the grid optimum ($opt Mbit/s) within $LIMIT s (time to 90%: $t90)"
echo "PASS: tuner converges on $SCENARIO within $LIMIT s (${t90} s)"
