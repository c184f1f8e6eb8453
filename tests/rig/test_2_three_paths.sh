#!/usr/bin/env bash
# Rig test 2: three paths of different rates (100, 60, 30 Mbit/s; 20 ms RTT).
#  a) an unpaced source: the transfer uses all three paths (each carries >= 5% of the bytes);
#  b) a source slower than the first path (pv -L 5 MiB/s = 42 Mbit/s < 100 Mbit/s): at least
#     90% of the bytes go over the first path, because targets are in preference order.
# Bytes per path are counted by nftables on the transmitter host's path interfaces, which is
# independent of what the tool says about itself.
# Usage: test_2_three_paths.sh VIAMILLIPEDE VMP-LINKEMU   (exit 0 pass, 1 fail, 77 skip)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
vmp_init "$@"

TX_TIMEOUT=120
rig_up --path 100,20,0 --path 60,20,0 --path 30,20,0
TARGETS=(10.77.1.2 "$VMP_PORT" tx 10.77.2.2 "$VMP_PORT" tx 10.77.3.2 "$VMP_PORT")

counters() { echo "$(path_bytes 1) $(path_bytes 2) $(path_bytes 3)"; }

# a) unpaced: 190 Mbit/s in all, 150 MiB take ~7 s when every path is used.
make_input "$RIG_WORK/in" 150
read -r a1 a2 a3 <<<"$(counters)"
start_rx "$RIG_WORK/out"
start_tx "$RIG_WORK/in" "${TARGETS[@]}" threads 16
finish_transfer "$RIG_WORK/in" "$RIG_WORK/out"
read -r b1 b2 b3 <<<"$(counters)"
d1=$((b1 - a1)) d2=$((b2 - a2)) d3=$((b3 - a3))
total=$((d1 + d2 + d3))
log "unpaced: bytes on path 1/2/3: $d1 / $d2 / $d3"
for d in $d1 $d2 $d3; do
  ((d * 20 >= total)) || fail "a path carried less than 5% of the bytes ($d1/$d2/$d3): not all three used"
done

# b) paced below the first path's rate: 40 MiB at 5 MiB/s (~8 s).
make_input "$RIG_WORK/in" 40
read -r a1 a2 a3 <<<"$(counters)"
start_rx "$RIG_WORK/out"
SRC_RATE=5m start_tx "$RIG_WORK/in" "${TARGETS[@]}" threads 16
finish_transfer "$RIG_WORK/in" "$RIG_WORK/out"
read -r b1 b2 b3 <<<"$(counters)"
d1=$((b1 - a1)) d2=$((b2 - a2)) d3=$((b3 - a3))
total=$((d1 + d2 + d3))
log "paced 5 MiB/s: bytes on path 1/2/3: $d1 / $d2 / $d3 ($((100 * d1 / total))% on path 1)"
((d1 * 10 >= total * 9)) || fail "only $((100 * d1 / total))% of the bytes went over the first path (want >= 90%)"
echo "PASS: rig test 2 (three paths)"
