#!/usr/bin/env bash
# Rig test 4: total outage. Two paths (50 Mbit/s, 20 ms RTT); both go down for 20 s
# mid-transfer (silent blackhole, as during router maintenance) and come back. The transfer
# must survive and complete byte-exact.
# Usage: test_4_outage.sh VIAMILLIPEDE VMP-LINKEMU   (exit 0 pass, 1 fail, 77 skip)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
vmp_init "$@"

OUTAGE_S=${OUTAGE_S:-20}
TX_TIMEOUT=180
rig_up --path 50,20,0 --path 50,20,0
make_input "$RIG_WORK/in" 80

start_rx "$RIG_WORK/out"
start_tx "$RIG_WORK/in" 10.77.1.2 "$VMP_PORT" tx 10.77.2.2 "$VMP_PORT" threads 8 --outage-timeout 120
wait_file_size "$RIG_WORK/out" $((20 * 1048576)) 60
"$TOPO" link 1 down
"$TOPO" link 2 down
log "both paths down at $(stat -c %s "$RIG_WORK/out") bytes delivered; holding ${OUTAGE_S}s"
# The outage's length is the scenario itself, not a wait for an event.
sleep 2
during=$(stat -c %s "$RIG_WORK/out")
sleep $((OUTAGE_S - 2))
held=$(stat -c %s "$RIG_WORK/out")
kill -0 "$TX_PID" 2>/dev/null || { show_logs; fail "transmitter ended during the outage"; }
((held == during)) || fail "receiver output grew during the outage ($during -> $held): the outage was not real"
"$TOPO" link 1 up
"$TOPO" link 2 up
log "paths back up at $held bytes delivered"
finish_transfer "$RIG_WORK/in" "$RIG_WORK/out"
echo "PASS: rig test 4 (20 s total outage)"
