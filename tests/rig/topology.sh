#!/usr/bin/env bash
# Network rig topology: a transmitter host and a receiver host (network namespaces) joined by
# 1-3 emulated WAN paths. Each path i is
#
#   [tx ns] pathi 10.77.i.1/24 --veth-- a [router ns ri: vmp-linkemu + tbf] b --veth-- pathi 10.77.i.2/24 [rx ns]
#
# The router namespace has no IP stack configured at all: vmp-linkemu bridges a<->b at layer 2,
# adding delay / loss / outages, and tbf on a's and b's egress sets the rate. Neighbour entries
# are static, so a link that is "down" is a silent blackhole (like a WAN path behind a router),
# not a fast "host unreachable".
#
# Usage (as root):
#   topology.sh up [--emu PATH] [--jitter MS] --path RATE,RTT[,LOSS] [--path ...]   (1-3 paths)
#       RATE in Mbit/s (0 = unlimited), RTT in ms (split evenly between the directions),
#       LOSS in percent, applied to each direction.
#   topology.sh down                 tear everything down (safe to run any time, idempotent)
#   topology.sh status               namespaces, emulators, qdiscs, byte counters
#   topology.sh link N down|up       take path N down / bring it up (on demand, via signals)
#   topology.sh rate N MBIT          change path N's rate (both directions) while it carries traffic
#   topology.sh bytes N              bytes the transmitter host has sent on path N (nftables)
#   topology.sh exec tx|rx|rN CMD... run a command inside a namespace
#
# Names: namespaces are "$VMP_RIG_PREFIX-tx", "-rx", "-r1".."-r3" (prefix default "vmprig"), so
# reruns find and replace what a crashed run left. Addresses 10.77.i.0/24 exist only inside
# these namespaces; nothing is routed to or from the host.
# Exit codes: 0 ok, 1 failure, 2 usage, 77 not root or a tool missing (ctest: skipped).
set -euo pipefail

PREFIX=${VMP_RIG_PREFIX:-vmprig}
STATE=/run/$PREFIX
NS_TX=$PREFIX-tx
NS_RX=$PREFIX-rx

die() { echo "topology.sh: $*" >&2; exit 1; }
skip() { echo "topology.sh: SKIP: $*" >&2; exit 77; }

need_root() {
  [[ $(id -u) -eq 0 ]] || skip "must run as root (network namespaces, veth, tc, AF_PACKET)"
  for tool in ip tc nft; do
    command -v "$tool" >/dev/null || skip "$tool not found (install iproute2 / nftables)"
  done
}

rns() { echo "$PREFIX-r$1"; }

# Every process still running inside our namespaces was started by the rig (emulators, or
# test tools a crashed run left behind): end them by pid, TERM first, then KILL.
kill_ns_pids() {
  local ns=$1 pids pid i
  pids=$(ip netns pids "$ns" 2>/dev/null || true)
  [[ -n $pids ]] || return 0
  for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
  for ((i = 0; i < 40; i++)); do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [[ -z $pids ]] && return 0
    sleep 0.05
  done
  for pid in $pids; do kill -KILL "$pid" 2>/dev/null || true; done
}

cmd_down() {
  local ns
  for ns in $(ip netns list | awk '{print $1}'); do
    case $ns in
      "$NS_TX" | "$NS_RX" | "$PREFIX"-r[0-9])
        kill_ns_pids "$ns"
        ip netns del "$ns" 2>/dev/null || true
        ;;
    esac
  done
  rm -rf "$STATE"
}

# tbf with a burst big enough for the timer granularity and a queue of about one
# bandwidth-delay product (the classic router buffer), at least 64 KiB.
add_tbf() {
  local ns=$1 dev=$2 rate=$3 rtt=$4
  [[ $rate == 0 ]] && return 0
  local bytes_per_s=$((rate * 125000))
  local burst=$((bytes_per_s / 200))
  ((burst < 32768)) && burst=32768
  local limit=$(((bytes_per_s / 1000) * (rtt > 0 ? rtt : 1)))
  ((limit < 65536)) && limit=65536
  ip -n "$ns" link set dev "$dev" txqueuelen 10000
  tc -n "$ns" qdisc replace dev "$dev" root tbf rate "${rate}mbit" burst "$burst" limit "$limit"
}

# One segment per packet on the hosts' path interfaces: otherwise the kernel hands 64 KiB
# GSO super-packets to the emulator and "1% loss" would drop 44 segments at a time.
no_offload() {
  local ns=$1 dev=$2
  if command -v ethtool >/dev/null; then
    ip netns exec "$ns" ethtool -K "$dev" tso off gso off gro off >/dev/null 2>&1 && return 0
  fi
  ip -n "$ns" link set dev "$dev" gso_max_segs 1 2>/dev/null ||
    die "cannot turn off segmentation offload on $dev (install ethtool)"
}

ns_sysctls() {
  local ns=$1
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$ns" link set lo up
}

cmd_up() {
  local emu="" jitter=0 paths=()
  while (($#)); do
    case $1 in
      --emu) emu=$2; shift 2 ;;
      --path) paths+=("$2"); shift 2 ;;
      --jitter) jitter=$2; shift 2 ;;
      *) echo "topology.sh: unknown option $1" >&2; exit 2 ;;
    esac
  done
  ((${#paths[@]} >= 1 && ${#paths[@]} <= 3)) || { echo "topology.sh: need 1-3 --path" >&2; exit 2; }
  if [[ -z $emu ]]; then
    emu=$(command -v vmp-linkemu || true)
    [[ -n $emu ]] || die "vmp-linkemu not found: pass --emu PATH"
  fi
  [[ -x $emu ]] || die "emulator $emu is not executable"

  cmd_down
  mkdir -p "$STATE"
  printf '%s\n' "${paths[@]}" >"$STATE/paths"
  ip netns add "$NS_TX"
  ip netns add "$NS_RX"
  ns_sysctls "$NS_TX"
  ns_sysctls "$NS_RX"

  local i=0 spec rate rtt loss r
  for spec in "${paths[@]}"; do
    i=$((i + 1))
    IFS=, read -r rate rtt loss <<<"$spec"
    loss=${loss:-0}
    [[ $rate =~ ^[0-9]+$ && $rtt =~ ^[0-9]+$ && $loss =~ ^[0-9.]+$ ]] ||
      { echo "topology.sh: bad --path '$spec' (want RATE_MBIT,RTT_MS[,LOSS_PCT])" >&2; exit 2; }
    r=$(rns "$i")
    ip netns add "$r"
    ip -n "$r" link set lo up
    ip link add "path$i" netns "$NS_TX" type veth peer name a netns "$r"
    ip link add "path$i" netns "$NS_RX" type veth peer name b netns "$r"
    ip -n "$NS_TX" addr add "10.77.$i.1/24" dev "path$i"
    ip -n "$NS_RX" addr add "10.77.$i.2/24" dev "path$i"
    for dev in a b; do
      ip -n "$r" link set dev "$dev" promisc on up
      ip netns exec "$r" sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1" 2>/dev/null || true
    done
    no_offload "$NS_TX" "path$i"
    no_offload "$NS_RX" "path$i"
    ip -n "$NS_TX" link set "path$i" up
    ip -n "$NS_RX" link set "path$i" up
    local mac_tx mac_rx
    mac_tx=$(ip -n "$NS_TX" -br link show "path$i" | awk '{print $3}')
    mac_rx=$(ip -n "$NS_RX" -br link show "path$i" | awk '{print $3}')
    ip -n "$NS_TX" neigh replace "10.77.$i.2" lladdr "$mac_rx" dev "path$i" nud permanent
    ip -n "$NS_RX" neigh replace "10.77.$i.1" lladdr "$mac_tx" dev "path$i" nud permanent
    add_tbf "$r" b "$rate" "$rtt"
    add_tbf "$r" a "$rate" "$rtt"
    local half
    half=$(awk -v r="$rtt" 'BEGIN{printf "%.3f", r/2}')
    # The delay line must hold one direction's worth of in-flight bytes at full speed.
    ip netns exec "$r" "$emu" --side-a a --side-b b --delay "$half" --jitter "$jitter" --loss "$loss" \
      --seed "$i" --daemon --pidfile "$STATE/emu$i.pid" --log "$STATE/emu$i.log" 9>&- ||
      die "path $i: emulator failed to start: $(tail -n 3 "$STATE/emu$i.log" 2>/dev/null)"
  done

  # Byte counters per path on the transmitter (what it puts on each path, headers included).
  {
    echo "table inet vmprig {"
    for ((j = 1; j <= i; j++)); do echo "  counter path$j { }"; done
    echo "  chain out { type filter hook output priority 0; policy accept;"
    for ((j = 1; j <= i; j++)); do echo "    oifname \"path$j\" counter name \"path$j\""; done
    echo "  }"
    echo "}"
  } | ip netns exec "$NS_TX" nft -f -
  echo "topology.sh: up: $i path(s): ${paths[*]}"
}

emu_pid() {
  local f="$STATE/emu$1.pid"
  [[ -s $f ]] || die "path $1 has no emulator (is the rig up?)"
  local pid
  pid=$(<"$f")
  # The pid is ours only if that process is the emulator started with this very pidfile.
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--pidfile $f" ||
    die "path $1: emulator $pid is not running"
  echo "$pid"
}

cmd_link() {
  local n=${1:?path number} state=${2:?down|up} pid
  pid=$(emu_pid "$n")
  case $state in
    down) kill -USR1 "$pid" ;;
    up) kill -USR2 "$pid" ;;
    *) echo "topology.sh: link N down|up" >&2; exit 2 ;;
  esac
}

# The tbf is replaced in place (same queue sizing rule as at setup, from the path's RTT); the
# emulator and every connection on the path are untouched.
cmd_rate() {
  local n=${1:?path number} rate=${2:?rate in Mbit/s} rtt
  [[ $rate =~ ^[1-9][0-9]*$ ]] || { echo "topology.sh: rate N MBIT (MBIT >= 1)" >&2; exit 2; }
  emu_pid "$n" >/dev/null
  IFS=, read -r _ rtt _ <<<"$(sed -n "${n}p" "$STATE/paths")"
  add_tbf "$(rns "$n")" b "$rate" "$rtt"
  add_tbf "$(rns "$n")" a "$rate" "$rtt"
}

cmd_bytes() {
  local n=${1:?path number}
  ip netns exec "$NS_TX" nft list counter inet vmprig "path$n" |
    awk '/packets/ { for (k = 1; k < NF; k++) if ($k == "bytes") print $(k + 1) }'
}

cmd_status() {
  ip netns list | grep -E "^$PREFIX-" || { echo "rig is down"; return 0; }
  local f i
  for f in "$STATE"/emu*.pid; do
    [[ -e $f ]] || continue
    i=${f##*/emu}
    i=${i%.pid}
    echo "== path $i: $(sed -n "${i}p" "$STATE/paths") (rate Mbit/s, RTT ms, loss %), emulator pid $(<"$f")"
    kill -HUP "$(<"$f")" 2>/dev/null && sleep 0.1
    tail -n 2 "$STATE/emu$i.log"
    tc -n "$(rns "$i")" -s qdisc show dev b | head -n 3
    echo "bytes sent by tx on path$i: $(cmd_bytes "$i")"
  done
}

cmd_exec() {
  local where=${1:?tx|rx|rN}
  shift
  case $where in
    tx) exec ip netns exec "$NS_TX" "$@" ;;
    rx) exec ip netns exec "$NS_RX" "$@" ;;
    r[1-3]) exec ip netns exec "$PREFIX-$where" "$@" ;;
    *) echo "topology.sh: exec tx|rx|rN CMD..." >&2; exit 2 ;;
  esac
}

case ${1:-} in
  up) need_root; shift; cmd_up "$@" ;;
  down) need_root; cmd_down ;;
  status) need_root; cmd_status ;;
  link) need_root; shift; cmd_link "$@" ;;
  rate) need_root; shift; cmd_rate "$@" ;;
  bytes) need_root; shift; cmd_bytes "$@" ;;
  exec) need_root; shift; cmd_exec "$@" ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
