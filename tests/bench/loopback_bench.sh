#!/usr/bin/env bash
# Loopback throughput: a page-cached file to /dev/null, end to end until the receiver exits,
# viamillipede (1/4/8 legs, tuner, zero-copy off) beside nc and mbuffer in the same run, and
# both into a pipe read by cat. Prints a markdown table of
# median MB/s and CPU seconds per GB (sender + receiver, user + sys). Not a test: no asserts.
#   tests/bench/loopback_bench.sh [path/to/viamillipede] [size_mb=2000] [runs=5]
set -euo pipefail
bin=${1:-$(dirname "$0")/../../build/viamillipede}
size_mb=${2:-2000}
runs=${3:-5}
work=$(mktemp -d)
trap 'pkill -P $$ 2>/dev/null || true; rm -rf "$work"' EXIT
port=$((20000 + RANDOM % 20000))

head -c "$((size_mb * 1000 * 1000))" /dev/urandom >"$work/in"
cat "$work/in" >/dev/null  # page-cache it

wait_listen() {
  for _ in $(seq 200); do
    ss -ltnH "sport = :$1" | grep -q . && return 0
    sleep 0.02
  done
  echo "nothing listens on $1" >&2
  return 1
}

# run_one NAME RX_CMD TX_CMD -> "seconds cpu_seconds"
run_one() {
  local rx_cmd=$2 tx_cmd=$3
  port=$((port + 1))
  rx_cmd=${rx_cmd//PORT/$port}
  tx_cmd=${tx_cmd//PORT/$port}
  /usr/bin/time -f "%U %S" -o "$work/rx.time" bash -c "$rx_cmd >/dev/null" &
  local rx_pid=$!
  wait_listen "$port"
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$work/tx.time" bash -c "$tx_cmd <'$work/in'"
  wait "$rx_pid"
  end=$(date +%s.%N)
  local cpu
  cpu=$(cat "$work/rx.time" "$work/tx.time" | awk '{s += $1 + $2} END {print s}')
  echo "$(echo "$end - $start" | bc -l) $cpu"
}

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

declare -A rx tx
names=()
add() { names+=("$1"); rx[$1]=$2; tx[$1]=$3; }
for legs in 1 4 8; do
  add "viamillipede $legs leg(s)" "$bin rx PORT" "$bin tx 127.0.0.1 PORT threads $legs --no-tune"
done
add "viamillipede 4 legs + tuner" "$bin rx PORT" "$bin tx 127.0.0.1 PORT threads 4"
command -v nc >/dev/null && add "nc" "nc -l 127.0.0.1 PORT" "nc -N 127.0.0.1 PORT"
command -v mbuffer >/dev/null &&
  add "mbuffer" "mbuffer -q -I 127.0.0.1:PORT -m 64M" "mbuffer -q -O 127.0.0.1:PORT -m 64M"
# Into a pipe, as a real consumer (zfs recv, tar) would read it: the reader's copy counts.
add "viamillipede 4 legs, rx into a pipe" "$bin rx PORT | cat" "$bin tx 127.0.0.1 PORT threads 4 --no-tune"
command -v nc >/dev/null && add "nc, into a pipe" "nc -l 127.0.0.1 PORT | cat" "nc -N 127.0.0.1 PORT"
# Zero-copy off on both ends: what a pipe-fed sender and a copying receiver cost.
add "viamillipede 4 legs --no-zero-copy" "$bin rx PORT --no-zero-copy" "$bin tx 127.0.0.1 PORT threads 4 --no-tune --no-zero-copy"

echo "Loopback, ${size_mb} MB page-cached file -> /dev/null, median of $runs runs, $(nproc) cores, $(uname -r)"
echo "(runs interleave the tools, so a slow spell of a shared host hits them all alike)"
echo
for i in "${!names[@]}"; do : >"$work/secs.$i"; : >"$work/cpus.$i"; done
for _ in $(seq "$runs"); do
  for i in "${!names[@]}"; do
    name=${names[$i]}
    read -r secs cpu < <(run_one "$name" "${rx[$name]}" "${tx[$name]}")
    echo "$secs" >>"$work/secs.$i"
    echo "$cpu" >>"$work/cpus.$i"
  done
done
echo "| tool | MB/s (median) | min | max | CPU s per GB |"
echo "|---|---:|---:|---:|---:|"
for i in "${!names[@]}"; do
  s=$(median <"$work/secs.$i")
  c=$(median <"$work/cpus.$i")
  slow=$(sort -n "$work/secs.$i" | tail -1)
  fast=$(sort -n "$work/secs.$i" | head -1)
  printf '| %s | %.0f | %.0f | %.0f | %.2f |\n' "${names[$i]}" "$(echo "$size_mb / $s" | bc -l)" \
    "$(echo "$size_mb / $slow" | bc -l)" "$(echo "$size_mb / $fast" | bc -l)" \
    "$(echo "$c * 1000 / $size_mb" | bc -l)"
done
