#!/usr/bin/env bash
# How fast do bbr connections that survive a cut in their number take the freed path, with and
# without a restart of their congestion control (src/util/socket_tuning.hpp,
# restart_congestion_control; what TxLeg does when a new genome lowers the legs)? Kernel
# behaviour, measured without viamillipede: on the rig's 100 Mbit/s, 40 ms, 1% loss path,
# N bbr connections send for 8 s, all but KEEP close, and the survivors' summed delivery
# (tcpi_bytes_acked) is printed each second for 6 s; "restart" sets each survivor to reno and
# back to bbr right after the cut. Runs alternate, ROUNDS of each.
#
# Usage (as root): tests/bench/bbr_restart.sh [--emu PATH] [--legs N] [--keep K] [--rounds R]
# Exit: 0 (it asserts nothing), 2 usage, 77 not root or a tool missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
emu=$root/build/tests/rig/vmp-linkemu legs=40 keep=4 rounds=2
while (($#)); do
  case $1 in
    --emu) emu=$2 && shift 2 ;;
    --legs) legs=$2 && shift 2 ;;
    --keep) keep=$2 && shift 2 ;;
    --rounds) rounds=$2 && shift 2 ;;
    *) echo "usage: $0 [--emu PATH] [--legs N] [--keep K] [--rounds R]" >&2 && exit 2 ;;
  esac
done
# shellcheck source=../rig/lib.sh
source "$root/tests/rig/lib.sh"
rig_init "$emu"
require_tools python3
grep -qw bbr /proc/sys/net/ipv4/tcp_available_congestion_control 2>/dev/null ||
  modprobe tcp_bbr 2>/dev/null || skip "no bbr in this kernel"
rig_up --path 100,40,1

cat >"$RIG_WORK/sink.py" <<'PY'
import socket, threading
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("0.0.0.0", 9555))
srv.listen(256)
def drain(c):
    while c.recv(1 << 20):
        pass
while True:
    c, _ = srv.accept()
    threading.Thread(target=drain, args=(c,), daemon=True).start()
PY
cat >"$RIG_WORK/cut.py" <<'PY'
import select, socket, struct, sys, threading, time
host, n, keep, restart = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
socks = []
for _ in range(n):
    s = socket.socket()
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b"bbr")
    s.connect((host, 9555))
    s.setblocking(False)
    socks.append(s)
alive, done, buf = list(socks), False, b"x" * 65536
def pump():
    while not done:
        try:
            _, ready, _ = select.select([], list(alive), [], 0.1)
        except (OSError, ValueError):
            continue
        for s in ready:
            try:
                s.send(buf)
            except OSError:
                pass
threading.Thread(target=pump, daemon=True).start()
def acked(s):  # struct tcp_info: tcpi_bytes_acked is the u64 at offset 120
    return struct.unpack_from("Q", s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256), 120)[0]
time.sleep(8)
survivors = socks[:keep]
for s in socks[keep:]:
    alive.remove(s)
    s.close()
if restart:
    for s in survivors:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b"reno")
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b"bbr")
before = sum(acked(s) for s in survivors)
rates = []
for _ in range(6):
    time.sleep(1)
    now = sum(acked(s) for s in survivors)
    rates.append("%.0f" % ((now - before) * 8 / 1e6))
    before = now
done = True
print(" | ".join(rates))
PY

spawn sink_pid ip netns exec "$NS_RX" python3 "$RIG_WORK/sink.py"
wait_listen "$NS_RX" 9555
echo "$keep bbr connections left of $legs, path 100 Mbit/s 40 ms 1% loss; Mbit/s the survivors delivered in each second after the cut"
echo
echo "| survivors | round | 1 s | 2 s | 3 s | 4 s | 5 s | 6 s |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for r in $(seq 1 "$rounds"); do
  for restart in 0 1; do
    label="left alone"
    ((restart)) && label="restarted"
    echo "| $label | $r | $(in_tx python3 "$RIG_WORK/cut.py" 10.77.1.2 "$legs" "$keep" "$restart") |"
  done
done
