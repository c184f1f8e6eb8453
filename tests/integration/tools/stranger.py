#!/usr/bin/env python3
"""Hostile strangers without any key material.

usage: stranger.py far-ahead PORT COUNT     a Hello of its own session, then a 16 MiB frame
                                            with sequence number 2^40+i and offset 0, COUNT times
       stranger.py claim PORT SECONDS       one Hello (random session, outage 2^32-1), held
                                            open SECONDS
       stranger.py flood PORT COUNT SECONDS SOURCE   COUNT idle connections from SOURCE, held
                                            SECONDS (connections the receiver closes are not
                                            retried)
Prints what it did on stdout.
"""
import os
import random
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import wire  # noqa: E402

mode, port = sys.argv[1], int(sys.argv[2])
if mode == "far-ahead":
    refused = 0
    for i in range(int(sys.argv[3])):
        s = wire.connect(port)
        try:
            s.sendall(wire.hello(random.getrandbits(64), leg=i))
            wire.read_exact(s, wire.REPLY.size)
            s.sendall(wire.data_header(16 << 20, (1 << 40) + i))
            chunk = b"\0" * (1 << 20)
            for _ in range(16):
                s.sendall(chunk)
        except (OSError, EOFError):
            refused += 1
        finally:
            s.close()
    print("far-ahead: %d connections cut short" % refused)
elif mode == "claim":
    s = wire.connect(port)
    s.sendall(wire.hello(random.getrandbits(64), leg=0, outage=0xFFFFFFFF))
    code = wire.REPLY.unpack(wire.read_exact(s, wire.REPLY.size))[2]
    print("claim: reply code %d" % code, flush=True)
    time.sleep(float(sys.argv[3]))
elif mode == "flood":
    count, seconds, source = int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
    held = []
    for _ in range(count):
        try:
            held.append(wire.connect(port, source=source, timeout=2))
        except OSError:
            pass
    print("flood: %d connections opened" % len(held), flush=True)
    time.sleep(seconds)
else:
    sys.exit("unknown mode " + mode)
