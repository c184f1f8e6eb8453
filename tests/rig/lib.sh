# shellcheck shell=bash
# Shared helpers for the rig's self-checks, tests and benchmark (sourced, not run).
# Conventions: exit 77 = skipped (not root, tool missing), 1 = failed. Every background process
# a script starts is recorded and ended by pid on exit; the topology is torn down on exit.

RIG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOPO=$RIG_DIR/topology.sh
RIG_PREFIX=${VMP_RIG_PREFIX:-vmprig}
NS_TX=$RIG_PREFIX-tx
NS_RX=$RIG_PREFIX-rx
RIG_PIDS=()
RIG_WORK=""

log() { echo "[$(date +%T)] $*" >&2; }
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }

require_root() { [[ $(id -u) -eq 0 ]] || skip "needs root (network namespaces)"; }
require_tools() {
  local t
  for t in "$@"; do command -v "$t" >/dev/null || skip "$t not installed"; done
}

rig_cleanup() {
  local pid
  for pid in "${RIG_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${RIG_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  "$TOPO" down >/dev/null 2>&1 || true
  if [[ -n ${VMP_RIG_KEEP:-} && -n $RIG_WORK ]]; then
    log "work directory kept: $RIG_WORK"
  elif [[ -n $RIG_WORK && -d $RIG_WORK ]]; then
    rm -rf "$RIG_WORK"
  fi
  return 0
}

# rig_init EMU: checks, work dir, cleanup trap.
rig_init() {
  EMU=${1:?path to vmp-linkemu}
  require_root
  require_tools ip tc nft sha256sum timeout
  [[ -x $EMU ]] || skip "emulator $EMU not built"
  # One rig user at a time: the namespaces are shared by name, and a second "up" would tear
  # down the first user's. Wait (bounded) for whoever holds the rig.
  # The lock is fd 9, closed for every process the rig starts (spawn, the emulator daemons), so
  # a leftover of a killed run can never hold it.
  exec 9>"/run/$RIG_PREFIX.lock"
  flock -w 900 9 || fail "rig busy for 15 minutes (lock /run/$RIG_PREFIX.lock)"
  RIG_WORK=$(mktemp -d "${TMPDIR:-/tmp}/vmp-rig.XXXXXX")
  trap rig_cleanup EXIT
  trap 'exit 1' INT TERM
}

rig_up() { "$TOPO" up --emu "$EMU" "$@" >&2 || fail "topology up failed"; }

in_tx() { ip netns exec "$NS_TX" "$@"; }
in_rx() { ip netns exec "$NS_RX" "$@"; }

# spawn VAR CMD...: starts CMD in the background, records its pid for cleanup, stores it in VAR.
spawn() {
  local var=$1
  shift
  # Explicit <&0: a background command in a script otherwise gets /dev/null as stdin.
  "$@" <&0 9>&- &
  RIG_PIDS+=($!)
  printf -v "$var" '%s' $!
}

# wait_listen NS PORT [SECONDS]: polls (bounded) until a TCP socket listens on PORT in NS.
wait_listen() {
  local ns=$1 port=$2 secs=${3:-10} i
  for ((i = 0; i < secs * 20; i++)); do
    [[ -n $(ip netns exec "$ns" ss -Htln "sport = :$port") ]] && return 0
    sleep 0.05
  done
  fail "nothing listens on port $port in $ns after ${secs}s"
}

# wait_bytes PATH_N BYTES [SECONDS]: polls (bounded) until tx has sent BYTES on path N.
wait_path_bytes() {
  local n=$1 want=$2 secs=${3:-60} i
  for ((i = 0; i < secs * 10; i++)); do
    (($("$TOPO" bytes "$n") >= want)) && return 0
    sleep 0.1
  done
  fail "path $n did not carry $want bytes within ${secs}s"
}

# wait_file_size FILE BYTES [SECONDS]: polls (bounded) until FILE has at least BYTES.
wait_file_size() {
  local f=$1 want=$2 secs=${3:-60} i
  for ((i = 0; i < secs * 10; i++)); do
    [[ -f $f ]] && (($(stat -c %s "$f") >= want)) && return 0
    sleep 0.1
  done
  fail "$f did not reach $want bytes within ${secs}s"
}

# make_input FILE MIB: incompressible test data (so a codec cannot flatter any number).
make_input() {
  head -c "$(($2 * 1048576))" /dev/urandom >"$1" || fail "cannot write $1"
}

sha() { sha256sum "$1" | awk '{print $1}'; }

# iperf3_mbit SERVER_ADDR SECONDS [iperf3 client args...]: receiver-side Mbit/s of one run.
iperf3_mbit() {
  local addr=$1 secs=$2 srv out
  shift 2
  # Bounded by timeout: this runs in a command substitution, outside the cleanup's reach.
  spawn srv ip netns exec "$NS_RX" timeout -k 5 $((secs + 40)) iperf3 -s -1 -B "$addr" -p 5201 \
    >"$RIG_WORK/iperf3-server.log" 2>&1
  wait_listen "$NS_RX" 5201
  out=$(ip netns exec "$NS_TX" timeout -k 5 $((secs + 30)) iperf3 -c "$addr" -p 5201 -t "$secs" -J "$@") ||
    fail "iperf3 client failed"
  wait "$srv" 2>/dev/null || true
  echo "$out" | awk -F'[:,]' '/"sum_received"/ { inside = 1 }
    inside && /"bits_per_second"/ { printf "%.1f\n", $2 / 1e6; exit }'
}

# nstat_get NS COUNTER: absolute value of a kernel SNMP counter in a namespace.
nstat_get() { ip netns exec "$1" nstat -az "$2" | awk -v c="$2" '$1 == c { print $2 }'; }

# ---- viamillipede transfers ----------------------------------------------------------------
VMP_PORT=${VMP_PORT:-8834}
TX_TIMEOUT=${TX_TIMEOUT:-300}
RX_TIMEOUT=${RX_TIMEOUT:-320}

# vmp_init VIAMILLIPEDE EMU: rig_init plus the binary under test.
vmp_init() {
  VMP=${1:?path to viamillipede}
  rig_init "${2:?path to vmp-linkemu}"
  [[ -x $VMP ]] || skip "viamillipede binary $VMP not built"
}

# start_rx OUT [rx options...]: the receiver in the rx namespace, stdout into OUT.
start_rx() {
  local out=$1
  shift
  spawn RX_PID ip netns exec "$NS_RX" timeout -k 5 "$RX_TIMEOUT" "$VMP" rx "$VMP_PORT" "$@" \
    >"$out" 2>"$RIG_WORK/rx.err"
  wait_listen "$NS_RX" "$VMP_PORT"
}

# start_tx IN [tx arguments...]: the transmitter in the tx namespace reading IN. With
# SRC_RATE set (pv -L syntax, e.g. 4m), the source is paced by pv, as a slow disk would be.
start_tx() {
  local in=$1
  shift
  if [[ -n ${SRC_RATE:-} ]]; then
    require_tools pv
    # shellcheck disable=SC2016 # expanded by the inner bash, on purpose
    spawn TX_PID bash -c 'set -o pipefail; pv -q -L "$1" "$2" | ip netns exec "$3" "${@:4}"' \
      _ "$SRC_RATE" "$in" "$NS_TX" timeout -k 5 "$TX_TIMEOUT" "$VMP" tx "$@" \
      >"$RIG_WORK/tx.out" 2>"$RIG_WORK/tx.err"
  else
    spawn TX_PID ip netns exec "$NS_TX" timeout -k 5 "$TX_TIMEOUT" "$VMP" tx "$@" \
      <"$in" >"$RIG_WORK/tx.out" 2>"$RIG_WORK/tx.err"
  fi
}

show_logs() {
  local f
  for f in "$RIG_WORK"/tx.err "$RIG_WORK"/rx.err; do
    [[ -s $f ]] && { echo "--- tail of ${f##*/}:"; tail -n 15 "$f"; }
  done >&2
  "$TOPO" status >&2 2>&1 || true
}

# finish_transfer IN OUT: waits for both ends; both must exit 0 and OUT must equal IN byte for
# byte (sha256).
finish_transfer() {
  local rc_tx=0 rc_rx=0
  wait "$TX_PID" || rc_tx=$?
  if ((rc_tx != 0)); then
    show_logs
    ((rc_tx == 124 || rc_tx == 137)) && fail "transmitter timed out after ${TX_TIMEOUT}s"
    fail "transmitter exit $rc_tx"
  fi
  # The transmitter exits 0 only once the receiver confirmed every byte, so the receiver is
  # ending too: give it a bounded moment.
  local i
  for ((i = 0; i < 200; i++)); do
    kill -0 "$RX_PID" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$RX_PID" 2>/dev/null && { show_logs; fail "receiver still running 10 s after the transmitter ended"; }
  wait "$RX_PID" || rc_rx=$?
  ((rc_rx == 0)) || { show_logs; fail "receiver exit $rc_rx"; }
  local a b
  a=$(sha "$1")
  b=$(sha "$2")
  if [[ $a != "$b" ]]; then
    show_logs
    fail "sha256 differs: in $a ($(stat -c %s "$1") B), out $b ($(stat -c %s "$2") B)"
  fi
  log "sha256 equal ($a, $(stat -c %s "$2") bytes)"
}

path_bytes() { "$TOPO" bytes "$1"; }

# watch_growth FILE LOG: in the background, every 100 ms, "seconds-since-epoch size" of FILE
# into LOG, until the rig is cleaned up (for longest_stop).
watch_growth() {
  # shellcheck disable=SC2016 # expanded by the inner bash, on purpose
  spawn WATCH_PID bash -c 'while :; do echo "$(date +%s.%N) $(stat -c %s "$1" 2>/dev/null || echo 0)"; sleep 0.1; done' \
    _ "$1" >"$2"
}

# longest_stop LOG FROM TO: the longest time, in seconds, that FILE of watch_growth did not
# grow between having FROM bytes and having TO (the stream stood still there).
longest_stop() {
  awk -v from="$2" -v to="$3" '
    $2 < from { next }
    !started { started = 1; at = $1; last = $2 }
    $2 > last { if ($1 - at > worst) worst = $1 - at; at = $1; last = $2 }
    { now = $1 }
    $2 >= to { done = 1; exit }
    END { if (!done && now - at > worst) worst = now - at; printf "%.1f\n", worst }' "$1"
}
