#!/usr/bin/env bash
# The main job, end to end on one machine: install dependencies, build, then move a real
# stream over loopback with the tuner and both Prometheus exporters on, and show what happened.
#   scripts/demo.sh                       4 GiB through a 100 MB/s link (~45 s) to 127.0.0.1
#   DEMO_MB=4096 DEMO_RATE=0 scripts/demo.sh   4 GiB at full speed (no rate limit)
# The "link" is the transmitter's --rate-limit: loopback has no bottleneck of its own, and the
# tuner only experiments while the network, not the source, sets the pace (a source paced with
# pv showed it at rest: "0 generations logged"). It measures the start and the defaults at once
# and draws other genomes after 10 s; 45 s show a generation or two.
#   DEMO_HOST=backup.example DEMO_PORT=8834 scripts/demo.sh   (then run the printed rx command there)
#   DEMO_KEY=0 scripts/demo.sh            in clear (by default both ends share a fresh --key-file:
#                                         every leg authenticated, every frame encrypted)
set -euo pipefail
cd "$(dirname "$0")/.."
mb=${DEMO_MB:-4096}
rate=${DEMO_RATE:-100M}
host=${DEMO_HOST:-127.0.0.1}
port=${DEMO_PORT:-8834}
rx_metrics=${DEMO_RX_METRICS:-127.0.0.1:9101}
tx_metrics=${DEMO_TX_METRICS:-127.0.0.1:9102}
keyed=${DEMO_KEY:-1}

if [ -z "${SKIP_DEPS:-}" ]; then scripts/install-deps.sh; fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target viamillipede
bin=build/viamillipede

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
echo "== making $mb MiB of random input"
head -c "$((mb * 1024 * 1024))" /dev/urandom >"$work/in"
key_args=()
if [ "$keyed" != 0 ]; then
  "$bin" genkey "$work/key"
  key_args=(--key-file "$work/key")
fi

echo "== receiver: $bin rx $port ${key_args[*]} --metrics $rx_metrics"
"$bin" rx "$port" "${key_args[@]}" --metrics "$rx_metrics" --stats-json "$work/rx.json" >"$work/out" 2>"$work/rx.err" &
rx_pid=$!
for _ in $(seq 100); do ss -ltnH "sport = :$port" | grep -q . && break; sleep 0.05; done

rate_args=()
if [ "$rate" != 0 ]; then rate_args=(--rate-limit "$rate"); fi
echo "== transmitter: cat input | $bin tx $host $port ${key_args[*]} ${rate_args[*]} --metrics $tx_metrics --progress --tune-log ..."
cat "$work/in" | "$bin" tx "$host" "$port" "${key_args[@]}" "${rate_args[@]}" --metrics "$tx_metrics" \
  --progress --tune-log "$work/tune.jsonl" --stats-json "$work/tx.json" &
tx_pid=$!
sleep 4
echo
echo "== a scrape of the transmitter's /metrics while it runs (excerpt)"
curl -s "http://$tx_metrics/metrics" | grep -E '^viamillipede_(output_bytes_total|leg_bytes_total|leg_tcp_rtt_seconds|tuner_generation|tuner_best_fitness|knob\{)' | head -14 || true
wait "$tx_pid"
wait "$rx_pid"

echo
echo "== result"
if cmp -s "$work/in" "$work/out"; then
  echo "sha256 in : $(sha256sum <"$work/in" | cut -c1-64)"
  echo "sha256 out: $(sha256sum <"$work/out" | cut -c1-64)   (identical)"
else
  echo "OUTPUT DIFFERS FROM INPUT" >&2
  exit 1
fi
jq -r '"moved \(.bytes_out) bytes\(if .keyed then " (encrypted, \(.auth_failures) authentication failures)" else " in clear" end) in \(.duration_seconds | . * 100 | round / 100) s: \(.throughput_bytes_per_second / 1e6 | round) MB/s, \(.resent_frames) frames resent, \(.reconnects) reconnects"' "$work/tx.json"
gens=$(wc -l <"$work/tune.jsonl")
echo "tuner: $gens generations logged (each candidate genome measured for about a second):"
jq -r '"  generation \(.generation), done at \(.time_seconds | floor) s: " +
  ([.evaluations[] | "\(.purpose) \(.goodput / 1e6 | round) MB/s (legs \(.knobs.legs), frame \(.knobs.frame_bytes / 1024 | floor)K)"] | join("; "))' "$work/tune.jsonl"
if ((gens > 0)); then
  echo "best genome so far (what the tuner runs between experiments):"
  tail -n 1 "$work/tune.jsonl" |
    jq -r '"  fitness \(.best.fitness / 1e6 | round) MB/s (goodput after the per-leg cost): \(.best.knobs | tojson)"'
fi
echo "knobs in force when the stream ended (an experiment may have been running):"
jq -c '.knobs' "$work/tx.json"
