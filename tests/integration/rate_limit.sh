#!/usr/bin/env bash
# --rate-limit and --link-rates shape what the transmitter puts on the wire, judged at the
# receiver's stdout by tools/rate_meter.py (bytes per one-second bucket after the first byte):
#  1. --rate-limit 20M, a regular-file stdin (the sendfile path), ~11 s of data: over the full
#     seconds after the first byte (10 of them, fewer with a small VMP_BIG_BYTES), the average is
#     within 5% of the rate and no second carries more than 110% of it. Nothing is resent
#     (pacing must not make frames look late).
#  2. Two targets on one receiver (127.0.0.1, 127.0.0.2), --link-rates 6M,3M, a pipe on stdin:
#     the receiver's per-address bytes (--stats-json) over the time data flowed stay within
#     each link's cap (+10%), and the first link, which the preference rule fills first,
#     runs near its cap.
#  3. Sealed frames: --key-file and --compress zstd:1 (random data: the wire carries about
#     what stdout gets), --rate-limit 10M for ~3 s: the same per-second checks.
# All outputs must be byte-exact. 20M is well below what an ASan build does on loopback here.
#
# Why 256K frames in 1: the wire is shaped smoothly, but the receiver writes whole frames, so
# a second at its stdout may hold a frame more than its share: 5% of 20M with the default 1M
# frames (measured: max 1.05), 1.25% with 256K.
source "$(dirname "$0")/lib.sh"
vmp_init "$1" 90
command -v python3 >/dev/null || fail "needs python3"
command -v jq >/dev/null || fail "needs jq"
METER="python3 $(cd "$(dirname "$0")" && pwd)/tools/rate_meter.py"
MiB=$((1024 * 1024))

# check_meter FILE RATE SECONDS: average over buckets 0..SECONDS-1 within 5% of RATE, no
# bucket (the last, partial one aside) above 110%.
check_meter() {
  local file=$1 rate=$2 secs=$3
  python3 - "$file" "$rate" "$secs" <<'PY' || fail "rate check failed (see above)"
import json, sys
m = json.load(open(sys.argv[1]))
rate, secs = int(sys.argv[2]), int(sys.argv[3])
b = m["buckets"]
full = b[:secs]
avg = sum(full) / secs
worst = max(b[:-1] or b)  # the last bucket is partial
print(f"buckets MiB/s: {[round(x / 2**20, 2) for x in b]}", file=sys.stderr)
print(f"average {avg / rate:.3f} of the rate over {secs} s, max second {worst / rate:.3f}",
      file=sys.stderr)
ok = len(b) > secs and abs(avg - rate) <= 0.05 * rate and worst <= 1.10 * rate
sys.exit(0 if ok else 1)
PY
}

# --- 1. --rate-limit over a regular file -------------------------------------------------
rate=$((20 * MiB))
bytes=$((11 * rate))
((bytes > VMP_BIG_BYTES)) && bytes=$VMP_BIG_BYTES
secs=$((bytes / rate - 1))
((secs > 10)) && secs=10
((secs >= 2)) || fail "VMP_BIG_BYTES=$VMP_BIG_BYTES is too small for a rate test"
gen_stream "$bytes" >"$WORK/in" || fail "cannot write $WORK/in"
input_hash want "$WORK/in"
free_port P
RX_SINK="cmd:$METER rx1.ready >rx1.meter" start_rx rx1 "$P" --stats-json "$WORK/rx1.json"
# The sink's shell opens the FIFO only once rx does, so the meter starts with rx: wait for it.
poll_until 20 "the rate meter to start" test -e "$WORK/rx1.ready"
run_vmp tx1 60 tx 127.0.0.1 "$P" "${NO_TUNE[@]}" threads 4 --frame-size 256K --rate-limit 20M \
  --stats-json "$WORK/tx1.json" verbose 1 <"$WORK/in"
expect_eq "$VMP_RC" 0 "tx exit status (rate limit)"
finish_rx rx1
expect_eq "$RX_RC" 0 "rx exit status (rate limit)"
expect_hash "$(jq -r .sha256 "$WORK/rx1.meter")" "$want" "rate-limited output"
log "rate limit 20M, $bytes bytes in ${VMP_MS} ms"
check_meter "$WORK/rx1.meter" "$rate" "$secs"
expect_eq "$(jq -r .resent_bytes "$WORK/tx1.json")" 0 "tx resent_bytes (rate limit)"
expect_eq "$(jq -r .knobs.rate_limit_bytes_per_second "$WORK/tx1.json")" "$rate" \
  "tx --stats-json rate_limit_bytes_per_second"
log "tx waited $(jq -r .rate_wait_seconds "$WORK/tx1.json") s for tokens (over all legs)"

# --- 2. --link-rates over two targets, stdin a pipe ---------------------------------------
rates=($((6 * MiB)) $((3 * MiB)))
bytes=$((5 * (rates[0] + rates[1])))
free_port P
RX_SINK="cmd:$METER rx2.ready >rx2.meter" start_rx rx2 "$P" --stats-json "$WORK/rx2.json"
poll_until 20 "the rate meter to start" test -e "$WORK/rx2.ready"
gen_stream "$bytes" >"$WORK/in2"
want2=$(hash_file "$WORK/in2")
run_vmp tx2 60 tx 127.0.0.1 "$P" tx 127.0.0.2 "$P" "${NO_TUNE[@]}" threads 4 \
  --link-rates 6M,3M --stats-json "$WORK/tx2.json" verbose 1 < <(cat "$WORK/in2")
expect_eq "$VMP_RC" 0 "tx exit status (link rates)"
finish_rx rx2
expect_eq "$RX_RC" 0 "rx exit status (link rates)"
expect_hash "$(jq -r .sha256 "$WORK/rx2.meter")" "$want2" "link-rated output"
expect_eq "$(jq -r .resent_bytes "$WORK/tx2.json")" 0 "tx resent_bytes (link rates)"
# Data flowed for (number of buckets - 1) full seconds plus a partial last one.
flow=$(jq -r '(.buckets | length)' "$WORK/rx2.meter")
i=0
for a in 127.0.0.1 127.0.0.2; do
  b=$(jq -r --arg t "$a:$P" '[.links[] | select(.target == $t) | .bytes] | add // 0' "$WORK/rx2.json")
  cap=${rates[i]}
  python3 - "$b" "$cap" "$flow" "$a" "$i" <<'PY' || fail "link $a exceeded its cap or idled"
import sys
got, cap, flow, addr, first = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5] == "0"
# flow buckets: the last is partial, so the data took between flow-1 and flow seconds.
low = got / flow
high = got / max(flow - 1, 1)
print(f"link {addr}: {got} bytes, {low / 2**20:.2f}-{high / 2**20:.2f} MiB/s, cap {cap / 2**20:.2f} MiB/s",
      file=sys.stderr)
ok = low <= 1.10 * cap and (not first or high >= 0.8 * cap)
sys.exit(0 if ok else 1)
PY
  i=$((i + 1))
done

# --- 3. sealed (keyed, compressed) frames ------------------------------------------------
rate=$((10 * MiB))
bytes=$((3 * rate))
gen_stream "$bytes" >"$WORK/in3"
want3=$(hash_file "$WORK/in3")
run_vmp genkey 10 genkey "$WORK/key"
expect_eq "$VMP_RC" 0 "genkey"
free_port P
RX_SINK="cmd:$METER rx3.ready >rx3.meter" start_rx rx3 "$P" --key-file "$WORK/key"
poll_until 20 "the rate meter to start" test -e "$WORK/rx3.ready"
run_vmp tx3 60 tx 127.0.0.1 "$P" "${NO_TUNE[@]}" --key-file "$WORK/key" --compress zstd:1 \
  --frame-size 256K --rate-limit 10M --stats-json "$WORK/tx3.json" verbose 1 < <(cat "$WORK/in3")
expect_eq "$VMP_RC" 0 "tx exit status (sealed)"
finish_rx rx3
expect_eq "$RX_RC" 0 "rx exit status (sealed)"
expect_hash "$(jq -r .sha256 "$WORK/rx3.meter")" "$want3" "sealed rate-limited output"
check_meter "$WORK/rx3.meter" "$rate" 2
expect_eq "$(jq -r .resent_bytes "$WORK/tx3.json")" 0 "tx resent_bytes (sealed)"
pass
