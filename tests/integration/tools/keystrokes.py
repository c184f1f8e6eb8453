#!/usr/bin/env python3
"""Interactive latency through a full-duplex pair of commands.

keystrokes.py N GAP_MS --echo ECHO_CMD... -- CMD...: starts ECHO_CMD with pipes and copies
whatever it writes on stdout back into its stdin (the far end of the pair turned into an
echo), closing its stdin at its end of file. Then starts CMD with pipes and sends N single
bytes, each after the previous one came back (then GAP_MS of quiet), timing every round
trip; then closes CMD's stdin, reads to its end of file and waits for both. Prints one JSON
line: count, median_ms, p90_ms, max_ms, exit and echo_exit (the statuses), extra (bytes
after the echoes; want 0). Exits 1 when an echo does not come back within 10 s or is wrong.
With --listening PORT (before --echo), CMD starts only once something listens on TCP PORT
(an echo server that ECHO_CMD starts, which CMD reaches through a tunnel).
"""
import json
import os
import select
import statistics
import subprocess
import sys
import threading
import time


def echo(proc: subprocess.Popen) -> None:
    out = proc.stdout.fileno()
    while True:
        chunk = os.read(out, 65536)
        if not chunk:
            break
        proc.stdin.write(chunk)
    proc.stdin.close()


def main() -> int:
    n, gap_ms = int(sys.argv[1]), int(sys.argv[2])
    split = sys.argv.index("--")
    echo_cmd = sys.argv[sys.argv.index("--echo") + 1:split]
    cmd = sys.argv[split + 1:]
    echoer = subprocess.Popen(echo_cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
    echo_thread = threading.Thread(target=echo, args=(echoer,), daemon=True)
    echo_thread.start()
    if "--listening" in sys.argv:
        port = sys.argv[sys.argv.index("--listening") + 1]
        deadline = time.monotonic() + 10
        while not subprocess.run(["ss", "-Htln", f"sport = :{port}"], capture_output=True,
                                 text=True).stdout.strip():
            if time.monotonic() > deadline:
                print(f"keystrokes.py: nothing listens on port {port}", file=sys.stderr)
                echoer.kill()
                return 1
            time.sleep(0.02)
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
    out = proc.stdout.fileno()
    times = []
    for i in range(n):
        key = bytes([ord("a") + i % 26])
        t0 = time.monotonic()
        proc.stdin.write(key)
        ready, _, _ = select.select([out], [], [], 10)
        got = os.read(out, 1) if ready else b""
        if got != key:
            print(f"keystrokes.py: keystroke {i}: sent {key!r}, got {got!r}", file=sys.stderr)
            proc.kill()
            echoer.kill()
            return 1
        times.append((time.monotonic() - t0) * 1000)
        time.sleep(gap_ms / 1000)
    proc.stdin.close()
    extra = 0
    while True:
        chunk = os.read(out, 65536)
        if not chunk:
            break
        extra += len(chunk)
    rc = proc.wait(timeout=60)
    echo_rc = echoer.wait(timeout=60)
    echo_thread.join(timeout=10)
    times.sort()
    print(json.dumps({
        "count": n,
        "median_ms": round(statistics.median(times), 2),
        "p90_ms": round(times[int(0.9 * (n - 1))], 2),
        "max_ms": round(times[-1], 2),
        "exit": rc,
        "echo_exit": echo_rc,
        "extra": extra,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
