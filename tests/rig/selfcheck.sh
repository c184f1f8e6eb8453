#!/usr/bin/env bash
# Self-checks of the link emulator and topology (issue 3): does the rig do what it claims?
#   selfcheck.sh rtt EMU         measured RTT within 10% of the configured one (two paths)
#   selfcheck.sh rate EMU        a rate-limited path measures within 10% of its rate (iperf3)
#   selfcheck.sh loss EMU        configured loss shows up in the kernel's retransmit counters
#   selfcheck.sh throughput EMU  the emulator carries >= 500 Mbit/s at 40 ms RTT (not the bottleneck)
# Exit 0 pass, 1 fail, 77 skipped.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

check=${1:?rtt|rate|loss|throughput}
rig_init "${2:?path to vmp-linkemu}"

within() {  # within MEASURED EXPECTED PCT
  awk -v m="$1" -v e="$2" -v p="$3" 'BEGIN { d = m - e; if (d < 0) d = -d; exit !(d <= e * p / 100) }'
}

case $check in
  rtt)
    require_tools ping
    rig_up --path 0,40,0 --path 0,100,0
    for spec in 1:40 2:100; do
      n=${spec%%:*}
      want=${spec#*:}
      # -i 0.05 paces the probes; the average of 20 includes any scheduling noise.
      avg=$(in_tx ping -q -n -c 20 -i 0.05 "10.77.$n.2" | awk -F/ '/^rtt/ { print $5 }')
      [[ -n $avg ]] || fail "path $n: no ping replies"
      log "path $n: configured RTT $want ms, measured $avg ms"
      within "$avg" "$want" 10 || fail "path $n: RTT $avg ms not within 10% of $want ms"
    done
    ;;
  rate)
    require_tools iperf3
    rig_up --path 50,20,0 --path 200,20,0
    for spec in 1:50 2:200; do
      n=${spec%%:*}
      want=${spec#*:}
      # tbf counts Ethernet frames; TCP goodput is ~95% of that (headers), well within 10%.
      got=$(iperf3_mbit "10.77.$n.2" 6 -P 2 -O 1)
      log "path $n: configured $want Mbit/s, iperf3 measured $got Mbit/s"
      within "$got" "$want" 10 || fail "path $n: $got Mbit/s not within 10% of $want Mbit/s"
    done
    ;;
  loss)
    require_tools iperf3 nstat
    # No rate limit, so every lost segment is the emulator's doing (no queue overflow).
    # bbr keeps sending fast despite loss, which gives enough segments for a stable ratio.
    rig_up --path 0,20,2
    out0=$(nstat_get "$NS_TX" TcpOutSegs)
    re0=$(nstat_get "$NS_TX" TcpRetransSegs)
    got=$(iperf3_mbit 10.77.1.2 5 -P 2 -C bbr)
    out1=$(nstat_get "$NS_TX" TcpOutSegs)
    re1=$(nstat_get "$NS_TX" TcpRetransSegs)
    segs=$((out1 - out0))
    retrans=$((re1 - re0))
    pct=$(awk -v r="$retrans" -v s="$segs" 'BEGIN { printf "%.2f", s ? 100 * r / s : 0 }')
    log "configured loss 2% per direction; iperf3 $got Mbit/s; kernel: $retrans of $segs segments retransmitted ($pct%)"
    ((segs > 20000)) || fail "too few segments ($segs) for a meaningful loss ratio"
    # Retransmits track the loss: a lost retransmission is retransmitted again and tail
    # probes add a few, so accept 1.5%..3% for a configured 2%.
    awk -v p="$pct" 'BEGIN { exit !(p >= 1.5 && p <= 3.0) }' ||
      fail "retransmit ratio $pct% does not reflect the configured 2% loss"
    ;;
  throughput)
    require_tools iperf3
    rig_up --path 0,40,0
    got=$(iperf3_mbit 10.77.1.2 6 -P 4 -O 1)
    log "40 ms RTT, no rate limit: iperf3 -P 4 measured $got Mbit/s through the emulator"
    awk -v g="$got" 'BEGIN { exit !(g >= 500) }' || fail "emulator carried only $got Mbit/s (< 500)"
    ;;
  *)
    echo "usage: selfcheck.sh rtt|rate|loss|throughput EMU" >&2
    exit 2
    ;;
esac
echo "PASS: selfcheck $check"
