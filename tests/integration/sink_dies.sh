#!/usr/bin/env bash
# The receiver's sink dies: `viamillipede rx P | head -c 10 > out` with a 200 MB source. Both
# ends exit 4 (sink) within a bounded time with the clear line, and the 10 bytes that reached
# the sink are the first 10 bytes of the input.
source "$(dirname "$0")/lib.sh"
vmp_init "$1" 120

N=${VMP_SINK_BYTES:-200000000}
gen_stream "$N" >"$WORK/in"
free_port P
RX_SINK='cmd:head -c 10 >head.out' start_rx rx "$P"
run_vmp tx 60 tx 127.0.0.1 "$P" "${NO_TUNE[@]}" <"$WORK/in"
log "tx exited $VMP_RC after ${VMP_MS} ms"
expect_eq "$VMP_RC" 4 "tx exit status when the receiver's sink died"
expect_clean_error "$WORK/tx.err" "receiver aborted the transfer: the receiver's output failed" "tx message"
finish_rx rx 20
expect_eq "$RX_RC" 4 "rx exit status when its stdout died"
expect_clean_error "$WORK/rx.err" 'viamillipede rx: .*(stdout|output).*' "rx message"
cmp -s "$WORK/head.out" <(head -c 10 "$WORK/in") || fail "the sink did not get the first 10 bytes of the input"
pass
