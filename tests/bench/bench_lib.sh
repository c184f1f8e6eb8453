# shellcheck shell=bash
# The variables set here are the sourcing script's (options, HOST, RC_RX, ...).
# shellcheck disable=SC2034
# What the benchmark scripts of this folder share (sourced, not run; crypto_bench.sh,
# sidechain_bench.sh): their common options, tool checks, the work dir and the cleanup of
# background processes, where the two ends run (loopback or the rig's emulated WAN), one run's
# two ends under `timeout` and `/usr/bin/time`, medians.
#
# The sourcing script sets `set -euo pipefail` and `here` (its directory), and the defaults of
# the variables the common options set (see bench_parse_args), before calling anything here.
# Messages name the script (${0##*/}).

# ---- options -------------------------------------------------------------------------------
# bench_usage: the script's header comment (line 2 to `set -euo pipefail`) on stderr, exit 2.
bench_usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }

# BENCH_EXTRA_OPTS[--opt]=VAR: a script's own options that take a value, stored in VAR.
declare -A BENCH_EXTRA_OPTS=()

# bench_parse_args "$@": the common options --size --rounds --bin --only --tx-args --timeout
# --wan --wan-size --wan-path (into size_arg rounds bin only tx_args timeout_s(+timeout_given)
# wan_emu wan_size_arg wan_path), -h/--help, and BENCH_EXTRA_OPTS. Sets cmdline (for the
# report), size and wan_size (bytes), and checks rounds.
bench_parse_args() {
  cmdline="tests/bench/${0##*/}$(printf ' %q' "$@")"
  while (($#)); do
    case $1 in
      --size) size_arg=$2; shift 2 ;;
      --rounds) rounds=$2; shift 2 ;;
      --bin) bin=$2; shift 2 ;;
      --only) only=$2; shift 2 ;;
      --tx-args) tx_args=$2; shift 2 ;;
      --timeout) timeout_s=$2; timeout_given=1; shift 2 ;;
      --wan) wan_emu=$2; shift 2 ;;
      --wan-size) wan_size_arg=$2; shift 2 ;;
      --wan-path) wan_path=$2; shift 2 ;;
      -h | --help) bench_usage ;;
      *)
        if [[ -n ${BENCH_EXTRA_OPTS[$1]:-} ]]; then
          printf -v "${BENCH_EXTRA_OPTS[$1]}" '%s' "$2"
          shift 2
        else
          echo "${0##*/}: unknown option $1" >&2
          bench_usage
        fi
        ;;
    esac
  done
  size=$(numfmt --from=iec "$size_arg")
  wan_size=$(numfmt --from=iec "$wan_size_arg")
  [[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "--rounds wants a positive integer" >&2; exit 2; }
}

want() { [[ ,$only, == *,$1,* ]]; }

# bench_need_tools TOOL...: exit 2 naming the first one missing; /usr/bin/time is always needed.
bench_need_tools() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null || { echo "${0##*/}: $t not installed" >&2; exit 2; }
  done
  [[ -x /usr/bin/time ]] || { echo "${0##*/}: /usr/bin/time not installed" >&2; exit 2; }
}

# ---- processes and cleanup -----------------------------------------------------------------
# bench_init NAME: the work dir ($work, ${TMPDIR:-/tmp}/NAME.XXXXXX) and the traps.
# BENCH_AT_EXIT: commands (function names) the cleanup runs after the background processes
# are gone, before the work dir is removed (e.g. sshd_stop).
BG_PIDS=()
BENCH_AT_EXIT=()
bench_init() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  trap cleanup EXIT
  trap 'exit 1' INT TERM
}
cleanup() {
  local pid f
  # The recorded pids are `timeout` processes: TERM makes each end its own process group.
  for pid in "${BG_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${BG_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  for f in "${BENCH_AT_EXIT[@]}"; do "$f" || true; done
  rm -rf "$work"
  return 0
}

# start_bg VAR CMD...: CMD in the background (fd 9, the rig lock, closed), pid recorded and in VAR.
start_bg() {
  local var=$1
  shift
  "$@" 9>&- &
  BG_PIDS+=($!)
  printf -v "$var" '%s' $!
}
# reap PID: wait for it (status in REAPED) and forget it, so cleanup never signals a reused pid.
reap() {
  local p keep=()
  REAPED=0
  wait "$1" || REAPED=$?
  for p in "${BG_PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
  BG_PIDS=("${keep[@]}")
}

# ---- where the two ends run ----------------------------------------------------------------
# Loopback: both on this host at 127.0.0.1. WAN: the rig's namespaces (set by setup_wan).
HOST=127.0.0.1
NSRX=() NSTX=()
port=$((20000 + RANDOM % 20000))
in_rx_ns() { "${NSRX[@]}" "$@"; }

listening() { [[ -n $(in_rx_ns ss -ltnH "sport = :$1") ]]; }
# A fresh port per run, not bound by any socket (listening, connected or in TIME_WAIT).
next_port() {
  port=$((port + 1))
  ((port < 60000)) || port=20000
  while [[ -n $(in_rx_ns ss -tanH "sport = :$port") ]]; do port=$((port + 1)); done
}
wait_port() {
  local i
  for ((i = 0; i < 500; i++)); do
    listening "$1" && return 0
    sleep 0.02
  done
  echo "nothing listens on port $1" >&2
  return 1
}

# shellcheck disable=SC2154  # here: set by the sourcing script
setup_wan() {
  # shellcheck source-path=SCRIPTDIR source=../rig/lib.sh
  source "$here/../rig/lib.sh"
  rig_init "$wan_emu"           # root, tools, the rig lock (fd 9), its own work dir and traps
  trap 'cleanup; rig_cleanup' EXIT  # ours and the rig's (topology down)
  trap 'exit 1' INT TERM
  rig_up --path "$wan_path"
  # Without --timeout: room for the WAN input at half the link rate.
  local rate=${wan_path%%,*}
  if [[ $timeout_given == 0 && $rate =~ ^[1-9][0-9]*$ ]]; then
    local t=$((60 + wan_size / (rate * 125000 / 2)))
    ((t > timeout_s)) && timeout_s=$t
  fi
  HOST=10.77.1.2
  NSRX=(ip netns exec "$NS_RX")
  NSTX=(ip netns exec "$NS_TX")
}

# ---- one run's two ends --------------------------------------------------------------------
# run_ends RXCMD TXCMD TXOUT: the receiving side `bash -c RXCMD` (none when RXCMD is empty),
# once it listens on $port the transmitting side `bash -c TXCMD` (stdout to TXOUT), each under
# `timeout $timeout_s` and /usr/bin/time (into $work/rx.time, $work/tx.time; stderr into
# $work/rx.err, $work/tx.err), in the rig's namespaces when set. Waits for both; sets RC_TX,
# RC_RX (0 without a receiver), T0 and T1 (wall clock around the transmitter's start and the
# last end's exit). Returns 2 (with rx.err on stderr) when the receiver never listened.
run_ends() {
  local rxcmd=$1 txcmd=$2 txout=$3 rxpid="" txpid
  RC_TX=0 RC_RX=0
  if [[ -n $rxcmd ]]; then
    start_bg rxpid timeout -k 5 "$timeout_s" /usr/bin/time -f '%U %S' -o "$work/rx.time" \
      "${NSRX[@]}" bash -c "set -o pipefail; $rxcmd" </dev/null 2>"$work/rx.err"
    if ! wait_port "$port"; then
      kill -TERM "$rxpid" 2>/dev/null || true
      reap "$rxpid"
      [[ -s $work/rx.err ]] && { echo "--- rx.err:"; tail -n 8 "$work/rx.err"; } >&2
      return 2
    fi
  fi
  T0=$(date +%s.%N)
  start_bg txpid timeout -k 5 "$timeout_s" /usr/bin/time -f '%U %S' -o "$work/tx.time" \
    "${NSTX[@]}" bash -c "set -o pipefail; $txcmd" </dev/null >"$txout" 2>"$work/tx.err"
  reap "$txpid"
  RC_TX=$REAPED
  if [[ -n $rxpid ]]; then
    # A failed transmitter may leave the receiver waiting for ever: end it.
    ((RC_TX == 0)) || kill -TERM "$rxpid" 2>/dev/null || true
    reap "$rxpid"
    RC_RX=$REAPED
  fi
  T1=$(date +%s.%N)
  return 0
}

# report_failed WHAT [LOG...]: "FAILED: WHAT" and the tails of tx.err, rx.err and the LOGs.
report_failed() {
  local f
  {
    echo "FAILED: $1"
    shift
    for f in "$work/tx.err" "$work/rx.err" "$@"; do
      [[ -s $f ]] && { echo "--- ${f##*/}:"; tail -n 8 "$f"; }
    done
  } >&2
  return 0
}

# ends_cpu: user + sys seconds of both ends of the last run (rx.time, tx.time).
ends_cpu() {
  local f
  for f in rx.time tx.time; do tail -n 1 "$work/$f"; done | awk '{ s += $1 + $2 } END { print s }'
}
# ends_secs: T1 - T0.
ends_secs() { awk -v a="$T0" -v b="$T1" 'BEGIN { print b - a }'; }

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# ---- inputs and entries --------------------------------------------------------------------
# SHA[INPUT]: the input's sha256; output_matches INPUT: $work/out.sha (the verify run's output
# digest) is that.
declare -A SHA
output_matches() { [[ $(cat "$work/out.sha" 2>/dev/null) == "${SHA[$1]}" ]]; }
# entry SCEN INDEX INPUT: one contender on one input, for the script's bench().
E_SCEN=() E_IDX=() E_IN=()
entry() { E_SCEN+=("$1"); E_IDX+=("$2"); E_IN+=("$3"); }

# try ARGS: run_one ARGS, once more on a fresh port when the receiver never listened.
try() {
  local rc=0
  run_one "$@" || rc=$?
  if ((rc == 2)); then
    echo "retrying on a fresh port" >&2
    rc=0
    run_one "$@" || rc=$?
  fi
  return "$rc"
}
