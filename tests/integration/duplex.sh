#!/usr/bin/env bash
# Full duplex and the original's smoke cases (its smoke.sh, on Linux), by byte-exact digests:
#  1. loopback through itself: `echo asdf | viamillipede rx P tx localhost P threads 4` prints
#     asdf and exits 0 (one process, both directions, its own stream);
#  2. checksums and the hot path: VMP_BIG_BYTES of zeros through one process that is both ends
#     (`tx localhost P rx P`, with and without `checksums`): digest of zeros, exit 0;
#  3. two processes in full duplex: A sends file a to B while B sends file b to A; each one's
#     stdout is the other's input, both exit 0;
#  4. prbs: `prbs 0xd00f tx localhost P rx P leglimit 0x40` (128 MiB, checked by the receiver)
#     exits 0 with exactly 128 MiB on stdout, the same as a tx-only run of the same seed into a
#     plain receiver, unlike another seed's; a wrong seed on the receiver and a stream with one
#     byte changed at offset 1000 end with exit 8 and the offset; leglimit and --limit-bytes
#     cut stdin where they say;
#  5. delay (the original's t_est_delay, shorter): `charmode prbs 0xd00f ... leglimit 4
#     delayus 250000` takes at least 4 x 0.25 s and delivers 8 MiB;
#  6. charmode latency: a full-duplex pair whose far end echoes its stream back; 30 keystrokes
#     through it (tools/keystrokes.py) come back exact, 90% of them within 50 ms (loopback: one
#     RTT is ~0; without charmode a partly filled frame waits 5 ms on each side); both exit 0;
#     The same keystrokes from a TCP client through a charmode terminate/initiate tunnel to an
#     echo server (socat): 90% within 50 ms, both tunnel ends exit 0 after the connection;
#  7. --stats-json of a duplex process holds both directions.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
vmp_init "$1" 420
TOOLS=$(dirname "$0")/tools
export PYTHONDONTWRITEBYTECODE=1

# 1. asdf through itself.
free_port p
run_vmp asdf 30 rx "$p" tx localhost "$p" threads 4 <<<asdf
expect_eq "$VMP_RC" 0 "asdf: exit status"
expect_eq "$(cat "$WORK/asdf.out")" asdf "asdf: output"
log "asdf through itself: ${VMP_MS} ms"

# 2. zeros through one process, with and without checksums.
zeros_hash=$(head -c "$VMP_BIG_BYTES" /dev/zero | hash_stdin)
for extra in checksums ""; do
  free_port p
  mkfifo "$WORK/zeros.fifo"
  spawn hasher eval 'hash_stdin <"$WORK/zeros.fifo" >"$WORK/zeros.sha"'
  show_on_fail "$WORK/zeros.err"
  t0=$(now_ms)
  # shellcheck disable=SC2086 # $extra is one word or none
  head -c "$VMP_BIG_BYTES" /dev/zero |
    timeout 300 "$BIN" tx localhost "$p" threads 4 rx "$p" $extra "${NO_TUNE[@]}" \
      >"$WORK/zeros.fifo" 2>"$WORK/zeros.err" || fail "zeros ${extra:-hot path}: exit $?"
  wait_exit hrc "$hasher" 30 "hasher"
  expect_hash "$(<"$WORK/zeros.sha")" "$zeros_hash" "zeros ${extra:-hot path}"
  log "zeros ${extra:-hot path}: $VMP_BIG_BYTES bytes in $(($(now_ms) - t0)) ms"
  rm -f "$WORK/zeros.fifo" "$WORK/zeros.sha"
done

# 3. two processes, each sending to the other.
random_file "$WORK/a" 3000000
random_file "$WORK/b" 5000000
free_port pa
free_port pb
show_on_fail "$WORK/A.err" "$WORK/B.err"
spawn A_PID "$BIN" rx "$pa" tx localhost "$pb" "${NO_TUNE[@]}" <"$WORK/a" >"$WORK/A.out" 2>"$WORK/A.err"
spawn B_PID "$BIN" rx "$pb" tx localhost "$pa" "${NO_TUNE[@]}" <"$WORK/b" >"$WORK/B.out" 2>"$WORK/B.err"
wait_exit arc "$A_PID" 60 "duplex end A"
wait_exit brc "$B_PID" 60 "duplex end B"
expect_eq "$arc" 0 "duplex A exit status"
expect_eq "$brc" 0 "duplex B exit status"
expect_hash "$(hash_file "$WORK/A.out")" "$(hash_file "$WORK/b")" "duplex: what A received"
expect_hash "$(hash_file "$WORK/B.out")" "$(hash_file "$WORK/a")" "duplex: what B received"
log "two processes in full duplex: both streams exact"

# 4. prbs.
free_port p
run_vmp prbs 120 prbs 0xd00f tx localhost "$p" threads 4 rx "$p" leglimit 0x40 "${NO_TUNE[@]}" </dev/null
expect_eq "$VMP_RC" 0 "prbs: exit status"
expect_eq "$(file_size "$WORK/prbs.out")" $((0x40 * 2 * 1024 * 1024)) "prbs: bytes written"
prbs_hash=$(hash_file "$WORK/prbs.out")
free_port p
start_rx prbs_plain "$p"
run_vmp prbs_tx 60 tx 127.0.0.1 "$p" prbs 0xd00f leglimit 0x40 "${NO_TUNE[@]}" </dev/null
expect_eq "$VMP_RC" 0 "prbs tx only: exit status"
finish_rx prbs_plain
expect_eq "$RX_RC" 0 "prbs into a plain receiver: exit status"
expect_hash "$RX_HASH" "$prbs_hash" "prbs: the same seed gives the same stream"
free_port p
run_vmp prbs_other 60 prbs 0xd00e tx localhost "$p" rx "$p" leglimit 1 "${NO_TUNE[@]}" </dev/null
[[ $(head -c 2097152 "$WORK/prbs.out" | hash_stdin) != $(hash_file "$WORK/prbs_other.out") ]] ||
  fail "prbs: seeds 0xd00f and 0xd00e gave the same stream"
# A receiver expecting another seed.
free_port p
RX_SINK=null start_rx prbs_wrong "$p" prbs 7
run_vmp prbs_wrong_tx 60 tx 127.0.0.1 "$p" prbs 8 leglimit 1 "${NO_TUNE[@]}" </dev/null
finish_rx prbs_wrong
expect_eq "$RX_RC" 8 "prbs, wrong seed: rx exit status"
expect_clean_error "$WORK/prbs_wrong.err" 'prbs: the stream differs from the pattern at byte 0$' "prbs, wrong seed"
[[ $VMP_RC != 0 ]] || fail "prbs, wrong seed: the transmitter exited 0"
# One byte changed at offset 1000.
{ head -c 1000 "$WORK/prbs.out"; printf 'X'; tail -c +1002 "$WORK/prbs.out" | head -c 3000000; } >"$WORK/prbs_bad"
free_port p
RX_SINK=null start_rx prbs_bad "$p" prbs 0xd00f
run_vmp prbs_bad_tx 60 tx 127.0.0.1 "$p" "${NO_TUNE[@]}" <"$WORK/prbs_bad"
finish_rx prbs_bad
expect_eq "$RX_RC" 8 "prbs, a changed byte: rx exit status"
expect_clean_error "$WORK/prbs_bad.err" 'prbs: the stream differs from the pattern at byte 1000$' "prbs, a changed byte"
# prbs replaces stdin, and says so when stdin carries something.
expect_no_grep "$WORK/prbs.err" 'stdin is not read' "prbs with stdin /dev/null"
free_port p
run_vmp prbs_stdin 60 prbs 1 tx localhost "$p" rx "$p" leglimit 1 "${NO_TUNE[@]}" <"$WORK/a"
expect_eq "$VMP_RC" 0 "prbs with a stdin: exit status"
expect_grep "$WORK/prbs_stdin.err" 'prbs: sending the pattern; stdin is not read' "prbs with a stdin"
# leglimit / --limit-bytes on stdin.
free_port p
run_vmp limit 60 tx localhost "$p" rx "$p" --limit-bytes 1234567 "${NO_TUNE[@]}" <"$WORK/b"
expect_eq "$VMP_RC" 0 "--limit-bytes: exit status"
expect_hash "$(hash_file "$WORK/limit.out")" "$(head -c 1234567 "$WORK/b" | hash_stdin)" "--limit-bytes"
free_port p
run_vmp leglimit 60 tx localhost "$p" rx "$p" leglimit 1 "${NO_TUNE[@]}" <"$WORK/b"
expect_eq "$VMP_RC" 0 "leglimit: exit status"
expect_hash "$(hash_file "$WORK/leglimit.out")" "$(head -c 2097152 "$WORK/b" | hash_stdin)" "leglimit 1"
log "prbs: 128 MiB checked, same seed same stream, wrong seed and changed byte found; limits cut stdin"

# 5. delay.
free_port p
run_vmp delay 60 charmode prbs 0xd00f tx localhost "$p" threads 2 rx "$p" leglimit 4 delayus 250000 "${NO_TUNE[@]}" </dev/null
expect_eq "$VMP_RC" 0 "delay: exit status"
expect_eq "$(file_size "$WORK/delay.out")" $((8 * 1024 * 1024)) "delay: bytes written"
((VMP_MS >= 1000)) || fail "delay: 4 chunks with delayus 250000 took only ${VMP_MS} ms"
log "delay: 4 chunks in ${VMP_MS} ms (at least 1000 expected)"

# 6. charmode latency through an echoing far end.
free_port pa
free_port pb
show_on_fail "$WORK/keys.err"
timeout 120 python3 "$TOOLS/keystrokes.py" 30 20 \
  --echo "$BIN" rx "$pb" tx localhost "$pa" charmode \
  -- "$BIN" rx "$pa" tx localhost "$pb" charmode >"$WORK/keys.json" 2>"$WORK/keys.err" ||
  fail "charmode keystrokes: $(tail -n 3 "$WORK/keys.err" | tr '\n' ' ')"
read -r p90 rc echo_rc extra < <(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["p90_ms"], j["exit"], j["echo_exit"], j["extra"])' "$WORK/keys.json")
expect_eq "$rc" 0 "charmode: near end exit status"
expect_eq "$echo_rc" 0 "charmode: echoing end exit status"
expect_eq "$extra" 0 "charmode: bytes after the echoes"
python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < 50 else 1)' "$p90" ||
  fail "charmode: 90% of keystrokes took up to $p90 ms to come back (want < 50)"
log "charmode keystrokes: $(cat "$WORK/keys.json")"

# 6b. An interactive session through a charmode tunnel: keystrokes from a TCP client through
# terminate/initiate to an echo server (socat) and back.
free_port pa
free_port pb
free_port pt
free_port pe
show_on_fail "$WORK/tA.err" "$WORK/tB.err"
spawn TB_PID "$BIN" rx "$pb" tx localhost "$pa" charmode initiate 127.0.0.1 "$pe" </dev/null >/dev/null 2>"$WORK/tB.err"
spawn TA_PID "$BIN" rx "$pa" tx localhost "$pb" charmode terminate "$pt" </dev/null >/dev/null 2>"$WORK/tA.err"
wait_listen "$pt" "$TA_PID"
wait_listen "$pb" "$TB_PID"
timeout 120 python3 "$TOOLS/keystrokes.py" 30 20 --listening "$pe" \
  --echo socat "TCP-LISTEN:$pe,bind=127.0.0.1" STDIO \
  -- socat STDIO "TCP:127.0.0.1:$pt" >"$WORK/tkeys.json" 2>"$WORK/keys.err" ||
  fail "keystrokes through a tunnel: $(tail -n 3 "$WORK/keys.err" | tr '\n' ' ')"
wait_exit ta_rc "$TA_PID" 30 "tunnel end (terminate)"
wait_exit tb_rc "$TB_PID" 30 "tunnel end (initiate)"
expect_eq "$ta_rc" 0 "charmode tunnel: terminate end exit status"
expect_eq "$tb_rc" 0 "charmode tunnel: initiate end exit status"
read -r p90 rc echo_rc extra < <(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["p90_ms"], j["exit"], j["echo_exit"], j["extra"])' "$WORK/tkeys.json")
expect_eq "$rc$echo_rc$extra" 000 "charmode tunnel: client and echo server exits, bytes after the echoes"
python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < 50 else 1)' "$p90" ||
  fail "charmode tunnel: 90% of keystrokes took up to $p90 ms to come back (want < 50)"
log "charmode keystrokes through a tunnel: $(cat "$WORK/tkeys.json")"

# 7. --stats-json of a duplex process.
free_port p
run_vmp json 30 rx "$p" tx localhost "$p" --stats-json "$WORK/duplex.json" "${NO_TUNE[@]}" <<<json
expect_eq "$VMP_RC" 0 "stats-json: exit status"
python3 - "$WORK/duplex.json" <<'PY' || fail "stats-json of a duplex process: $(head -c 300 "$WORK/duplex.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["tx"]["role"] == "tx" and j["rx"]["role"] == "rx", j.keys()
assert j["tx"]["bytes_in"] == 5 and j["rx"]["bytes_out"] == 5, (j["tx"]["bytes_in"], j["rx"]["bytes_out"])
PY

pass "full duplex, asdf, zeros, prbs, delay, charmode, limits"
