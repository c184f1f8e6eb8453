#!/usr/bin/env python3
"""Sink for rate_limit.sh: reads stdin to the end, hashes it and counts the bytes that
arrive in each one-second bucket after the first byte. Prints one JSON object:
{"sha256": HEX, "bytes": N, "buckets": [bytes in second 0, second 1, ...]}.

With an argument, creates that file once it is ready to read: a transfer started before the
interpreter is up would pile up in the pipe and show as a burst in the first second."""
import hashlib
import json
import os
import sys
import time


def main() -> None:
    digest = hashlib.sha256()
    buckets: list[int] = []
    total = 0
    first = None
    fd = sys.stdin.fileno()
    if len(sys.argv) > 1:
        open(sys.argv[1], "w").close()
    while True:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            break
        now = time.monotonic()
        if first is None:
            first = now
        second = int(now - first)
        while len(buckets) <= second:
            buckets.append(0)
        buckets[second] += len(chunk)
        total += len(chunk)
        digest.update(chunk)
    json.dump({"sha256": digest.hexdigest(), "bytes": total, "buckets": buckets}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
