#!/usr/bin/env bash
# Receiver robustness. While a transfer runs (paced by pv to ~7 s), strangers connect to the
# receiver's port: random garbage, an HTTP request, a truncated handshake, a valid handshake of
# another session (busy), a leg of the running session sending an oversize frame header, a
# wrong protocol version, a wrong checkphrase, and a port scan (connect + close). The transfer
# must complete byte-exact and the receiver must log each rejection. Each stranger comes from
# its own loopback address: the receiver logs the first rejection per address at once and
# summarises the rest (see rx/reject_log.hpp).
# Then: a transmitter with a wrong checkphrase exits 6 with the reason, the receiver keeps
# waiting, and a correct transmitter afterwards completes on the same receiver.
source "$(dirname "$0")/lib.sh"
vmp_init "$1" 150
command -v pv >/dev/null || fail "needs pv"
command -v nc >/dev/null || fail "needs nc"

N=$((150 * 1000 * 1000)) # ~7.5 s at 20 MB/s
gen_stream "$N" >"$WORK/in"
free_port P
start_rx rx "$P" verbose 1
start_tx tx 127.0.0.1 "$P" "${NO_TUNE[@]}" < <(pv -q -L 20M "$WORK/in")
txpid=$TX_PID
poll_until 10 "rx logs the session" grep -q 'session [0-9]* from' "$WORK/rx.err"
session=$(grep -o 'session [0-9]*' "$WORK/rx.err" | head -1 | cut -d' ' -f2)
other=$((session ^ 0x5a5a))

head -c 1000 /dev/urandom | send_bytes "$P" 127.0.0.11                         # garbage
printf 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: curl/7.88\r\n\r\n' | send_bytes "$P" 127.0.0.12
hello_bytes 4 yoda "$session" 7 | head -c 10 | send_bytes "$P" 127.0.0.13       # truncated
hello_bytes 4 yoda "$other" 0 | send_bytes "$P" 127.0.0.14                      # other session
{                                                                               # oversize frame
  hello_bytes 4 yoda "$session" 1000
  printf 'D\x00\x00\x00\x7f\xff\xff\xff'
  head -c 40 /dev/zero  # the rest of the 48-byte header
} | send_bytes "$P" 127.0.0.15
hello_bytes 5 yoda "$session" 7 | send_bytes "$P" 127.0.0.16                    # version 5
hello_bytes 4 nope "$session" 7 | send_bytes "$P" 127.0.0.17                    # checkphrase
timeout 5 nc -z -s 127.0.0.18 127.0.0.1 "$P"                                    # port scan
if command -v curl >/dev/null; then curl -s -m 3 "http://127.0.0.1:$P/" >/dev/null; fi

if ! alive "$txpid"; then
  wait_exit rc "$txpid" 1 tx
  fail "the transfer ended (tx exit $rc) before all strangers had connected; make it slower"
fi
wait_exit rc "$txpid" 60 "tx"
expect_eq "$rc" 0 "tx exit status"
finish_rx rx
expect_eq "$RX_RC" 0 "rx exit status"
expect_hash "$RX_HASH" "$(hash_file "$WORK/in")" "transfer under attack"

err=$WORK/rx.err
expect_grep "$err" 'rejected connection from .*: not a viamillipede handshake' "garbage/HTTP"
expect_grep "$err" 'rejected connection from .*: closed before a complete handshake' "truncated/port scan"
expect_grep "$err" 'rejected connection from .*: belongs to another transfer' "other session"
expect_grep "$err" 'oversize frame header' "oversize frame header"
expect_grep "$err" 'rejected connection from .*: protocol version 5' "wrong version"
expect_grep "$err" 'rejected connection from .*: wrong checkphrase' "wrong checkphrase"
n=$(grep -c 'rejected connection from' "$err")
((n >= 7)) || fail "rx logged $n rejections, expected at least 7"
expect_no_grep "$err" 'AddressSanitizer|runtime error:|terminate called' "rx"

# Wrong checkphrase on the transmitter, then the right one, same receiver.
random_file "$WORK/in2" $((4 * 1024 * 1024))
free_port P2
start_rx rx2 "$P2"
run_vmp wrong.tx 30 tx 127.0.0.1 "$P2" "${NO_TUNE[@]}" checkphrase nope <"$WORK/in2"
expect_eq "$VMP_RC" 6 "tx with a wrong checkphrase: exit status"
expect_clean_error "$WORK/wrong.tx.err" "receiver 127.0.0.1:$P2 refused the connection: checkphrase does not match the receiver's" "wrong checkphrase tx"
alive "$RX_PID" || fail "rx2 exited after a wrong-checkphrase transmitter"
listening "$P2" || fail "rx2 stopped listening after a wrong-checkphrase transmitter"
expect_grep "$WORK/rx2.err" 'rejected connection from .*: wrong checkphrase' "rx2 rejection log"
run_vmp right.tx 30 tx 127.0.0.1 "$P2" "${NO_TUNE[@]}" <"$WORK/in2"
expect_eq "$VMP_RC" 0 "tx with the right checkphrase: exit status"
finish_rx rx2
expect_eq "$RX_RC" 0 "rx2 exit status"
expect_hash "$RX_HASH" "$(hash_file "$WORK/in2")" "transfer after a rejected transmitter"
pass
