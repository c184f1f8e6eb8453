#!/usr/bin/env bash
# Proof that the dashboards show data: a real Prometheus server scrapes a transmitter and a
# receiver on loopback every 200 ms, then every PromQL expression of dashboards/*.json (and the
# instance variable's query) must return data through Prometheus's HTTP API.
#
#   dashboards_against_prometheus.sh real VIAMILLIPEDE DASHBOARD_DIR
#       A real 300 MiB transfer (rate-limited with pv so that ~30 scrapes land) through the
#       sidechain (--compress lz4; the input mixes random blocks, sent raw, with text that lz4
#       shrinks, so both ends run the stage), sha256 of input and output compared,
#       `promtool check metrics` on both live expositions, --stats-json of both ends checked
#       with jq. Panels of the
#       tuner (expressions on viamillipede_tuner_*) are excepted until the tuner runs in tests.
#   dashboards_against_prometheus.sh fake VMP_FAKE_EXPORTER DASHBOARD_DIR
#       The synthetic transfer of vmp_fake_exporter (tuner reports included): every expression,
#       tuner panels too, without the transfer core.
#
# Bounded in time (every wait has a deadline), picks free ports, removes what it created.
set -euo pipefail
require() {  # command, Debian package
  command -v "$1" >/dev/null || { echo "FAIL: $1 not found (apt-get install $2)" >&2; exit 1; }
}
require prometheus prometheus
require promtool prometheus
require curl curl
require jq jq
require ss iproute2
[[ ${1:-} != real ]] || require pv pv

mode=${1:?usage: $0 real|fake BINARY DASHBOARD_DIR}
bin=${2:?binary}
dashboards=${3:?dashboard dir}
size=${VMP_PROOF_BYTES:-300M}
rate=${VMP_PROOF_RATE:-60M}  # pv -L: 300M at 60M/s is ~5 s of transfer
scrape_interval=200ms
rate_interval=2s  # what Grafana's $__rate_interval would be: 4 x the scrape interval, rounded up

work=$(mktemp -d /tmp/vmp-prom-proof.XXXXXX)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# A TCP port on 127.0.0.1 no socket uses (and that we have not handed out already). A random
# port in the ephemeral range could be the local port of a connection in TIME_WAIT, and then
# not bindable (a full-suite run once timed out waiting for an exporter on 127.0.0.1:34514).
used_ports=" "
free_port() {
  local p
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 12700)) # below the ephemeral range (32768-): no client socket holds it
    [[ $used_ports == *" $p "* ]] && continue
    if ! ss -Htan "sport = :$p" | grep -q .; then
      used_ports+="$p "
      echo "$p"
      return
    fi
  done
  fail "no free port"
}

# Waits until `$@` succeeds, for at most $deadline seconds.
wait_for() {
  local deadline=$1 what=$2
  shift 2
  local end=$((SECONDS + deadline))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < end)) || fail "timed out waiting for $what"
    sleep 0.05
  done
}

prom_port=$(free_port)
prom="http://127.0.0.1:$prom_port"
targets=()

if [[ $mode == fake ]]; then
  coproc FAKE { exec "$bin"; }
  pids+=("$FAKE_PID")
  for _ in tx rx; do
    read -r -t 10 _role endpoint <&"${FAKE[0]}" || fail "fake exporter did not start"
    targets+=("$endpoint")
  done
elif [[ $mode == real ]]; then
  data_port=$(free_port)
  rx_metrics=127.0.0.1:$(free_port)
  tx_metrics=127.0.0.1:$(free_port)
  targets=("$tx_metrics" "$rx_metrics")
else
  fail "mode must be real or fake"
fi

cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: $scrape_interval
  scrape_timeout: 150ms
scrape_configs:
  - job_name: viamillipede
    static_configs:
      - targets: ['${targets[0]}', '${targets[1]}']
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" --log.level=warn 2>"$work/prometheus.log" &
pids+=($!)
wait_for 30 "Prometheus to be ready" curl -fsS "$prom/-/ready"

start=$(date +%s.%N)
if [[ $mode == real ]]; then
  # 4 MiB of random bytes (codec none), then ~2.6 MB of text (codec lz4), over and over, until
  # head has enough and the generator's next write fails: only head's status counts.
  (
    set +o pipefail
    while head -c 4M /dev/urandom && seq 1 400000; do :; done 2>/dev/null | head -c "$size"
  ) >"$work/in"
  "$bin" rx "$data_port" --metrics "$rx_metrics" --stats-json "$work/rx.json" \
    >"$work/out" 2>"$work/rx.err" &
  rx_pid=$!
  pids+=("$rx_pid")
  pv -q -L "$rate" "$work/in" |
    "$bin" tx 127.0.0.1 "$data_port" --metrics "$tx_metrics" --stats-json "$work/tx.json" \
      --no-tune --compress lz4 2>"$work/tx.err" &
  tx_pid=$!
  pids+=("$tx_pid")

  # promtool on the live exposition of both ends, mid-transfer.
  for ep in "$tx_metrics" "$rx_metrics"; do
    wait_for 20 "viamillipede to serve --metrics on $ep" \
      curl -fsS -o "$work/live.prom" "http://$ep/metrics"
    curl -fsS "http://$ep/metrics" >"$work/live.prom"
    grep -q '^viamillipede_leg_bytes_total' "$work/live.prom" || echo "note: $ep has no legs yet"
    promtool check metrics <"$work/live.prom" || fail "promtool check metrics on $ep"
    echo "promtool check metrics: $ep ok"
  done

  wait "$tx_pid" || fail "tx exited $? ($(cat "$work/tx.err"))"
  wait "$rx_pid" || fail "rx exited $? ($(cat "$work/rx.err"))"
  [[ $(sha256sum <"$work/in") == $(sha256sum <"$work/out") ]] || fail "output differs from input"
  echo "transfer of $size: sha256 of input and output match"

  # --stats-json of both ends agrees with what was moved.
  n=$(stat -c %s "$work/in")
  # The legs carried the compressed stream: what rx's sidechain says arrived on the wire.
  wire=$(jq '.sidechain.wire_bytes // 0' "$work/rx.json")
  [[ $wire -gt 0 && $wire -lt $n ]] || fail "rx --stats-json: wire bytes $wire, stream $n"
  for end in tx rx; do
    jq -e --argjson n "$n" --argjson wire "$wire" --arg role "$end" '.role == $role and
        .finished and .exit_reason == "complete" and .bytes_out == $n and
        .duration_seconds > 0 and (.legs | length) > 0 and ([.legs[].bytes] | add) >= $wire' \
      "$work/$end.json" >/dev/null ||
      fail "$end --stats-json does not describe the transfer: $(cat "$work/$end.json")"
  done
  echo "--stats-json: both ends report $n bytes delivered, complete"
  # The transmitter's final snapshot is taken after Transmitter::run() has dropped its stage,
  # so its closing document has "sidechain": null (the exposition below proves tx's stage);
  # when the object is there it must be right.
  if jq -e '.sidechain == null' "$work/tx.json" >/dev/null; then
    echo "note: tx --stats-json has no sidechain object (the stage ended before the snapshot)"
  else
    jq -e --argjson n "$n" '.sidechain.setting == "lz4" and .sidechain.raw_bytes == $n and
        .sidechain.wire_bytes < $n and .sidechain.ratio > 1 and
        ([.sidechain.codecs[].codec] | sort) == ["lz4", "none"]' "$work/tx.json" >/dev/null ||
      fail "tx --stats-json sidechain does not describe lz4 over $n bytes: $(jq -c .sidechain "$work/tx.json")"
  fi
  jq -e '.sidechain.setting == "decode" and .stall_seconds.sidechain == 0 and
      any(.sidechain.codecs[]; .codec == "lz4" and .wire_bytes < .raw_bytes)' \
    "$work/rx.json" >/dev/null ||
    fail "rx --stats-json sidechain does not show lz4 decoded: $(jq -c .sidechain "$work/rx.json")"
  echo "--stats-json: rx decoded lz4 (ratio $(jq .sidechain.ratio "$work/rx.json"))"
else
  # The synthetic transfer runs until we stop it; let 25 scrapes of each target land.
  wait_for 30 "25 scrapes of each target" bash -c "curl -fsS '$prom/api/v1/query' \
    --data-urlencode 'query=min(count_over_time(viamillipede_info[1m])) >= 25' |
    jq -e '.data.result | length > 0'"
fi
# One more scrape interval so that the last samples are in.
sleep 0.3
end=$(date +%s.%N)

# As Grafana expands a multi-value variable: (a|b). The dots stay unescaped (they match
# themselves too), which keeps PromQL string escaping out of this script.
instance_regex="($(IFS='|'; echo "${targets[*]}"))"

# The instance variable's query: label_values(viamillipede_info, instance) must list both.
instances=$(curl -fsS -G "$prom/api/v1/series" --data-urlencode 'match[]=viamillipede_info' \
  --data-urlencode "start=$start" --data-urlencode "end=$end" |
  jq -r '[.data[].instance] | unique | .[]')
for t in "${targets[@]}"; do
  grep -qxF "$t" <<<"$instances" || fail "instance variable would not list $t (got: $instances)"
done
echo "instance variable: lists ${targets[*]}"

# Series an expression returns over the run (0 on an error).
series_of() {
  curl -sS "$prom/api/v1/query_range" --data-urlencode "query=$1" --data-urlencode "start=$start" \
    --data-urlencode "end=$end" --data-urlencode "step=0.5" |
    jq -r 'if .status == "success" then .data.result | length else 0 end'
}
if [[ $mode == real ]]; then
  # Both ends exported their sidechain: tx compressing with lz4 (random blocks sent raw), rx
  # decoding, and lz4 made its frames smaller on the wire.
  for expr in 'viamillipede_sidechain_info{role="tx",setting="lz4"}' \
    'viamillipede_sidechain_info{role="rx",setting="decode"}' \
    'viamillipede_sidechain_raw_bytes_total{role="tx",codec="none"}' \
    'viamillipede_sidechain_wire_bytes_total{role="tx",codec="lz4"} < viamillipede_sidechain_raw_bytes_total{role="tx",codec="lz4"}' \
    'viamillipede_stall_seconds_total{role="tx",cause="sidechain"}'; do
    [[ $(series_of "$expr") -gt 0 ]] || fail "no data for $expr"
  done
  echo "sidechain: tx lz4 and rx decode exported, lz4 frames smaller on the wire"
fi

checked=0 excepted=0 failed=0
while IFS= read -r expr; do
  if [[ $mode == real && $expr == *viamillipede_tuner_* ]]; then
    printf 'SKIP (tuner)  %s\n' "$expr"
    excepted=$((excepted + 1))
    continue
  fi
  q=${expr//\$__rate_interval/$rate_interval}
  q=${q//\$__interval/1s}
  q=${q//\$instance/$instance_regex}
  [[ $q == *'$'* ]] && { echo "FAIL unknown variable in: $expr"; failed=$((failed + 1)); continue; }
  answer=$(curl -sS "$prom/api/v1/query_range" --data-urlencode "query=$q" \
    --data-urlencode "start=$start" --data-urlencode "end=$end" --data-urlencode "step=0.5")
  status=$(jq -r .status <<<"$answer")
  series=$(jq -r '.data.result | length' <<<"$answer" 2>/dev/null || echo 0)
  if [[ $status != success ]]; then
    printf 'ERROR         %s\n              %s\n' "$q" "$(jq -r .error <<<"$answer")"
    failed=$((failed + 1))
  elif [[ $series -eq 0 ]]; then
    printf 'NO DATA       %s\n' "$q"
    failed=$((failed + 1))
  else
    printf 'ok %3d series %s\n' "$series" "$expr"
  fi
  checked=$((checked + 1))
done < <(jq -r '.. | objects | select(has("expr")) | .expr' "$dashboards"/*.json)

echo "$checked expressions queried, $failed without data, $excepted tuner expressions excepted"
[[ $checked -gt 20 ]] || fail "too few expressions found in $dashboards"
[[ $failed -eq 0 ]] || fail "$failed dashboard expressions return no data"
