#!/usr/bin/env bash
# Dead links at start-up. (1) Bypass: `tx 127.0.0.1 DEAD tx 127.0.0.1 P` where nothing listens
# on DEAD completes over the live target. (2) Retry: a transmitter started 2 s before its
# receiver keeps retrying and completes once the receiver appears.
source "$(dirname "$0")/lib.sh"
vmp_init "$1" 150

random_file "$WORK/in" $((8 * 1024 * 1024))
want=$(hash_file "$WORK/in")

free_port DEAD
free_port P
listening "$DEAD" && fail "port $DEAD unexpectedly has a listener"
start_rx bypass.rx "$P"
run_vmp bypass.tx 60 tx 127.0.0.1 "$DEAD" tx 127.0.0.1 "$P" "${NO_TUNE[@]}" <"$WORK/in"
expect_eq "$VMP_RC" 0 "bypass: tx exit status"
finish_rx bypass.rx
expect_eq "$RX_RC" 0 "bypass: rx exit status"
expect_hash "$RX_HASH" "$want" "bypass"
expect_grep "$WORK/bypass.tx.err" "127.0.0.1:$DEAD is down" "bypass: tx did not report the dead link"

free_port P2
start_tx retry.tx 127.0.0.1 "$P2" "${NO_TUNE[@]}" verbose 1 <"$WORK/in"
txpid=$TX_PID
sleep 2 # the scenario: the receiver is absent for 2 s
alive "$txpid" || fail "retry: tx gave up while the receiver was not there yet"
start_rx retry.rx "$P2"
wait_exit rc "$txpid" 60 "retry: tx"
expect_eq "$rc" 0 "retry: tx exit status"
finish_rx retry.rx
expect_eq "$RX_RC" 0 "retry: rx exit status"
expect_hash "$RX_HASH" "$want" "retry"
pass
