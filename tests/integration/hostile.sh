#!/usr/bin/env bash
# A hostile or careless peer without any key material (issue 16). Each case failed before
# wire protocol 2:
#  1. far-ahead frames: 128 frames of 16 MiB with sequence numbers 2^40+i and offset 0, each on
#     a leg of a stranger's own session; the receiver's peak RSS stays within its window plus
#     a constant, and the real transfer afterwards completes on the same receiver;
#  2. a claiming Hello (random session, outage 2^32-1) held open: the real transmitter still
#     gets in (a session that delivered nothing is taken over) and completes;
#  3. a flood of 1124 idle connections from another address against a receiver whose hard fd
#     limit is 256: the real transfer completes within a few seconds;
#  4. a header rewritten on the way (a man in the middle with one leg): the `last` flag set on
#     frame 3, or frame 2 renumbered; without checksums both ends exit non-zero (8) and never 0
#     with wrong output; with checksums the damaged frame is dropped and sent again (exit 0,
#     exact);
#  5. a receiver that says "complete" too early: the transmitter exits 8, not 0;
#  6. --expect-bytes: a producer that dies early is an error (tx 5), the right length passes.
source "$(dirname "$0")/lib.sh"
vmp_init "$1" 240
TOOLS=$(dirname "$0")/tools
command -v python3 >/dev/null || fail "needs python3"
command -v prlimit >/dev/null || fail "needs prlimit (util-linux)"

random_file "$WORK/in" $((8 * 1024 * 1024))
want=$(hash_file "$WORK/in")

# 1. Far-ahead frames.
free_port P
start_rx rx1 "$P" --window 32M verbose 1
python3 "$TOOLS/stranger.py" far-ahead "$P" 128 >"$WORK/far.out" 2>&1 || fail "stranger.py far-ahead failed: $(cat "$WORK/far.out")"
log "$(cat "$WORK/far.out")"
hwm_kb=$(awk '/VmHWM/ {print $2}' "/proc/$RX_PID/status")
log "receiver peak RSS after 128 far-ahead frames of 16 MiB: $((hwm_kb / 1024)) MiB"
((hwm_kb < 160 * 1024)) || fail "receiver peak RSS $((hwm_kb / 1024)) MiB: more than window (32 MiB) + 128 MiB"
run_vmp tx1 60 tx 127.0.0.1 "$P" "${NO_TUNE[@]}" <"$WORK/in"
expect_eq "$VMP_RC" 0 "tx after far-ahead frames: exit status"
finish_rx rx1
expect_eq "$RX_RC" 0 "rx after far-ahead frames: exit status"
expect_hash "$RX_HASH" "$want" "transfer after far-ahead frames"
expect_grep "$WORK/rx1.err" 'beyond the window|contradicts' "far-ahead frames refused"

# 2. A claiming Hello.
free_port P
start_rx rx2 "$P"
python3 "$TOOLS/stranger.py" claim "$P" 20 >"$WORK/claim.out" 2>&1 &
CLAIM_PID=$!
PIDS+=("$CLAIM_PID")
poll_until 10 "the claiming Hello is answered" grep -q 'reply code 0' "$WORK/claim.out"
run_vmp tx2 30 tx 127.0.0.1 "$P" "${NO_TUNE[@]}" <"$WORK/in"
expect_eq "$VMP_RC" 0 "tx after a claiming Hello: exit status"
finish_rx rx2
expect_eq "$RX_RC" 0 "rx after a claiming Hello: exit status"
expect_hash "$RX_HASH" "$want" "transfer after a claiming Hello"
kill "$CLAIM_PID" 2>/dev/null || true

# 3. A connection flood against a low descriptor limit.
free_port P
RX_WRAP=(prlimit --nofile=256:256)
start_rx rx3 "$P"
RX_WRAP=()
python3 "$TOOLS/stranger.py" flood "$P" 1124 25 127.0.0.2 >"$WORK/flood.out" 2>&1 &
FLOOD_PID=$!
PIDS+=("$FLOOD_PID")
poll_until 30 "the flood is on" grep -q 'connections opened' "$WORK/flood.out"
log "$(cat "$WORK/flood.out")"
run_vmp tx3 30 tx 127.0.0.1 "$P" "${NO_TUNE[@]}" <"$WORK/in"
expect_eq "$VMP_RC" 0 "tx during a connection flood: exit status"
log "transfer during the flood took ${VMP_MS} ms"
((VMP_MS < 10000)) || fail "the transfer took ${VMP_MS} ms during the flood (want < 10 s)"
finish_rx rx3
expect_eq "$RX_RC" 0 "rx during a connection flood: exit status"
expect_hash "$RX_HASH" "$want" "transfer during a connection flood"
kill "$FLOOD_PID" 2>/dev/null || true
n=$(wc -l <"$WORK/rx3.err")
((n < 50)) || fail "rx logged $n lines during the flood (rejections are to be summarised)"

# 4. Headers rewritten by a man in the middle (one leg, 64 KiB frames, 128 frames).
mangle() {  # mangle NAME MODE FRAME [checksum]
  local name=$1 mode=$2 frame=$3
  shift 3
  free_port P
  start_rx "$name.rx" "$P" "$@"
  local rx_pid=$RX_PID
  free_port PROXY
  python3 "$TOOLS/mangle_proxy.py" "$PROXY" "$P" "$mode" "$frame" 2>"$WORK/$name.proxy" &
  PIDS+=($!)
  local proxy=$!
  poll_until 10 "proxy listening" listening "$PROXY"
  run_vmp "$name.tx" 60 tx 127.0.0.1 "$PROXY" threads 1 --frame-size 64K "${NO_TUNE[@]}" "$@" <"$WORK/in"
  RX_PID=$rx_pid
  finish_rx "$name.rx"
  kill "$proxy" 2>/dev/null || true
  grep -q "mangled frame" "$WORK/$name.proxy" || fail "$name: the proxy mangled nothing"
  log "$name: tx exit $VMP_RC, rx exit $RX_RC"
}
for mode in last seq; do
  mangle "plain-$mode" "$mode" 3
  expect_eq "$VMP_RC" 8 "plain-$mode: tx exit status"
  [[ $RX_RC != 0 ]] || fail "plain-$mode: rx exited 0 with a stream that was altered"
  mangle "checksum-$mode" "$mode" 3 checksum
  expect_eq "$VMP_RC" 0 "checksum-$mode: tx exit status"
  expect_eq "$RX_RC" 0 "checksum-$mode: rx exit status"
  expect_hash "$RX_HASH" "$want" "checksum-$mode: output"
  expect_grep "$WORK/checksum-$mode.rx.err" 'checksum mismatch' "checksum-$mode: damaged frame caught"
done
# Either its own check of the completion or the receiver's abort says so, whichever comes first.
expect_clean_error "$WORK/plain-last.tx.err" "altered" "plain-last tx"

# 5. A receiver that says "complete" too early.
free_port P
python3 "$TOOLS/early_complete_rx.py" "$P" &
PIDS+=($!)
poll_until 10 "fake receiver listening" listening "$P"
run_vmp early.tx 30 tx 127.0.0.1 "$P" threads 1 "${NO_TUNE[@]}" <"$WORK/in"
expect_eq "$VMP_RC" 8 "tx told complete too early: exit status"
expect_grep "$WORK/early.tx.err" 'stdin has not ended|were sent' "tx says why"

# 6. --expect-bytes: a producer that dies halfway looks like an early end of file.
free_port P
start_rx rx6 "$P"
# The producer writes half, stalls a moment (the legs are up by then), and dies.
run_vmp short.tx 30 tx 127.0.0.1 "$P" "${NO_TUNE[@]}" --expect-bytes 8M < <(head -c 4M "$WORK/in"; sleep 1)
expect_eq "$VMP_RC" 5 "tx with a short stdin and --expect-bytes: exit status"
expect_grep "$WORK/short.tx.err" 'stdin ended after 4194304 of the 8388608 bytes' "tx says why"
finish_rx rx6
expect_eq "$RX_RC" 5 "rx of a transmitter whose stdin ended early: exit status"
free_port P
start_rx rx7 "$P" --expect-bytes 8M
run_vmp full.tx 30 tx 127.0.0.1 "$P" "${NO_TUNE[@]}" --expect-bytes 8M < <(cat "$WORK/in")
expect_eq "$VMP_RC" 0 "tx with the full length and --expect-bytes: exit status"
finish_rx rx7
expect_eq "$RX_RC" 0 "rx with --expect-bytes: exit status"
expect_hash "$RX_HASH" "$want" "transfer with --expect-bytes"
pass
