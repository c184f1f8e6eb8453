#!/usr/bin/env bash
# Run-time inspection: during a slow transfer, SIGUSR1 makes tx and rx print a status block
# with one line per leg, SIGUSR2 raises the verbosity ("verbosity now 1"); neither disturbs the
# transfer, which must still be byte-exact.
source "$(dirname "$0")/lib.sh"
vmp_init "$1" 120
command -v pv >/dev/null || fail "needs pv"

N=$((20 * 1000 * 1000))
random_file "$WORK/in" "$N"
free_port P
start_rx rx "$P"
# shellcheck disable=SC2034 # read as ${!pid} below
rxpid=$RX_PID
start_tx tx 127.0.0.1 "$P" "${NO_TUNE[@]}" < <(pv -q -L 5M "$WORK/in")
txpid=$TX_PID
poll_until 10 "rx has received data" eval '[[ $(ss -Htn "sport = :$P" | wc -l) -ge 4 ]]'

for who in tx rx; do
  pid=${who}pid
  kill -USR1 "${!pid}"
  poll_until 5 "$who prints its status block" grep -q "^--- viamillipede $who status" "$WORK/$who.err"
  poll_until 5 "$who status lists its legs" grep -Eq "^  leg +[0-9]+ 127\.0\.0\.1:$P +up " "$WORK/$who.err"
  kill -USR2 "${!pid}"
  poll_until 5 "$who reports the new verbosity" grep -q "viamillipede $who: verbosity now 1" "$WORK/$who.err"
done
alive "$txpid" || fail "the transfer ended before the signals were checked; make it slower"
wait_exit rc "$txpid" 30 tx
expect_eq "$rc" 0 "tx exit status"
finish_rx rx
expect_eq "$RX_RC" 0 "rx exit status"
expect_hash "$RX_HASH" "$(hash_file "$WORK/in")" "transfer with signals"
pass
