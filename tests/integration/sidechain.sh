#!/usr/bin/env bash
# Sidechain: every codec and a filter pair carry empty, one-byte, random, all-zero and mixed
# input byte-exact; compression survives chaos (resent frames) and a bit flipped on the wire;
# a filter that crashes, an unfilter that crashes or does not invert, a filter that hangs, and
# a filter on one end only each end the transfer with one clear line and a documented exit
# code on both ends (9: filter, 6: refused), never with wrong output and exit 0.
source "$(dirname "$0")/lib.sh"
vmp_init "$1" 480
TOOLS=$(dirname "$0")/tools

: >"$WORK/empty"
random_file "$WORK/one" 1
random_file "$WORK/random" $((3 << 20))
head -c $((8 << 20)) /dev/zero >"$WORK/zeros"
# Mixed: text-like runs, zeros and random blocks, so some frames compress and some go raw.
{
  for i in $(seq 1 40); do
    seq "$i" 3 60000 | head -c 200000
    head -c 100000 /dev/zero
    head -c 150000 /dev/urandom
  done
} >"$WORK/mixed"

# 1. Every codec and a filter pair, every kind of input (small frames: many per input).
for input in empty one random zeros mixed; do
  for codec in lz4 zstd:1 zstd:9 auto; do
    transfer "$codec-$input" "$WORK/$input" 60 --compress "$codec" --frame-size 256K
  done
  transfer "gzip-$input" "$WORK/$input" 90 --filter 'gzip -1' --frame-size 256K -- \
    --unfilter 'gzip -dc'
done
grep -q 'compress' "$WORK/zstd:1-mixed.tx.err" && fail "a clean transfer logged about compression"

# 1b. --compress auto with the tuner: for the first 10 s the stage's feedback moves the codec
#     (up the ladder: the 512 KiB/s limit makes the network the bottleneck), then the tuner's
#     search takes over with the codec as a gene and its first candidates, drawn around the
#     feedback's codec, try others (seed 1: a cheaper zstd level than the feedback's zstd:9),
#     so the codec changes mid-stream both ways; the output stays exact.
#     (Section 1 runs without the tuner: there `auto` is the stage's feedback alone.)
input_hash want "$WORK/mixed"
free_port P
start_rx auto-tuned.rx "$P"
run_vmp auto-tuned.tx 60 tx 127.0.0.1 "$P" --compress auto --rate-limit 512K --frame-size 256K \
  --tune-seed 1 verbose 2 <"$WORK/mixed"
expect_eq "$VMP_RC" 0 "auto-tuned: tx exit status"
finish_rx auto-tuned.rx
expect_eq "$RX_RC" 0 "auto-tuned: rx exit status"
expect_hash "$RX_HASH" "$want" "auto-tuned: output"
expect_grep "$WORK/auto-tuned.tx.err" '--compress auto: zstd' "auto-tuned: the feedback moved the codec"
# "knobs: ..." is logged (verbose 2) whenever the tuner applies a genome.
fed=$(grep -oE -- '--compress auto: [a-z0-9:]+' "$WORK/auto-tuned.tx.err" | tail -n 1 | cut -d' ' -f3)
grep -E 'knobs: .*compress=' "$WORK/auto-tuned.tx.err" | grep -vq "compress=$fed\b" ||
  fail "auto-tuned: the tuner tried no codec but the feedback's $fed"

# 2. Chaos with compression: legs die, compressed frames are resent (the same bytes).
transfer chaos-zstd "$WORK/mixed" 120 --compress zstd:1 --frame-size 64K chaos 37 threads 4
transfer chaos-gzip "$WORK/mixed" 120 --filter 'gzip -1' --frame-size 64K chaos 37 threads 4 -- \
  --unfilter 'gzip -dc'

# 3. A bit flipped in a compressed frame on the wire: caught by the wire checksum, the leg
#    goes, the frame comes again: exact output, exit 0.
input_hash want "$WORK/mixed"
free_port P
start_rx flip.rx "$P"
rx_pid=$RX_PID
free_port PROXY
python3 "$TOOLS/mangle_proxy.py" "$PROXY" "$P" flip 5 2>"$WORK/flip.proxy" &
PIDS+=($!)
proxy=$!
poll_until 10 "proxy listening" listening "$PROXY"
run_vmp flip.tx 60 tx 127.0.0.1 "$PROXY" threads 1 --frame-size 64K --compress zstd:1 \
  "${NO_TUNE[@]}" <"$WORK/mixed"
RX_PID=$rx_pid
finish_rx flip.rx
kill "$proxy" 2>/dev/null || true
grep -q "mangled frame" "$WORK/flip.proxy" || fail "flip: the proxy changed nothing"
expect_eq "$VMP_RC" 0 "flip: tx exit status"
expect_eq "$RX_RC" 0 "flip: rx exit status"
expect_hash "$RX_HASH" "$want" "flip: output"
expect_grep "$WORK/flip.rx.err" 'damaged on the wire' "flip: the damage was noticed"

# 4. Filters that fail. A frame holding the marker makes the program die of SIGSEGV.
crash_on_marker='python3 -c "import os,sys,signal; d=sys.stdin.buffer.read(); (os.kill(os.getpid(), signal.SIGSEGV) if b\"CRASH-HERE\" in d else sys.stdout.buffer.write(d))"'
{ head -c $((5 << 20)) "$WORK/mixed"; printf 'CRASH-HERE'; head -c $((3 << 20)) "$WORK/random"; } \
  >"$WORK/marked"
failing() {  # failing NAME SECONDS TX_ARGS... -- RX_ARGS...: expects exit 9 on both ends
  local name=$1 secs=$2
  shift 2
  split_args "$@"
  free_port P
  RX_SINK=null start_rx "$name.rx" "$P" "${RX_ARGS[@]}"
  run_vmp "$name.tx" "$secs" tx 127.0.0.1 "$P" "${NO_TUNE[@]}" "${TX_ARGS[@]}" <"$WORK/marked"
  finish_rx "$name.rx" 30
  expect_eq "$VMP_RC" 9 "$name: tx exit status"
  expect_eq "$RX_RC" 9 "$name: rx exit status"
  log "$name: tx: $(tail -1 "$WORK/$name.tx.err")"
  log "$name: rx: $(tail -1 "$WORK/$name.rx.err")"
}
failing filter-crash 60 --filter "$crash_on_marker" -- --unfilter cat
# sh reports its child's death as status 139 (and its stderr says "Segmentation fault": the
# filter's words, quoted in our one line; exit 9 above says viamillipede itself was fine).
expect_grep "$WORK/filter-crash.tx.err" "^viamillipede tx: frame [0-9]+: filter .*status 139" \
  "filter-crash tx"
expect_clean_error "$WORK/filter-crash.rx.err" "--filter failed" "filter-crash rx"

failing unfilter-crash 60 --filter cat -- --unfilter "$crash_on_marker"
expect_grep "$WORK/unfilter-crash.rx.err" "frame [0-9]+: filter .*status 139" "unfilter-crash rx"
expect_clean_error "$WORK/unfilter-crash.tx.err" "--unfilter failed" "unfilter-crash tx"

# An unfilter that gives back as many bytes, but other ones: the raw checksum says so. One leg:
# the receiver's abort must reach the transmitter on the leg whose frame failed.
failing not-inverse 60 --filter cat threads 1 -- --unfilter 'tr a b'
expect_clean_error "$WORK/not-inverse.rx.err" "does not invert the --filter" "not-inverse rx"

# A filter that reads nothing and never ends: killed after --filter-timeout of no progress.
failing filter-hangs 60 --filter 'sleep 600' --filter-timeout 2 -- --unfilter cat
expect_clean_error "$WORK/filter-hangs.tx.err" "made no progress" "filter-hangs tx"
((VMP_MS < 30000)) || fail "filter-hangs: took ${VMP_MS} ms to give up"

# 5. A filter on one end only: the handshake refuses it (tx exit 6); the receiver logs it
#    and keeps waiting for a transmitter that matches.
free_port P
RX_SINK=null start_rx one-sided.rx "$P"
run_vmp one-sided.tx 30 tx 127.0.0.1 "$P" "${NO_TUNE[@]}" --filter cat <"$WORK/one"
expect_eq "$VMP_RC" 6 "filter without unfilter: tx exit status"
expect_clean_error "$WORK/one-sided.tx.err" "filter/--unfilter" "filter without unfilter: tx"
alive "$RX_PID" || fail "the receiver gave up after refusing a filtering transmitter"
run_vmp one-sided2.tx 30 tx 127.0.0.1 "$P" "${NO_TUNE[@]}" <"$WORK/one"
expect_eq "$VMP_RC" 0 "the matching transmitter after the refused one: exit status"
finish_rx one-sided.rx
expect_eq "$RX_RC" 0 "rx after refusing a filtering transmitter: exit status"
expect_grep "$WORK/one-sided.rx.err" "transmitter filters frames" "rx logged the refusal"

free_port P
RX_SINK=null start_rx unfilter-only.rx "$P" --unfilter cat
run_vmp unfilter-only.tx 30 tx 127.0.0.1 "$P" "${NO_TUNE[@]}" <"$WORK/one"
expect_eq "$VMP_RC" 6 "unfilter without filter: tx exit status"
kill "$RX_PID" 2>/dev/null || true

# 6. Usage errors: one line, exit 2.
run_vmp bad-codec 10 tx 127.0.0.1 9 --compress gzip
expect_usage_error bad-codec
run_vmp both 10 tx 127.0.0.1 9 --compress lz4 --filter cat
expect_usage_error both
run_vmp unfilter-on-tx 10 tx 127.0.0.1 9 --unfilter cat
expect_usage_error unfilter-on-tx
run_vmp filter-on-rx 10 rx 9 --filter cat
expect_usage_error filter-on-rx

pass
