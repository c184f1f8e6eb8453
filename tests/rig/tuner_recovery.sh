#!/usr/bin/env bash
# Tuner rig test (issue 5), recovery: a tuned transfer (starting from the poor profile, as in
# tuner_lossy.sh) runs CHANGE_AT seconds, then the rig changes conditions mid-transfer, and the
# transfer must be back at 90% of the new best static configuration within 30 s.
#   path_down: three paths 100/60/30 Mbit/s at 20 ms; path 1 (the fastest) becomes a silent
#              blackhole (emulator SIGUSR1). New best: grid sweep over paths 2+3 (path 1 still
#              down, so the static configurations are given the two live paths only).
#   loss_up:   one path 100 Mbit/s, 40 ms, 1%; loss on the data direction rises to ~5% (an
#              extra 4% drop in the receiver's prerouting, nftables numgen). New best: grid
#              sweep with the extra loss still in place.
#   loss_1to3: the same path; loss on the data direction rises to ~3% (an extra 2%).
#   loss_3to1: the same path with the extra 2% from the start; it is removed at the change.
#   rate_half: the same path; its rate halves to 50 Mbit/s (tbf changed in place, both ways).
# The new best is measured after the tuned run, on the changed rig (--no-tune, 8 s each).
# "Back at 90%" = the trailing 5-second mean of receiver-side throughput >= 90% of it.
# Usage: tuner_recovery.sh VIAMILLIPEDE VMP-LINKEMU [path_down|loss_up|loss_1to3|loss_3to1|rate_half]  (0 pass, 1 fail, 77 skip)
# Environment: CHANGE_AT (default 35), AFTER_SECONDS (default 34:
# the 30 s limit plus the 5 s mean, less the second it starts), GRID_SECONDS (default 8),
# TUNE_SEED.
set -euo pipefail
source "$(dirname "$0")/tuner_lib.sh"
CASE=${3:-path_down}
tl_init "$1" "$2"
CHANGE_AT=${CHANGE_AT:-35}
AFTER_SECONDS=${AFTER_SECONDS:-34}
GRID_SECONDS=${GRID_SECONDS:-8}
LIMIT=30

case $CASE in
  path_down)
    rig_up --path 100,20,0 --path 60,20,0 --path 30,20,0
    links=3
    targets=$(tl_targets 3)
    after_targets=$(tl_targets 23)
    change='"$TOPO" link 1 down'
    grid=("4 bbr 1M" "8 bbr 1M" "8 cubic 1M")
    ;;
  loss_up)
    rig_up --path 100,40,1
    links=1
    targets=$(tl_targets 1)
    after_targets=$targets
    change='tl_loss_up 1 4'
    # No cubic: at 1-5% loss 16 cubic legs reach about half of bbr's rate (45-52 of 95 Mbit/s
    # in every recorded round), so they never set the optimum.
    grid=("4 bbr 1M" "16 bbr 1M")
    ;;
  loss_1to3 | loss_3to1 | rate_half)
    rig_up --path 100,40,1
    links=1
    targets=$(tl_targets 1)
    after_targets=$targets
    grid=("4 bbr 1M" "16 bbr 1M")
    case $CASE in
      loss_1to3) change='tl_loss_up 1 2' ;;
      loss_3to1) tl_loss_up 1 2 && change='tl_loss_clear' ;;
      # Without the extra loss, 16 cubic legs come close to bbr (47.4 vs 47.8 Mbit/s).
      rate_half) change='"$TOPO" rate 1 50' && grid+=("16 cubic 1M") ;;
    esac
    ;;
  *) echo "tuner_recovery.sh: case path_down|loss_up|loss_1to3|loss_3to1|rate_half" >&2; exit 2 ;;
esac

tl_poor_profile "$RIG_WORK/profile.json" "$links"
seed_args=()
[[ -n ${TUNE_SEED:-} ]] && seed_args=(--tune-seed "$TUNE_SEED")
total=$((CHANGE_AT + AFTER_SECONDS))
TL_AT="$CHANGE_AT $change" tl_run "$total" "$RIG_WORK/tuned.samples" "$targets" \
  --tune-profile "$RIG_WORK/profile.json" --tune-log "$RIG_WORK/tune.jsonl" "${seed_args[@]}"

tl_grid "$CASE-after" "$GRID_SECONDS" "$after_targets" "${grid[@]}"
opt2=$TL_GRID_BEST
log "new best (after the change): $opt2 Mbit/s ($TL_GRID_BEST_CFG)"

# Before the change the table shows the new best too (the old one is not measured here).
tl_table "$RIG_WORK/tuned.samples" "$RIG_WORK/tune.jsonl" "$opt2" "$CHANGE_AT" "$opt2" >"$RIG_WORK/table.tsv"
tl_print_tunelog "$RIG_WORK/tune.jsonl"
tl_print_table "$RIG_WORK/table.tsv"
# Counted from the change; the 5 s mean must lie wholly after it.
t90=$(awk -F'\t' -v c="$CHANGE_AT" '$1 >= c + 5 && $3 >= 0.9 * $6 { print $1 - c; f = 1; exit } END { if (!f) print "none" }' "$RIG_WORK/table.tsv")
echo "case $CASE: change at ${CHANGE_AT}s; new best $opt2 Mbit/s ($TL_GRID_BEST_CFG); 90% = $(awk -v o="$opt2" 'BEGIN{printf "%.1f", 0.9*o}') Mbit/s; time to 90% after the change: $t90 s (limit $LIMIT s)"
t90_so=$(awk -F'\t' -v c="$CHANGE_AT" '$1 >= c + 5 && $7 >= 0.9 * $6 { print $1 - c; f = 1; exit } END { if (!f) print "none" }' "$RIG_WORK/table.tsv")
echo "cross-check, receiver stdout (5 s mean): time to 90% after the change: $t90_so s (not asserted: stdout comes in bursts)"
[[ $t90 != none ]] && ((t90 <= LIMIT)) ||
  fail "after $CASE the transfer was not back at 90% of the new best ($opt2 Mbit/s) within $LIMIT s (time: $t90)"
echo "PASS: tuner recovers from $CASE within $LIMIT s (${t90} s)"
