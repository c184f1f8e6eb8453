#!/usr/bin/env python3
"""A man in the middle for one-leg transfers: forwards a transmitter's connections to the
receiver and rewrites the header of one data frame on the way (once, on the first connection
that carries it), like a bug or an attacker on the path would.

usage: mangle_proxy.py LISTEN_PORT RX_PORT MODE FRAME
  MODE last: set the `last` flag of data frame FRAME (by seq)
       seq:  give data frame FRAME the sequence number FRAME + 3
       flip: flip one bit in the middle of data frame FRAME's payload (compressed or not)
Runs until killed; prints "mangled frame N" on stderr when it did.
"""
import socket
import sys
import threading

sys.path.insert(0, __import__("os").path.dirname(__file__))
import wire  # noqa: E402

listen_port, rx_port, mode, target = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
done = threading.Event()


def pump_back(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def serve(client):
    upstream = socket.create_connection(("127.0.0.1", rx_port))
    threading.Thread(target=pump_back, args=(upstream, client), daemon=True).start()
    try:
        upstream.sendall(wire.read_exact(client, wire.HELLO.size))
        while True:
            raw = wire.read_exact(client, wire.HEADER.size)
            fields = list(wire.HEADER.unpack(raw))
            kind, flags, seq = fields[0], fields[1], fields[4]
            payload = wire.read_exact(client, wire.payload_on_wire(fields))
            if kind == ord("D") and seq == target and not done.is_set():
                done.set()
                if mode == "last":
                    fields[1] = flags | wire.FLAG_LAST
                elif mode == "seq":
                    fields[4] = seq + 3
                elif mode == "flip" and payload:
                    middle = len(payload) // 2
                    payload = payload[:middle] + bytes([payload[middle] ^ 0x10]) + payload[middle + 1:]
                raw = wire.HEADER.pack(*fields)
                print("mangled frame %d" % target, file=sys.stderr, flush=True)
            upstream.sendall(raw + payload)
    except (EOFError, OSError):
        pass
    finally:
        try:
            upstream.shutdown(socket.SHUT_WR)
        except OSError:
            pass


server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", listen_port))
server.listen(64)
while True:
    conn, _ = server.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
