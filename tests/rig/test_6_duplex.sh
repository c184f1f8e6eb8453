#!/usr/bin/env bash
# Rig test 6: two hosts in full duplex over different paths each way. Path 1 (40 Mbit/s,
# 20 ms) carries host A -> host B, path 2 (15 Mbit/s, 40 ms, 0.5% loss) carries B -> A:
#   A (tx ns): viamillipede rx P tx 10.77.1.2 P  < a > from_b
#   B (rx ns): viamillipede rx P tx 10.77.2.1 P  < b > from_a
# Both streams at once, each byte-exact, both processes exit 0; the bytes A's host sends on
# path 1 cover stream a, and on path 2 A's host sends only acknowledgements (B's data comes in
# there), so each direction took its own path. The slow direction cannot be faster than its
# path (a lower bound on its time, not a timed assertion on speed).
# Usage: test_6_duplex.sh VIAMILLIPEDE VMP-LINKEMU   (exit 0 pass, 1 fail, 77 skip)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
vmp_init "$@"

rig_up --path 40,20,0 --path 15,40,0.5
make_input "$RIG_WORK/a" 40
make_input "$RIG_WORK/b" 12
read -r a1 a2 <<<"$("$TOPO" bytes 1) $("$TOPO" bytes 2)"
t0=$(date +%s%3N)
spawn B_PID ip netns exec "$NS_RX" timeout -k 5 200 "$VMP" rx "$VMP_PORT" tx 10.77.2.1 "$VMP_PORT" \
  threads 8 <"$RIG_WORK/b" >"$RIG_WORK/from_a" 2>"$RIG_WORK/rx.err"
spawn A_PID ip netns exec "$NS_TX" timeout -k 5 200 "$VMP" rx "$VMP_PORT" tx 10.77.1.2 "$VMP_PORT" \
  threads 8 <"$RIG_WORK/a" >"$RIG_WORK/from_b" 2>"$RIG_WORK/tx.err"
rc_a=0 rc_b=0
wait "$A_PID" || rc_a=$?
wait "$B_PID" || rc_b=$?
elapsed_ms=$(($(date +%s%3N) - t0))
((rc_a == 0)) || { show_logs; fail "host A exit $rc_a"; }
((rc_b == 0)) || { show_logs; fail "host B exit $rc_b"; }
[[ $(sha "$RIG_WORK/a") == $(sha "$RIG_WORK/from_a") ]] || { show_logs; fail "A -> B stream differs"; }
[[ $(sha "$RIG_WORK/b") == $(sha "$RIG_WORK/from_b") ]] || { show_logs; fail "B -> A stream differs"; }
read -r b1 b2 <<<"$("$TOPO" bytes 1) $("$TOPO" bytes 2)"
d1=$((b1 - a1)) d2=$((b2 - a2))
size_a=$(stat -c %s "$RIG_WORK/a") size_b=$(stat -c %s "$RIG_WORK/b")
log "both streams exact in ${elapsed_ms} ms; host A sent $d1 B on path 1 (stream a: $size_a B), $d2 B on path 2"
((d1 >= size_a)) || fail "path 1 carried $d1 B from A, less than stream a ($size_a B)"
((d2 * 10 < size_b)) || fail "A sent $d2 B on path 2: more than acknowledgements for stream b ($size_b B)"
# 12 MiB at 15 Mbit/s needs at least 6.7 s on its path.
((elapsed_ms >= size_b * 8 / 15000)) || fail "B -> A finished in ${elapsed_ms} ms, faster than path 2 allows"
echo "PASS: rig test 6 (full duplex, a path each way)"
