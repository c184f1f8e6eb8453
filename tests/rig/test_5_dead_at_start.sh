#!/usr/bin/env bash
# Rig test 5: a path that is dead at start-up (silent blackhole) is bypassed -- the transfer
# progresses on the second path -- and is used once it comes up (it is the preferred target).
# Two paths, 50 Mbit/s, 20 ms RTT; the source is paced at 4 MiB/s so the transfer outlasts the
# outage.
# Usage: test_5_dead_at_start.sh VIAMILLIPEDE VMP-LINKEMU   (exit 0 pass, 1 fail, 77 skip)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
vmp_init "$@"

TX_TIMEOUT=120
rig_up --path 50,20,0 --path 50,20,0
make_input "$RIG_WORK/in" 48
"$TOPO" link 1 down

start_rx "$RIG_WORK/out"
SRC_RATE=4m start_tx "$RIG_WORK/in" 10.77.1.2 "$VMP_PORT" tx 10.77.2.2 "$VMP_PORT" threads 8
# Bypassed: data flows over path 2 while path 1 is dead.
wait_file_size "$RIG_WORK/out" $((8 * 1048576)) 30
"$TOPO" link 1 up
p1=$(path_bytes 1)
log "path 1 up with $(stat -c %s "$RIG_WORK/out") bytes delivered over path 2"
finish_transfer "$RIG_WORK/in" "$RIG_WORK/out"
used=$(($(path_bytes 1) - p1))
total=$(stat -c %s "$RIG_WORK/in")
log "path 1 carried $used bytes after it came up ($((100 * used / total))% of the transfer)"
# About 40 MiB were still to come at 4 MiB/s when path 1 came back; it is preferred and
# retried every <= 2 s, so it must carry a good share of them.
((used * 5 >= total)) || fail "path 1 carried only $used bytes after coming up (want >= 20% of $total)"
echo "PASS: rig test 5 (dead at start-up, then used)"
