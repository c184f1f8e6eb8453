#!/usr/bin/env bash
# A receiver replaced mid-transfer: rx is killed after part of the stream was written and
# acknowledged, and a fresh rx (no memory of the session) starts on the same port. The fresh
# receiver cannot resume the stream, so the transfer must end loudly: tx exits non-zero within
# a bounded time with a readable line — not hang with both ends waiting for each other.
# Whatever the first receiver wrote is an exact prefix of the input.
source "$(dirname "$0")/lib.sh"
vmp_init "$1" 90
command -v pv >/dev/null || fail "needs pv"

random_file "$WORK/in" $((20 * 1000 * 1000))
free_port P
RX_SINK='file' start_rx first.rx "$P"
start_tx tx 127.0.0.1 "$P" "${NO_TUNE[@]}" --outage-timeout 30 < <(pv -q -L 4M "$WORK/in")
txpid=$TX_PID
poll_until 20 "first receiver writes 2 MB" eval '(($(file_size "$WORK/first.rx.out") >= 2000000))'
{ kill -KILL "$RX_PID" && wait "$RX_PID"; } 2>/dev/null # reaped: its port is free again
RX_SINK='file' start_rx second.rx "$P"
t0=$(now_ms)
for ((i = 0; i < 400; i++)); do alive "$txpid" || break; sleep 0.05; done
if alive "$txpid"; then
  fail "tx still running 20 s after its receiver was replaced by a fresh one (second rx wrote $(file_size "$WORK/second.rx.out") bytes): the transfer hangs instead of failing"
fi
wait_exit rc "$txpid" 1 tx
log "tx exited $rc $(($(now_ms) - t0)) ms after the fresh receiver started"
[[ $rc != 0 ]] || fail "tx exited 0 although the fresh receiver cannot have the whole stream"
expect_clean_error "$WORK/tx.err" '^viamillipede tx: ' "tx message"
got=$(file_size "$WORK/first.rx.out")
cmp -s -n "$got" "$WORK/first.rx.out" "$WORK/in" || fail "first receiver's $got bytes are not a prefix of the input"
pass
