#!/usr/bin/env bash
# Benchmark on the network rig: viamillipede with 1/4/8/16 legs (cubic and bbr per leg when the
# binary has --congestion) against nc, socat, mbuffer and iperf3 -P N, same run, same rig.
# Prints a markdown table (scenario, tool, legs/cc, MB/s, Mbit/s, % of link). Not a test: it
# asserts nothing, but ends with a line saying whether issue 3's targets were met.
#
# Usage (as root): bench.sh VIAMILLIPEDE VMP-LINKEMU [scenario...]
#   scenarios: loopback lossy three   (default: all three)
# Environment: CAP_S (default 25) caps each run; a run that hits the cap is reported from the
# bytes that arrived by then, marked "(capped)".
#
# Scenarios:
#   loopback  both ends on 127.0.0.1 inside the tx namespace, 1 GiB
#   lossy     one path: 100 Mbit/s, 40 ms RTT, 1% loss each way, 100 MiB
#   three     three paths: 30, 60, 100 Mbit/s, 20 ms RTT, 200 MiB; single-connection tools
#             use the 100 Mbit/s path, viamillipede gets all three (fastest first)
#
# Congestion control: a fresh namespace defaults to bbr and refuses cubic as its default, so
# nc, mbuffer and iperf3 without -C run with bbr. The "single TCP with cubic" reference is
# socat with TCP_CONGESTION=cubic set on its socket (setsockopt-string=6:13:cubic), and
# iperf3 -P 1 -C cubic.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
VMP=${1:?path to viamillipede}
shift
rig_init "${1:?path to vmp-linkemu}"
shift
require_tools nc socat mbuffer iperf3 ss
[[ -x $VMP ]] || skip "viamillipede binary $VMP not built"
SCENARIOS=("$@")
((${#SCENARIOS[@]})) || SCENARIOS=(loopback lossy three)
CAP_S=${CAP_S:-25}
PORT=8834

HAS_CC=0
"$VMP" --help 2>&1 | grep -q -- --congestion && HAS_CC=1
VMP_EXTRA=()
"$VMP" --help 2>&1 | grep -q -- --no-tune && VMP_EXTRA+=(--no-tune)

now() { date +%s.%N; }
RESULTS=()
declare -A MBIT  # "scenario|tool" -> best Mbit/s, for the targets summary
note_best() {
  local key="$1|$2" v=$3
  if [[ -z ${MBIT[$key]:-} ]] || awk -v a="$v" -v b="${MBIT[$key]}" 'BEGIN { exit !(a > b) }'; then
    MBIT[$key]=$v
  fi
}

# measure NAME LEGS_CC NS_RX_SIDE LINK_MBIT "RX CMD" "TX CMD"
# The receiver writes into a file; throughput = bytes received / (receiver done - tx start).
# A run past CAP_S is ended (timeout ends the whole process group) and counted from the bytes
# that arrived by then.
measure() {
  local name=$1 cfg=$2 rxns=$3 link=$4 rxcmd=$5 txcmd=$6
  local out=$RIG_WORK/out rxpid txpid t0 t1 capped="" bytes rc=0
  rm -f "$out"
  # shellcheck disable=SC2086 # the commands are word lists on purpose
  spawn rxpid ip netns exec "$rxns" timeout -k 5 $((CAP_S + 20)) $rxcmd >"$out" 2>"$RIG_WORK/rx.err"
  wait_listen "$rxns" "$PORT"
  t0=$(now)
  # shellcheck disable=SC2086
  spawn txpid ip netns exec "$NS_TX" timeout -k 5 "$CAP_S" $txcmd <"$RIG_WORK/input" >/dev/null 2>"$RIG_WORK/tx.err"
  wait "$txpid" || rc=$?
  if ((rc == 124 || rc == 137)); then
    t1=$(now)
    capped=" (capped)"
  else
    # Done when every byte is in the receiver's output (or the receiver ended). Some senders
    # exit before their data arrives, so the sender's exit alone is not the end.
    local want i
    want=$(stat -c %s "$RIG_WORK/input")
    for ((i = 0; i < 1000; i++)); do
      (($(stat -c %s "$out") >= want)) && break
      kill -0 "$rxpid" 2>/dev/null || break
      sleep 0.02
    done
    t1=$(now)
    ((rc == 0)) || capped=" (tx exit $rc)"
  fi
  kill -TERM "$rxpid" 2>/dev/null || true
  wait "$rxpid" || true
  bytes=$(stat -c %s "$out")
  local row
  row=$(awk -v b="$bytes" -v a="$t0" -v z="$t1" -v l="$link" \
    'BEGIN { s = z - a; mbs = b / s / 1048576; mbit = b * 8 / s / 1e6;
             pct = "-"; if (l > 0) pct = sprintf("%.0f%%", 100 * mbit / l);
             printf "%.1f | %.1f | %s", mbs, mbit, pct }')
  RESULTS+=("| $SCEN | $name | $cfg | $row$capped |")
  note_best "$SCEN" "$name" "$(awk -v b="$bytes" -v a="$t0" -v z="$t1" 'BEGIN { print b * 8 / (z - a) / 1e6 }')"
  log "$SCEN $name $cfg: $row$capped"
  rm -f "$out"
  # A fresh port per run: no run waits on another's TIME_WAIT sockets.
  PORT=$((PORT + 1))
}

iperf_run() {
  local addr=$1 link=$2 p=$3 cc=${4:-}
  local args=(-P "$p" -t 10 -O 2) srv out mbit
  [[ -n $cc ]] && args+=(-C "$cc")
  spawn srv ip netns exec "$SRV_NS" timeout -k 5 40 iperf3 -s -1 -p "$PORT" >/dev/null 2>&1
  wait_listen "$SRV_NS" "$PORT"
  out=$(ip netns exec "$NS_TX" timeout -k 5 30 iperf3 -c "$addr" -p "$PORT" "${args[@]}" -J) || out=""
  wait "$srv" || true
  mbit=$(echo "$out" | awk -F'[:,]' '/"sum_received"/ { f = 1 } f && /"bits_per_second"/ { print $2 / 1e6; exit }')
  mbit=${mbit:-0}
  RESULTS+=("| $SCEN | iperf3 -P $p | $p conn, ${cc:-bbr} | $(awk -v m="$mbit" -v l="$link" \
    'BEGIN { pct = "-"; if (l > 0) pct = sprintf("%.0f%%", 100 * m / l);
             printf "%.1f | %.1f | %s", m / 8.388608, m, pct }') |")
  log "$SCEN iperf3 -P $p ${cc:-bbr}: $mbit Mbit/s"
  [[ $cc == cubic && $p == 1 ]] && note_best "$SCEN" "iperf3 cubic" "$mbit"
  PORT=$((PORT + 1))
}

run_scenario() {
  SCEN=$1
  local addr link size targets=()
  case $SCEN in
    loopback)
      rig_up --path 0,0,0
      SRV_NS=$NS_TX addr=127.0.0.1 link=0 size=1024
      targets=(127.0.0.1 PORT)
      ;;
    lossy)
      rig_up --path 100,40,1
      SRV_NS=$NS_RX addr=10.77.1.2 link=100 size=100
      targets=(10.77.1.2 PORT)
      ;;
    three)
      rig_up --path 100,20,0 --path 60,20,0 --path 30,20,0
      SRV_NS=$NS_RX addr=10.77.1.2 link=190 size=200
      targets=(10.77.1.2 PORT tx 10.77.2.2 PORT tx 10.77.3.2 PORT)
      ;;
  esac
  head -c $((size * 1048576)) "$RIG_WORK/data" >"$RIG_WORK/input"
  local legs cc ccs=(default)
  ((HAS_CC)) && ccs=(cubic bbr)
  for legs in 1 4 8 16; do
    for cc in "${ccs[@]}"; do
      local ccarg=()
      [[ $cc != default ]] && ccarg=(--congestion "$cc")
      local t="${targets[*]}"
      t=${t//PORT/$PORT}
      measure viamillipede "$legs legs, $cc" "$SRV_NS" "$link" \
        "$VMP rx $PORT" "$VMP tx $t threads $legs ${ccarg[*]} ${VMP_EXTRA[*]}"
    done
  done
  measure nc "1 conn, bbr" "$SRV_NS" "$link" "nc -l $PORT" "nc -N $addr $PORT"
  measure socat "1 conn, cubic" "$SRV_NS" "$link" \
    "socat -u TCP-LISTEN:$PORT,reuseaddr STDOUT" "socat -u STDIN TCP:$addr:$PORT,setsockopt-string=6:13:cubic"
  measure mbuffer "1 conn, bbr" "$SRV_NS" "$link" \
    "mbuffer -q -m 64M -I $PORT -o -" "mbuffer -q -m 64M -O $addr:$PORT"
  iperf_run "$addr" "$link" 1 cubic
  for p in 1 4 8 16; do iperf_run "$addr" "$link" "$p"; done
  "$TOPO" down >/dev/null
}

head -c $((1024 * 1048576)) /dev/urandom >"$RIG_WORK/data"
for s in "${SCENARIOS[@]}"; do run_scenario "$s"; done

echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r), $(date -u +%F)"
echo "Command: tests/rig/bench.sh ${SCENARIOS[*]} (CAP_S=$CAP_S)"
echo
echo "| scenario | tool | legs / cc | MB/s | Mbit/s | % of link |"
echo "| --- | --- | --- | ---: | ---: | ---: |"
printf '%s\n' "${RESULTS[@]}"

target() {  # target TEXT CONDITION-AWK-EXPR
  if awk "BEGIN { exit !($2) }"; then echo "- met: $1"; else echo "- NOT met: $1"; fi
}
echo
echo "Targets (issue 3):"
if [[ -n ${MBIT[lossy|viamillipede]:-} ]]; then
  v=${MBIT[lossy|viamillipede]} c=${MBIT[lossy|socat]:-0}
  target "lossy path: best viamillipede $(printf %.1f "$v") Mbit/s >= 90% of 100 Mbit/s" "$v >= 90"
  target "lossy path: >= 5x a single cubic connection (socat, $(printf %.1f "$c") Mbit/s)" "$v >= 5 * $c"
fi
if [[ -n ${MBIT[three|viamillipede]:-} ]]; then
  v=${MBIT[three|viamillipede]}
  target "three paths: best viamillipede $(printf %.1f "$v") Mbit/s >= 90% of 190 Mbit/s" "$v >= 171"
fi
