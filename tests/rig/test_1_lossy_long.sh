#!/usr/bin/env bash
# Rig test 1: one long, lossy path (100 Mbit/s, 40 ms RTT, 1% loss each way) -- the link on
# which a single TCP connection collapses. A 200 MB transfer must arrive byte-exact.
# Usage: test_1_lossy_long.sh VIAMILLIPEDE VMP-LINKEMU   (exit 0 pass, 1 fail, 77 skip)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
vmp_init "$@"

SIZE_MB=${SIZE_MB:-200}
TX_TIMEOUT=150 # 200 MB at the link rate takes ~17 s; a single TCP flow would need ~8 min
rig_up --path 100,40,1
make_input "$RIG_WORK/in" "$SIZE_MB"

t0=$(date +%s.%N)
start_rx "$RIG_WORK/out"
start_tx "$RIG_WORK/in" 10.77.1.2 "$VMP_PORT" threads 16
finish_transfer "$RIG_WORK/in" "$RIG_WORK/out"
t1=$(date +%s.%N)
awk -v s="$SIZE_MB" -v a="$t0" -v b="$t1" \
  'BEGIN { printf "transfer: %d MiB in %.1f s = %.1f Mbit/s on a 100 Mbit/s, 40 ms, 1%% loss path\n", s, b - a, s * 8.388608 / (b - a) }' >&2
echo "PASS: rig test 1 (one lossy long path)"
