#!/usr/bin/env bash
# Keyed sessions (issue 14, wire protocol 4), attacked from outside:
#  1. genkey writes a key of mode 0600 (whatever the umask) and never overwrites; a key file
#     that group or others may read or write, a missing, an empty or a short one is refused
#     by tx and rx with one line, exit 2;
#  2. keyed transfers are byte-exact: empty, one byte, random, zstd:1, checksum, each cipher
#     (the proxy sees the cipher asked for on every leg), a pipe, chaos (resent frames), a raw
#     (not hex) key; no auth failure on a clean transfer;
#  3. a wrong key: tx exits 6 within seconds with one line; the receiver counts it, keeps
#     serving, and a transmitter with the right key completes into it;
#  4. a key on one end only: tx exits 6 with one line either way; the receiver keeps serving;
#  5. a man in the middle without the key (tools/mitm_proxy.py, four legs, 64 KiB frames, a
#     producer that trickles the input so the attacks land mid-transfer): a flipped bit (in a
#     raw frame under AES-GCM, in a compressed one under ChaCha20-Poly1305), a replayed frame
#     (same and new connection), forged data / last / cancel / end frames, forged acks and an
#     abort, a replayed handshake. Each attack must have happened; the outcome is exact output
#     and exit 0 on both ends, or a loud failure (both non-zero, one clean line), never exit 0
#     with wrong output, never a stall; a forged message is never obeyed (no 8 = a forged
#     frame counted, no rx 7 = a forged cancel, no tx 4 = a forged abort); auth_failures
#     counts every forged or altered message and every replayed proof;
#  6. what crosses the wire: no 32-byte aligned block of a text input appears in the capture
#     of a keyed transfer, while the same check finds them in a plain one (so it can fail);
#  7. strangers with the sniffed session (no key, outage 2^32-1: unkeyed Hello, keyed Hello
#     held at the challenge, a random proof, another session held) do not lock the real
#     transmitter out: it completes byte-exact.
# The proxy also checks the stream against the wire spec (sizes, sealed flag, salts, nonces):
# a "SPEC:" or "LOST:" line from it fails the test.
source "$(dirname "$0")/lib.sh"
vmp_init "$1" 300
TOOLS=$(dirname "$0")/tools
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ in the source tree
for t in python3 jq dd; do command -v "$t" >/dev/null || fail "needs $t"; done

KEY=$WORK/key
: >"$WORK/empty"
random_file "$WORK/one" 1
random_file "$WORK/random" $((6 << 20))
input_hash RANDOM_HASH "$WORK/random"
# Compressible, text-like: some frames shrink, some go raw.
{
  for i in $(seq 1 12); do
    seq "$i" 7 400000 | head -c 200000
    head -c 100000 /dev/urandom
  done
} >"$WORK/mixed"
seq 1 500000 >"$WORK/text"   # ~3.3 MB of digits and newlines

# stderr_lines FILE: lines on stderr other than the --help hint.
stderr_lines() { grep -vc "^Try 'viamillipede --help'" "$1"; }

# auth_failures VAR JSON: the auth_failures counter of a --stats-json document (wherever it
# sits); fails when the file or the field is missing.
auth_failures() {
  [[ -s $2 ]] || fail "no --stats-json file $(basename "$2")"
  local _n
  _n=$(jq '[.. | objects | select(has("auth_failures")) | .auth_failures] | first // "missing"' "$2") ||
    fail "$(basename "$2") is not JSON"
  [[ $_n =~ ^[0-9]+$ ]] || fail "$(basename "$2") has no auth_failures counter"
  printf -v "$1" '%s' "$_n"
}

# slow_feed FILE PIECES SECONDS: FILE on stdout in PIECES pieces, SECONDS apart, so that a
# transfer lasts long enough for attacks mid-way and for legs to reconnect.
slow_feed() {
  local f=$1 pieces=$2 pause=$3 size chunk i
  size=$(file_size "$f")
  chunk=$(((size + pieces - 1) / pieces))
  for ((i = 0; i < pieces; i++)); do
    dd if="$f" bs="$chunk" skip="$i" count=1 status=none
    sleep "$pause"
  done
}

# start_proxy NAME RX_PORT MODE [ARG] [--capture FILE]: mitm_proxy.py on a fresh port
# (PROXY_PORT, PROXY_PID), log $WORK/NAME.proxy.
start_proxy() {
  local name=$1 rx_port=$2
  shift 2
  free_port PROXY_PORT
  show_on_fail "$WORK/$name.proxy"
  python3 "$TOOLS/mitm_proxy.py" "$PROXY_PORT" "$rx_port" "$@" 2>"$WORK/$name.proxy" </dev/null &
  PROXY_PID=$!
  PIDS+=("$PROXY_PID")
  poll_until 10 "proxy $name listening" listening "$PROXY_PORT"
}

stop_proxy() {  # stop_proxy NAME: ends the proxy; its log must show no spec violation
  kill "$PROXY_PID" 2>/dev/null || true
  wait "$PROXY_PID" 2>/dev/null || true
  expect_no_grep "$WORK/$1.proxy" '^(SPEC|LOST):' "$1: the stream follows the wire spec"
  expect_no_grep "$WORK/$1.proxy" '^Traceback' "$1: proxy crashed"
}

# proxied NAME INPUT FEED TX_ARGS... -- RX_ARGS...: receiver with RX_ARGS, the proxy with
# PROXY_ARGS in between, the transmitter with TX_ARGS; FEED: "slow" (trickled) or "file".
# Sets VMP_RC, RX_RC, RX_HASH, WANT.
proxied() {
  local name=$1 input=$2 feed=$3
  shift 3
  split_args "$@"
  input_hash WANT "$input"
  local port rx_pid
  free_port port
  start_rx "$name.rx" "$port" "${RX_ARGS[@]}"
  rx_pid=$RX_PID
  start_proxy "$name" "$port" "${PROXY_ARGS[@]}"
  if [[ $feed == slow ]]; then
    run_vmp "$name.tx" 40 tx 127.0.0.1 "$PROXY_PORT" "${NO_TUNE[@]}" "${TX_ARGS[@]}" \
      < <(slow_feed "$input" 12 0.2)
  else
    run_vmp "$name.tx" 90 tx 127.0.0.1 "$PROXY_PORT" "${NO_TUNE[@]}" "${TX_ARGS[@]}" <"$input"
  fi
  RX_PID=$rx_pid
  finish_rx "$name.rx"
  stop_proxy "$name"
  log "$name: tx exit $VMP_RC, rx exit $RX_RC, ${VMP_MS} ms"
}

# expect_exact NAME: both ends exit 0 and the output is the input (after proxied/transfer).
expect_exact() {
  expect_eq "$VMP_RC" 0 "$1: tx exit status"
  expect_eq "$RX_RC" 0 "$1: rx exit status"
  expect_hash "$RX_HASH" "$WANT" "$1: output"
}

# ---------------------------------------------------------------------------------------
# 1. genkey and the key file checks.
run_vmp genkey 10 genkey "$KEY"
expect_eq "$VMP_RC" 0 "genkey: exit status"
[[ -f $KEY ]] || fail "genkey wrote no file"
expect_eq "$(stat -c %a "$KEY")" 600 "genkey: mode of the key file"
(($(file_size "$KEY") >= 32)) || fail "genkey wrote $(file_size "$KEY") bytes (want >= 32)"
key_sum=$(hash_file "$KEY")
run_vmp genkey-again 10 genkey "$KEY"
[[ $VMP_RC != 0 ]] || fail "genkey overwrote an existing key file (exit 0)"
expect_eq "$(hash_file "$KEY")" "$key_sum" "genkey on an existing file: the key is unchanged"
[[ -s $WORK/genkey-again.err ]] || fail "genkey on an existing file: nothing on stderr"
expect_eq "$(stderr_lines "$WORK/genkey-again.err")" 1 "genkey on an existing file: stderr lines"
(umask 000 && exec "$BIN" genkey "$WORK/key2") 2>"$WORK/genkey2.err" ||
  fail "genkey under umask 000 failed: $(cat "$WORK/genkey2.err")"
expect_eq "$(stat -c %a "$WORK/key2")" 600 "genkey under umask 000: mode of the key file"
[[ $(hash_file "$WORK/key2") != "$key_sum" ]] || fail "genkey wrote the same key twice"
log "genkey: mode 600, $(file_size "$KEY") bytes, no overwrite"

# key_refused NAME FILE [rx]: tx (and with rx, the receiver too) refuses --key-file FILE:
# exit 2, nothing on stdout, one line on stderr (besides the --help hint) that says "key".
key_refused() {
  local name=$1 file=$2 end
  for end in tx ${3:-}; do
    if [[ $end == tx ]]; then
      run_vmp "$name.tx" 10 tx 127.0.0.1 9 "${NO_TUNE[@]}" --key-file "$file" </dev/null
    else
      local p
      free_port p
      run_vmp "$name.rx" 10 rx "$p" --key-file "$file"
    fi
    expect_eq "$VMP_RC" 2 "$name: $end exit status"
    [[ ! -s $WORK/$name.$end.out ]] || fail "$name: $end printed on stdout"
    expect_eq "$(stderr_lines "$WORK/$name.$end.err")" 1 "$name: $end stderr lines"
    expect_clean_error "$WORK/$name.$end.err" '^viamillipede.*[Kk]ey' "$name: $end"
  done
  log "$name: refused: $(head -1 "$WORK/$name.tx.err")"
}
cp "$KEY" "$WORK/key644" && chmod 0644 "$WORK/key644"
key_refused mode644 "$WORK/key644" rx
cp "$KEY" "$WORK/key640" && chmod 0640 "$WORK/key640"
key_refused mode640 "$WORK/key640"
cp "$KEY" "$WORK/key620" && chmod 0620 "$WORK/key620"
key_refused mode620 "$WORK/key620"
cp "$KEY" "$WORK/key602" && chmod 0602 "$WORK/key602"
key_refused mode602 "$WORK/key602" rx
key_refused missing "$WORK/no-such-key" rx
head -c 31 /dev/urandom >"$WORK/key31" && chmod 0600 "$WORK/key31"
key_refused short "$WORK/key31" rx
: >"$WORK/key0" && chmod 0600 "$WORK/key0"
key_refused empty "$WORK/key0"
run_vmp bad-cipher 10 tx 127.0.0.1 9 --key-file "$KEY" --cipher des-cbc </dev/null
expect_usage_error bad-cipher

# ---------------------------------------------------------------------------------------
# 2. Keyed transfers (four legs unless said otherwise).
K=(--key-file "$KEY")
transfer keyed-empty "$WORK/empty" 30 "${K[@]}" -- "${K[@]}"
transfer keyed-one "$WORK/one" 30 "${K[@]}" -- "${K[@]}"
transfer keyed-random "$WORK/random" 60 "${K[@]}" --frame-size 256K \
  --stats-json "$WORK/clean.tx.json" -- "${K[@]}" --stats-json "$WORK/clean.rx.json"
auth_failures n "$WORK/clean.tx.json"
expect_eq "$n" 0 "clean keyed transfer: tx auth_failures"
auth_failures n "$WORK/clean.rx.json"
expect_eq "$n" 0 "clean keyed transfer: rx auth_failures"
transfer keyed-zstd "$WORK/mixed" 60 "${K[@]}" --compress zstd:1 --frame-size 128K -- "${K[@]}"
transfer keyed-checksum "$WORK/random" 60 "${K[@]}" checksum -- "${K[@]}" checksum
WANT_HASH=$RANDOM_HASH transfer keyed-pipe <(cat "$WORK/random") 60 "${K[@]}" threads 2 -- "${K[@]}"
transfer keyed-chaos "$WORK/random" 90 "${K[@]}" threads 8 chaos 13 --frame-size 64K -- "${K[@]}"
head -c 48 /dev/urandom >"$WORK/rawkey" && chmod 0600 "$WORK/rawkey"
transfer keyed-rawkey "$WORK/one" 30 --key-file "$WORK/rawkey" -- --key-file "$WORK/rawkey"

# Each cipher, through the proxy: the KeyOffer of every leg names the cipher asked for.
PROXY_ARGS=(pass)
for c in aes-256-gcm:1 chacha20-poly1305:2 auto:; do
  name=${c%%:*} id=${c#*:}
  proxied "cipher-$name" "$WORK/random" file "${K[@]}" --cipher "$name" threads 8 \
    --frame-size 256K -- "${K[@]}"
  expect_exact "cipher-$name"
  legs=$(grep -c 'keyed cipher' "$WORK/cipher-$name.proxy")
  ((legs >= 8)) || fail "cipher-$name: the proxy saw $legs keyed legs (want 8)"
  if [[ -n $id ]]; then
    bad=$(grep 'keyed cipher' "$WORK/cipher-$name.proxy" | grep -vc "keyed cipher $id\$")
    expect_eq "$bad" 0 "cipher-$name: legs whose KeyOffer names another cipher than $id"
  fi
  log "cipher-$name: $legs keyed legs, ciphers seen: $(grep -o 'keyed cipher [0-9]*' "$WORK/cipher-$name.proxy" | sort | uniq -c | tr -s ' \n' ' ')"
done

# ---------------------------------------------------------------------------------------
# 3. A wrong key: refused at once with one line; the receiver keeps serving the right one.
"$BIN" genkey "$WORK/other-key" 2>"$WORK/genkey-other.err" || fail "genkey: $(cat "$WORK/genkey-other.err")"
free_port P
start_rx wrong.rx "$P" "${K[@]}" --stats-json "$WORK/wrong.rx.json"
run_vmp wrong.tx 30 tx 127.0.0.1 "$P" "${NO_TUNE[@]}" --key-file "$WORK/other-key" <"$WORK/one"
expect_eq "$VMP_RC" 6 "tx with a wrong key: exit status"
((VMP_MS < 5000)) || fail "tx with a wrong key took ${VMP_MS} ms to give up (want < 5 s)"
expect_eq "$(wc -l <"$WORK/wrong.tx.err")" 1 "tx with a wrong key: stderr lines"
expect_clean_error "$WORK/wrong.tx.err" '[Kk]ey' "tx with a wrong key"
log "wrong key: tx exit 6 in ${VMP_MS} ms: $(cat "$WORK/wrong.tx.err")"
alive "$RX_PID" || fail "the receiver exited after a transmitter with a wrong key"
listening "$P" || fail "the receiver stopped listening after a transmitter with a wrong key"
WANT=$RANDOM_HASH
run_vmp right.tx 60 tx 127.0.0.1 "$P" "${NO_TUNE[@]}" "${K[@]}" <"$WORK/random"
finish_rx wrong.rx
expect_exact "right key after a wrong one"
auth_failures n "$WORK/wrong.rx.json"
((n > 0)) || fail "rx auth_failures is 0 after a transmitter with a wrong key"
log "wrong key: then the right key completed; rx auth_failures $n"

# ---------------------------------------------------------------------------------------
# 4. A key on one end only: refused either way with one line, and the receiver goes on.
one_sided() {  # one_sided NAME "RX_ARGS" "BAD_TX_ARGS" "GOOD_TX_ARGS"
  local name=$1 rx_args tx_bad tx_good
  read -ra rx_args <<<"$2"
  read -ra tx_bad <<<"$3"
  read -ra tx_good <<<"$4"
  free_port P
  start_rx "$name.rx" "$P" "${rx_args[@]}"
  run_vmp "$name.tx" 30 tx 127.0.0.1 "$P" "${NO_TUNE[@]}" "${tx_bad[@]}" <"$WORK/one"
  expect_eq "$VMP_RC" 6 "$name: tx exit status"
  ((VMP_MS < 5000)) || fail "$name: tx took ${VMP_MS} ms to give up (want < 5 s)"
  expect_eq "$(wc -l <"$WORK/$name.tx.err")" 1 "$name: tx stderr lines"
  expect_clean_error "$WORK/$name.tx.err" '[Kk]ey' "$name: tx"
  log "$name: tx exit 6: $(cat "$WORK/$name.tx.err")"
  alive "$RX_PID" || fail "$name: the receiver exited after refusing the transmitter"
  WANT=$RANDOM_HASH
  run_vmp "$name.good.tx" 60 tx 127.0.0.1 "$P" "${NO_TUNE[@]}" "${tx_good[@]}" <"$WORK/random"
  finish_rx "$name.rx"
  expect_exact "$name: the matching transmitter afterwards"
}
one_sided key-on-tx-only "" "--key-file $KEY" ""
one_sided key-on-rx-only "--key-file $KEY" "" "--key-file $KEY"

# ---------------------------------------------------------------------------------------
# 5. A man in the middle without the key.
MITM_TX=("${K[@]}" --frame-size 64K)
MITM_INPUT=$WORK/random
MITM_LEGS=4
MITM_EXTRA=()

# mitm NAME MODE [ARG]: a trickled transfer of MITM_INPUT (~2.5 s) through the proxy in MODE,
# MITM_LEGS legs, extra tx arguments MITM_EXTRA, both ends with --stats-json; checks the
# outcome rules of the header. Sets TX_AUTH and RX_AUTH (auth_failures of each end).
mitm() {
  local name=$1
  shift
  PROXY_ARGS=("$@")
  proxied "$name" "$MITM_INPUT" slow "${MITM_TX[@]}" threads "$MITM_LEGS" "${MITM_EXTRA[@]}" \
    --stats-json "$WORK/$name.tx.json" -- "${K[@]}" --stats-json "$WORK/$name.rx.json"
  [[ $VMP_RC != 124 && $VMP_RC != 137 ]] ||
    fail "$name: tx still running after 40 s (the transfer takes ~3 s): the attack stalled it"
  if [[ $VMP_RC == 0 || $RX_RC == 0 ]]; then
    [[ $VMP_RC == 0 ]] || fail "$name: rx exited 0 but tx exited $VMP_RC"
    [[ $RX_RC == 0 ]] || fail "$name: tx exited 0 (delivery confirmed) but rx exited $RX_RC"
    expect_hash "$RX_HASH" "$WANT" "$name: output of a transfer both ends call complete"
    MITM_OUTCOME=exact
  else
    # A loud failure: each end says why in a clean line, and obeyed nothing it could not verify.
    [[ $VMP_RC != 8 && $RX_RC != 8 ]] ||
      fail "$name: an end exited 8 (mismatch): a forged or altered frame was counted (tx $VMP_RC, rx $RX_RC)"
    [[ $RX_RC != 7 ]] || fail "$name: rx exited 7: it obeyed a cancel frame the transmitter never sent"
    [[ $VMP_RC != 4 ]] || fail "$name: tx exited 4: it obeyed an abort the receiver never sent"
    expect_clean_error "$WORK/$name.tx.err" '^viamillipede' "$name: tx"
    expect_clean_error "$WORK/$name.rx.err" '^viamillipede' "$name: rx"
    MITM_OUTCOME="failed loudly (tx $VMP_RC, rx $RX_RC): tx: $(tail -1 "$WORK/$name.tx.err")"
  fi
  auth_failures TX_AUTH "$WORK/$name.tx.json"
  auth_failures RX_AUTH "$WORK/$name.rx.json"
  log "$name: $MITM_OUTCOME; auth_failures tx $TX_AUTH rx $RX_AUTH"
}

mitm flip flip 9
expect_grep "$WORK/flip.proxy" '^flipped frame 9 ' "flip: the proxy flipped a bit"
((RX_AUTH > 0)) || fail "flip: rx auth_failures is 0 after a flipped ciphertext bit"
# Again in a compressed frame, under the other cipher.
MITM_INPUT=$WORK/mixed MITM_EXTRA=(--compress zstd:1 --cipher chacha20-poly1305)
mitm flip-zstd flip 20
MITM_INPUT=$WORK/random MITM_EXTRA=()
expect_grep "$WORK/flip-zstd.proxy" '^flipped frame 20 ' "flip-zstd: the proxy flipped a bit"
((RX_AUTH > 0)) || fail "flip-zstd: rx auth_failures is 0 after a flipped ciphertext bit"
# And late in the stream, over eight legs (the leg that read it must go, or the frame is lost).
MITM_LEGS=8
mitm flip-late flip 70
MITM_LEGS=4
expect_grep "$WORK/flip-late.proxy" '^flipped frame 70 ' "flip-late: the proxy flipped a bit"
((RX_AUTH > 0)) || fail "flip-late: rx auth_failures is 0 after a flipped ciphertext bit"

mitm replay replay 7
expect_grep "$WORK/replay.proxy" '^replayed frame 7 on the same connection' "replay: same connection"
expect_grep "$WORK/replay.proxy" '^replayed frame 7 on new connection' "replay: new connection"
log "replay: rx counted $(jq .duplicate_frames "$WORK/replay.rx.json") duplicate frames"

# attacks NAME REGEX: how many lines of the proxy's log match (attacks it made).
attacks() { grep -Ec "$2" "$WORK/$1.proxy"; }

mitm inject inject
for what in data last cancel end; do
  expect_grep "$WORK/inject.proxy" "^injected forged $what frame" "inject: forged $what frame sent"
done
n=$(attacks inject '^injected forged')
((RX_AUTH >= n)) || fail "inject: rx auth_failures is $RX_AUTH after $n forged frames"

mitm forge-ack forge_ack
for what in 'complete ack' abort 'ack far ahead'; do
  expect_grep "$WORK/forge-ack.proxy" "^forged $what on connection" "forge_ack: forged $what sent"
done
n=$(attacks forge-ack '^forged ')
((TX_AUTH >= n)) || fail "forge_ack: tx auth_failures is $TX_AUTH after $n forged controls"

mitm replay-handshake replay_handshake
n=$(grep -c '^replayed handshake' "$WORK/replay-handshake.proxy")
((n >= 3)) || fail "replay_handshake: only $n handshakes replayed"
expect_no_grep "$WORK/replay-handshake.proxy" 'ACCEPTED|first reply' \
  "replay_handshake: a replayed handshake got further than the challenge"
bad=$(grep '^replayed handshake' "$WORK/replay-handshake.proxy" | grep -Evc 'bad_key|closed')
expect_eq "$bad" 0 "replay_handshake: replays answered otherwise than bad_key or a close"
((RX_AUTH >= n)) || fail "replay_handshake: rx auth_failures is $RX_AUTH after $n replayed proofs"
log "replay_handshake: $(grep '^replayed handshake' "$WORK/replay-handshake.proxy" | sed 's/^replayed handshake //' | tr '\n' ';')"

# ---------------------------------------------------------------------------------------
# 6. What crosses the wire. blocks_in_capture INPUT CAPTURE: "FOUND TOTAL" of INPUT's
#    32-byte aligned blocks that occur anywhere in CAPTURE.
blocks_in_capture() {
  python3 - "$1" "$2" <<'EOF'
import re, sys
data = open(sys.argv[1], "rb").read()
cap = open(sys.argv[2], "rb").read()
blocks = {data[i:i + 32] for i in range(0, len(data) - 31, 32)}
# Only stretches of the capture made of bytes the input uses can hold a block.
alphabet = b"".join(re.escape(bytes([b])) for b in sorted(set(data)))
found = set()
for m in re.finditer(b"[" + alphabet + b"]{32,}", cap):
    s = m.group()
    for j in range(len(s) - 31):
        w = s[j:j + 32]
        if w in blocks:
            found.add(w)
print(len(found), len(blocks))
EOF
}
PROXY_ARGS=(pass --capture "$WORK/keyed.cap")
proxied capture-keyed "$WORK/text" file "${K[@]}" -- "${K[@]}"
expect_exact capture-keyed
cap=$(file_size "$WORK/keyed.cap")
((cap >= $(file_size "$WORK/text"))) || fail "capture-keyed: the capture holds $cap bytes, less than the input"
read -r found total < <(blocks_in_capture "$WORK/text" "$WORK/keyed.cap")
log "capture-keyed: $found of $total aligned 32-byte input blocks in $cap captured bytes"
((total > 50000)) || fail "capture-keyed: only $total input blocks"
expect_eq "$found" 0 "capture-keyed: input blocks readable on the wire"

PROXY_ARGS=(pass --capture "$WORK/plain.cap")
proxied capture-plain "$WORK/text" file
expect_exact capture-plain
read -r found total < <(blocks_in_capture "$WORK/text" "$WORK/plain.cap")
log "capture-plain: $found of $total aligned 32-byte input blocks in $(file_size "$WORK/plain.cap") captured bytes"
((found * 10 >= total * 9)) || fail "capture-plain: the check found only $found of $total blocks in a plain transfer (it could not fail)"

# ---------------------------------------------------------------------------------------
# 7. Strangers with the sniffed session, before its first Hello reaches the receiver.
PROXY_ARGS=(sniff_claim)
proxied sniff "$WORK/random" slow "${MITM_TX[@]}" threads 4 -- "${K[@]}"
expect_exact "transfer with strangers claiming its session"
expect_grep "$WORK/sniff.proxy" '^claim unkeyed .*reply key_required' "sniff: unkeyed Hello refused (key_required)"
expect_grep "$WORK/sniff.proxy" '^claim keyed .*reply authenticate .*held open' "sniff: keyed Hello held at the challenge"
expect_grep "$WORK/sniff.proxy" '^claim keyed-wrong-proof .*random proof: (bad_key|closed)' "sniff: random proof refused"
expect_grep "$WORK/sniff.proxy" '^claim other-session .*reply authenticate .*held open' "sniff: other session held at the challenge"
expect_no_grep "$WORK/sniff.proxy" 'reply busy' "sniff: the real transmitter was told busy"
log "sniff: $(grep '^claim' "$WORK/sniff.proxy" | tr '\n' ';')"

pass
