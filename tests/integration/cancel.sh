#!/usr/bin/env bash
# When one end gives up, the other hears of it and exits at once with a clear line, instead of
# retrying or waiting until the outage timeout (an hour by default):
#  a) tx interrupted (SIGINT): tx exits 7, rx exits 7 ("the transmitter was interrupted");
#  b) tx's stdin fails (a file cut short): tx exits 5, rx exits 5;
#  c) rx interrupted (SIGTERM): rx exits 7, tx exits 3 ("the receiver was shut down").
source "$(dirname "$0")/lib.sh"
vmp_init "$1" 180
command -v pv >/dev/null || fail "needs pv"

head -c $((64 * 1024 * 1024)) /dev/zero >"$WORK/zeros"

# start_paced NAME FILE: rx on a fresh port whose sink drains at 8 MB/s, tx of FILE to it.
start_paced() {
  local name=$1 port
  free_port port
  RX_SINK="cmd:pv -q -L 8M >/dev/null" start_rx "$name.rx" "$port"
  start_tx "$name.tx" 127.0.0.1 "$port" "${NO_TUNE[@]}" --window 4M <"$2"
  sleep 1  # a second of transfer (about 8 MB of 64)
}

# Both ends must be gone within 10 s of the event.
start_paced tx-int "$WORK/zeros"
kill -INT "$TX_PID"
wait_exit tx_rc "$TX_PID" 10 "tx-int: tx"
wait_exit rx_rc "$RX_PID" 10 "tx-int: rx"
expect_eq "$tx_rc" 7 "tx-int: tx exit status"
expect_eq "$rx_rc" 7 "tx-int: rx exit status"
expect_clean_error "$WORK/tx-int.rx.err" 'transmitter cancelled the transfer: the transmitter was interrupted' "tx-int: rx"

cp "$WORK/zeros" "$WORK/shrinks"
start_paced src-fail "$WORK/shrinks"
truncate -s 1M "$WORK/shrinks"
wait_exit tx_rc "$TX_PID" 10 "src-fail: tx"
wait_exit rx_rc "$RX_PID" 10 "src-fail: rx"
expect_eq "$tx_rc" 5 "src-fail: tx exit status"
expect_eq "$rx_rc" 5 "src-fail: rx exit status"
expect_clean_error "$WORK/src-fail.rx.err" "transmitter cancelled the transfer: the transmitter's input failed" "src-fail: rx"

start_paced rx-term "$WORK/zeros"
kill -TERM "$RX_PID"
wait_exit rx_rc "$RX_PID" 10 "rx-term: rx"
wait_exit tx_rc "$TX_PID" 10 "rx-term: tx"
expect_eq "$rx_rc" 7 "rx-term: rx exit status"
expect_eq "$tx_rc" 3 "rx-term: tx exit status"
expect_clean_error "$WORK/rx-term.tx.err" 'receiver aborted the transfer: the receiver was shut down' "rx-term: tx"
pass
