#!/usr/bin/env bash
# chaos: the transmitter resets the leg of every N-th frame; the frames lost with it are sent
# again on other legs. Over VMP_BIG_BYTES (1 GiB) with `chaos 97`, and with `threads 8
# chaos 13`, the output must still be byte-exact and tx must exit 0. The same in a keyed
# session (--key-file: every reconnect proves the key again, resent frames are the same
# sealed bytes), with the tuner on.
source "$(dirname "$0")/lib.sh"
vmp_init "$1" 330

big_file BIG "$VMP_BIG_BYTES"
# At least ~1000 frames whatever VMP_BIG_BYTES is (1 GiB: 1 MiB frames, the default), so
# `chaos 97` strikes about ten times.
FRAME=1048576
while ((FRAME > 4096 && VMP_BIG_BYTES / FRAME < 1000)); do FRAME=$((FRAME / 2)); done
transfer chaos97 "$BIG" 150 chaos 97 verbose 1 --frame-size "$FRAME"
expect_grep "$WORK/chaos97.tx.err" 'chaos: resetting leg' "chaos 97 never reset a leg (is chaos wired?)"
transfer threads8-chaos13 "$BIG" 150 threads 8 chaos 13 verbose 1 --frame-size "$FRAME"
expect_grep "$WORK/threads8-chaos13.tx.err" 'chaos: resetting leg' "chaos 13 never reset a leg"
"$BIN" genkey "$WORK/key" 2>/dev/null || fail "genkey failed"
saved_no_tune=("${NO_TUNE[@]}")
NO_TUNE=() # this one with the tuner changing knobs while legs die
transfer keyed-chaos13 "$BIG" 150 threads 8 chaos 13 verbose 1 --frame-size "$FRAME" \
  --key-file "$WORK/key" --stats-json "$WORK/keyed.json" -- --key-file "$WORK/key"
NO_TUNE=("${saved_no_tune[@]}")
expect_grep "$WORK/keyed-chaos13.tx.err" 'chaos: resetting leg' "keyed: chaos 13 never reset a leg"
grep -q '"keyed": true' "$WORK/keyed.json" || fail "keyed: --stats-json does not say keyed"
grep -q '"auth_failures": 0' "$WORK/keyed.json" || fail "keyed: authentication failed without an attacker"
log "resets: chaos 97: $(grep -c 'chaos: resetting' "$WORK/chaos97.tx.err"), chaos 13: $(grep -c 'chaos: resetting' "$WORK/threads8-chaos13.tx.err")"
pass
