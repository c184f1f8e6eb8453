#!/usr/bin/env bash
# Outages. (1) The receiver is killed (SIGKILL) mid-transfer and never comes back: tx with
# --outage-timeout 3 gives up after ~3 s (within 2.5..10 s) with exit 3 and the clear line,
# and what the receiver had written is an exact prefix of the input. (2) A transmitter with no
# receiver for 4 s (an outage it reports) completes byte-exact once the receiver appears.
# (3) The same in a keyed session (--key-file on both ends).
source "$(dirname "$0")/lib.sh"
vmp_init "$1" 150
command -v pv >/dev/null || fail "needs pv"

random_file "$WORK/in" $((40 * 1000 * 1000))
free_port P
RX_SINK='file' start_rx killed.rx "$P"
start_tx killed.tx 127.0.0.1 "$P" "${NO_TUNE[@]}" --outage-timeout 3 < <(pv -q -L 4M "$WORK/in")
txpid=$TX_PID
poll_until 20 "receiver output reaches 1 MB" eval '(($(file_size "$WORK/killed.rx.out") >= 1000000))'
alive "$txpid" || fail "tx ended before the receiver was killed (input too small?)"
t0=$(now_ms)
{ kill -KILL "$RX_PID" && wait "$RX_PID"; } 2>/dev/null
wait_exit rc "$txpid" 15 "tx after its receiver was killed"
elapsed=$(($(now_ms) - t0))
log "tx exited $rc ${elapsed} ms after the receiver was killed"
expect_eq "$rc" 3 "tx exit status after the receiver was killed"
((elapsed >= 2000 && elapsed <= 10000)) || fail "tx gave up after ${elapsed} ms; expected ~3 s (--outage-timeout 3)"
expect_clean_error "$WORK/killed.tx.err" 'receiver unreachable for longer than the outage timeout' "tx message"
got=$(file_size "$WORK/killed.rx.out")
cmp -s -n "$got" "$WORK/killed.rx.out" "$WORK/in" || fail "the $got bytes written before the kill are not a prefix of the input"

# late_receiver NAME [ARGS...]: tx (with ARGS) starts alone, reports the outage, and completes
# once a receiver (with the same ARGS) appears 4 s later.
late_receiver() {
  local name=$1 port
  shift
  free_port port
  start_tx "$name.tx" 127.0.0.1 "$port" "${NO_TUNE[@]}" --outage-timeout 60 "$@" <"$WORK/in2"
  txpid=$TX_PID
  poll_until 10 "$name: tx reports the outage" grep -q 'no leg can reach the receiver' "$WORK/$name.tx.err"
  sleep 2 # the scenario: the outage lasts 4 s in all
  alive "$txpid" || fail "$name: tx gave up during a 4 s outage"
  start_rx "$name.rx" "$port" "$@"
  wait_exit rc "$txpid" 60 "$name: tx"
  expect_eq "$rc" 0 "$name: tx exit status"
  finish_rx "$name.rx"
  expect_eq "$RX_RC" 0 "$name: rx exit status"
  expect_hash "$RX_HASH" "$(hash_file "$WORK/in2")" "$name receiver"
}

random_file "$WORK/in2" $((8 * 1024 * 1024))
late_receiver late
"$BIN" genkey "$WORK/key" 2>/dev/null || fail "genkey failed"
late_receiver keyed-late --key-file "$WORK/key"
pass
