#!/usr/bin/env bash
# Lossy and unequal paths on the network rig (issue 12): viamillipede against iperf3 with the
# same legs and congestion control, on an emulated 100 Mbit/s, 40 ms path with random loss,
# and on three unequal paths (30/60/100 Mbit/s, 20 ms) named slowest first and fastest first.
# Prints a markdown table of medians; the runs are interleaved (every round runs every row,
# iperf3 and viamillipede back to back), so a slow moment of the machine hits both.
#
# Usage (as root): tests/bench/lossy_bench.sh [options]
#   --bin PATH       viamillipede (default build/viamillipede)
#   --emu PATH       the rig's emulator (default build/tests/rig/vmp-linkemu)
#   --rounds N       rounds; medians over them (default 3)
#   --size SIZE      bytes per run (default 100M), from a pipe, as a user's stream would be
#   --only LIST      comma list of: lossy, unequal (default both)
#   --loss LIST      loss percentages of the lossy path (default 1,3)
#   --timeout S      a run that takes longer is ended and counted from what arrived (default 60)
#   --tx-args "ARGS" more viamillipede tx options for every viamillipede row
#
# How each number is made: throughput = payload bytes delivered / wall-clock seconds from the
# sender's start to its exit (connection setup and the end of the stream included), for both
# tools: iperf3 -n BYTES -P N -C CC, viamillipede tx ... threads N --congestion CC --no-tune.
# iperf3's own figure (its reported rate, which leaves out its setup) is shown beside it.
# Reno with few legs is slow at these loss rates (Mathis: ~3.5 Mbit/s per connection at 1%,
# 40 ms), so those rows move less: min(SIZE, 15 s of the Mathis rate for the row), the same
# for both tools. "resent" is resent_bytes from viamillipede's --stats-json: payload sent again
# (copies of late frames, frames of lost legs); the target is <= 2% of the stream.
# Rows "defaults" (no options at all except --no-tune) and "tuner" (no options: the tuner on)
# are compared with the best iperf3 row of the path; unequal paths with the sum of the rates.
# Exit: 0 (it asserts nothing), 2 usage, 77 not root or a tool missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
EMU_BIN=$root/build/tests/rig/vmp-linkemu
# shellcheck source-path=SCRIPTDIR source=bench_lib.sh
source "$here/bench_lib.sh"
bin=$root/build/viamillipede
timeout_given=0 size_arg=100M rounds=3 only=lossy,unequal tx_args="" timeout_s=60 wan_emu=""
wan_size_arg=100M wan_path="" losses=1,3
BENCH_EXTRA_OPTS[--emu]=EMU_BIN
BENCH_EXTRA_OPTS[--loss]=losses
bench_parse_args "$@"
[[ $timeout_s =~ ^[1-9][0-9]*$ ]] || bench_usage
VMP=$bin cap=$timeout_s
# shellcheck source=../rig/lib.sh
source "$root/tests/rig/lib.sh"
rig_init "$EMU_BIN"
require_tools iperf3 jq numfmt
[[ -x $VMP ]] || skip "viamillipede binary $VMP not built"

PORT=9300
# The unequal paths move twice the size: the input holds the most any run reads.
head -c "$((size * 2))" /dev/urandom >"$RIG_WORK/input"
declare -A VAL  # "key" -> space-separated values, one per round

add() { VAL[$1]="${VAL[$1]:-} $2"; }
median() {
  # shellcheck disable=SC2086 # a list of numbers
  printf '%s\n' ${VAL[$1]:-} | sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "-"; exit }
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f\n", m }'
}
now() { date +%s.%N; }

# vmp_run KEY BYTES TARGETS ARGS...: one viamillipede transfer of BYTES from a pipe.
vmp_run() {
  local key=$1 bytes=$2 targets=$3
  shift 3
  local out=$RIG_WORK/out json=$RIG_WORK/stats.json rxpid t0 t1 got rc=0
  PORT=$((PORT + 1))
  rm -f "$out" "$json"
  spawn rxpid ip netns exec "$NS_RX" timeout -k 5 $((cap + 30)) "$VMP" rx "$PORT" >"$out" 2>"$RIG_WORK/rx.err"
  wait_listen "$NS_RX" "$PORT"
  t0=$(now)
  # shellcheck disable=SC2086 # targets is a word list
  ip netns exec "$NS_TX" timeout -k 5 "$cap" bash -c 'head -c "$1" "$2" | "${@:3}"' _ \
    "$bytes" "$RIG_WORK/input" "$VMP" ${targets//PORT/$PORT} "$@" $tx_args --stats-json "$json" \
    2>"$RIG_WORK/tx.err" || rc=$?
  t1=$(now)
  for _ in $(seq 100); do kill -0 "$rxpid" 2>/dev/null || break; sleep 0.05; done
  kill -TERM "$rxpid" 2>/dev/null || true
  wait "$rxpid" 2>/dev/null || true
  got=$(stat -c %s "$out")
  if ((rc == 0)) && { ((got != bytes)) || ! cmp -s -n "$bytes" "$out" "$RIG_WORK/input"; }; then
    fail "viamillipede ($key): the output differs from the input"
  fi
  add "$key|mbit" "$(awk -v b="$got" -v a="$t0" -v z="$t1" 'BEGIN { printf "%.1f", b * 8 / (z - a) / 1e6 }')"
  add "$key|resent" "$(jq -r '(.resent_bytes // 0) / 1e6' "$json" 2>/dev/null || echo 0)"
  add "$key|pct" "$(jq -r --argjson b "$bytes" '100 * (.resent_bytes // 0) / $b' "$json" 2>/dev/null || echo 0)"
  log "$key: $(echo "${VAL[$key|mbit]}" | awk '{ print $NF }') Mbit/s$( ((rc == 0)) || echo " (tx exit $rc)")"
}

# iperf_run KEY BYTES ADDR P CC: iperf3 -n BYTES, wall clock, and iperf3's own figure.
iperf_run() {
  local key=$1 bytes=$2 addr=$3 p=$4 cc=$5 srv out t0 t1 rc=0
  PORT=$((PORT + 1))
  spawn srv ip netns exec "$NS_RX" timeout -k 5 $((cap + 30)) iperf3 -s -1 -p "$PORT" >/dev/null 2>&1
  wait_listen "$NS_RX" "$PORT"
  t0=$(now)
  out=$(ip netns exec "$NS_TX" timeout -k 5 "$cap" iperf3 -c "$addr" -p "$PORT" -n "$bytes" \
    -P "$p" -C "$cc" -J 2>/dev/null) || rc=$?
  t1=$(now)
  wait "$srv" 2>/dev/null || true
  if ((rc == 0)); then
    add "$key|mbit" "$(awk -v b="$bytes" -v a="$t0" -v z="$t1" 'BEGIN { printf "%.1f", b * 8 / (z - a) / 1e6 }')"
    add "$key|own" "$(echo "$out" | jq -r '.end.sum_received.bits_per_second / 1e6 * 10 | round / 10')"
  else
    add "$key|mbit" 0
    add "$key|own" 0
  fi
  log "$key: $(echo "${VAL[$key|mbit]}" | awk '{ print $NF }') Mbit/s"
}

# Bytes for a row: reno with few legs moves 15 s of its Mathis rate (1.22 MSS / (RTT sqrt p)).
row_bytes() {
  local cc=$1 legs=$2 loss=$3
  [[ $cc == reno ]] || { echo "$size"; return; }
  awk -v s="$size" -v n="$legs" -v p="$loss" 'BEGIN {
    rate = n * 1.22 * 1448 / 0.040 / sqrt(p / 100); b = int(rate * 15);
    if (b > s) b = s; if (b < 4194304) b = 4194304; print b }'
}

LEGS=(1 4 16)
CCS=(reno bbr)
IFS=, read -r -a LOSSES <<<"$losses"
ORDERS=("30,20,0 60,20,0 100,20,0" "100,20,0 60,20,0 30,20,0")
three_targets="10.77.1.2 PORT tx 10.77.2.2 PORT tx 10.77.3.2 PORT"

for ((round = 1; round <= rounds; round++)); do
  if want lossy; then
    for loss in "${LOSSES[@]}"; do
      rig_up --path "100,40,$loss"
      for cc in "${CCS[@]}"; do
        for legs in "${LEGS[@]}"; do
          b=$(row_bytes "$cc" "$legs" "$loss")
          VAL["bytes|$loss|$cc|$legs"]=$b
          iperf_run "iperf|$loss|$cc|$legs" "$b" 10.77.1.2 "$legs" "$cc"
          vmp_run "vmp|$loss|$cc|$legs" "$b" "tx 10.77.1.2 PORT" threads "$legs" --congestion "$cc" --no-tune
        done
      done
      vmp_run "vmp|$loss|defaults" "$size" "tx 10.77.1.2 PORT" --no-tune
      vmp_run "vmp|$loss|tuner" "$size" "tx 10.77.1.2 PORT"
      "$TOPO" down >/dev/null
    done
  fi
  if want unequal; then
    for order in "${ORDERS[@]}"; do
      read -r -a p <<<"$order"
      rig_up --path "${p[0]}" --path "${p[1]}" --path "${p[2]}"
      vmp_run "vmp|$order|12" "$((size * 2))" "tx $three_targets" threads 12 --no-tune
      vmp_run "vmp|$order|defaults" "$((size * 2))" "tx $three_targets" --no-tune
      vmp_run "vmp|$order|tuner" "$((size * 2))" "tx $three_targets"
      "$TOPO" down >/dev/null
    done
  fi
done

echo
echo "Machine: $(nproc) cores, kernel $(uname -r), $(date -u +%F); $rounds round(s), medians"
echo "Command: $cmdline"
if want lossy; then
  echo
  echo "One path, 100 Mbit/s, 40 ms RTT, random loss; $(numfmt --to=iec "$size")B per run unless noted; Mbit/s by wall clock"
  echo
  echo "| loss | cc | legs | MB moved | iperf3 | (iperf3's own) | viamillipede | ratio | resent MB | resent % |"
  echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"
  for loss in "${LOSSES[@]}"; do
    best=0
    for cc in "${CCS[@]}"; do
      for legs in "${LEGS[@]}"; do
        i=$(median "iperf|$loss|$cc|$legs|mbit") v=$(median "vmp|$loss|$cc|$legs|mbit")
        best=$(awk -v a="$best" -v b="$i" 'BEGIN { print (b > a) ? b : a }')
        printf '| %s%% | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$loss" "$cc" "$legs" \
          "$(awk -v b="${VAL[bytes|$loss|$cc|$legs]}" 'BEGIN { printf "%.0f", b / 1e6 }')" \
          "$i" "$(median "iperf|$loss|$cc|$legs|own")" "$v" \
          "$(awk -v v="$v" -v i="$i" 'BEGIN { if (i > 0) printf "%.2f", v / i; else print "-" }')" \
          "$(median "vmp|$loss|$cc|$legs|resent")" "$(median "vmp|$loss|$cc|$legs|pct" | awk '{ printf "%.1f", $1 }')"
      done
    done
    for row in defaults tuner; do
      v=$(median "vmp|$loss|$row|mbit")
      printf '| %s%% | %s | - | %.0f | best %s | - | %s | %s | %s | %s |\n' "$loss" "$row" "$(awk -v s="$size" 'BEGIN { print s / 1e6 }')" \
        "$best" "$v" "$(awk -v v="$v" -v i="$best" 'BEGIN { if (i > 0) printf "%.2f", v / i; else print "-" }')" \
        "$(median "vmp|$loss|$row|resent")" "$(median "vmp|$loss|$row|pct" | awk '{ printf "%.1f", $1 }')"
    done
  done
fi
if want unequal; then
  echo
  echo "Three paths, 30/60/100 Mbit/s at 20 ms, no loss; $(numfmt --to=iec $((size * 2)))B per run; share of the 190 Mbit/s sum"
  echo
  echo "| order | config | viamillipede Mbit/s | of 190 | resent MB |"
  echo "|---|---|---:|---:|---:|"
  for order in "${ORDERS[@]}"; do
    name=$([[ $order == 30* ]] && echo "slowest first" || echo "fastest first")
    for row in 12 defaults tuner; do
      v=$(median "vmp|$order|$row|mbit")
      label=$([[ $row == 12 ]] && echo "threads 12 --no-tune" || echo "$row")
      printf '| %s | %s | %s | %s | %s |\n' "$name" "$label" "$v" \
        "$(awk -v v="$v" 'BEGIN { printf "%.0f%%", 100 * v / 190 }')" "$(median "vmp|$order|$row|resent")"
    done
  done
fi
