#!/usr/bin/env python3
"""A receiver that lies: it accepts the first leg and at once says the stream is complete
after one frame of 10 bytes. A transmitter must not exit 0 on that.

usage: early_complete_rx.py PORT   (serves one connection, then exits)
"""
import socket
import sys

sys.path.insert(0, __import__("os").path.dirname(__file__))
import wire  # noqa: E402

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", int(sys.argv[1])))
server.listen(64)
conn, _ = server.accept()
conn.settimeout(10)
wire.read_exact(conn, wire.HELLO.size)
conn.sendall(wire.reply())
conn.sendall(wire.CONTROL.pack(ord("A"), 1, 0, 0, 1, 10, 0))
try:
    while conn.recv(65536):
        pass
except OSError:
    pass
