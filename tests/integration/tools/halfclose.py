#!/usr/bin/env python3
"""Both ends of one TCP connection whose half-closes must travel (a tunnel's check).

usage: halfclose.py server PORT ORDER SEND_BYTES SEED RESULT_FILE
       halfclose.py client PORT ORDER SEND_BYTES SEED
       halfclose.py digest BYTES SEED   (the sha256 of what a side with SEED sends)
  server: listens on 127.0.0.1:PORT, takes ONE connection, then exits; writes its result
          (JSON) into RESULT_FILE. client: connects to 127.0.0.1:PORT, prints its result.
  ORDER client-first: the client sends its bytes and shuts its write side (SHUT_WR); the
          server reads to EOF, and only then sends its bytes and closes; the client reads to
          EOF. (The client's half-close must reach the server, or both wait for ever.)
  ORDER server-first: the server sends its bytes and shuts its write side; the client reads
          to EOF, and only then sends its bytes and closes; the server reads to EOF.
  SEND_BYTES bytes of random.Random(SEED).randbytes; each side's result is
  {"sent": N, "received": N, "sha256": hex of what it received}.
Every wait is bounded (60 s socket timeout): a half-close that does not arrive ends the side
with exit status 3 and "timed out waiting for EOF" on stderr.
"""
import hashlib
import json
import random
import socket
import sys

TIMEOUT = 60


def payload(n, seed):
    return random.Random(seed).randbytes(n)


def read_to_eof(sock):
    h = hashlib.sha256()
    n = 0
    while True:
        try:
            b = sock.recv(1 << 16)
        except socket.timeout:
            sys.stderr.write(f"halfclose: timed out waiting for EOF after {n} bytes\n")
            sys.exit(3)
        if not b:
            return n, h.hexdigest()
        n += len(b)
        h.update(b)


def run(sock, sends_first, data):
    if sends_first:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        n, digest = read_to_eof(sock)
    else:
        n, digest = read_to_eof(sock)
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
    sock.close()
    return {"sent": len(data), "received": n, "sha256": digest}


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "digest":
        print(hashlib.sha256(payload(int(sys.argv[2]), int(sys.argv[3]))).hexdigest())
        return
    if len(sys.argv) < 6:
        sys.exit(__doc__)
    role, port, order, nbytes, seed = sys.argv[1:6]
    if order not in ("client-first", "server-first") or role not in ("server", "client"):
        sys.exit(__doc__)
    data = payload(int(nbytes), int(seed))
    if role == "server":
        lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.bind(("127.0.0.1", int(port)))
        lsock.listen(1)
        lsock.settimeout(TIMEOUT)
        sock, _ = lsock.accept()
        lsock.close()
        sock.settimeout(TIMEOUT)
        result = run(sock, order == "server-first", data)
        with open(sys.argv[6], "w") as f:
            json.dump(result, f)
    else:
        sock = socket.create_connection(("127.0.0.1", int(port)), timeout=TIMEOUT)
        result = run(sock, order == "client-first", data)
        print(json.dumps(result))


if __name__ == "__main__":
    main()
