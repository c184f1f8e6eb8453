#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets: tests/fuzz/corpus/<target>/<name>.

The seeds follow the wire format of src/wire/protocol.hpp (version 4, big-endian, fixed
offsets); regenerate them after a change of the format:

    python3 tests/fuzz/make_seeds.py

fuzz_receiver inputs are up to 3 connections, each a big-endian u16 prefix (length in the
low 15 bits; the top bit: open it after the previous ones closed) and that many bytes (see
fuzz_receiver.cpp); the receiver it talks to has the checkphrase "yoda".
"""
import os
import random
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")

VERSION = 4
SESSION = 0x0123456789ABCDEF
CHECKPHRASE = b"yoda"
FLAG_LAST = 1
FLAG_CHECKSUM = 2


def hello(leg=0, session=SESSION, version=VERSION, flags=0, phrase=CHECKPHRASE, outage=60):
    phrase = phrase.ljust(4, b"\0")[:4]
    return b"VMPD" + struct.pack(">HH4sQII4x", version, flags, phrase, session, leg, outage)


def hello_reply(code=0, next_seq=0, receiver_id=0x1234, window=256 << 10, nbytes=0, digest=0):
    return b"VMPR" + struct.pack(">HHQQQQQ", VERSION, code, next_seq, receiver_id, window, nbytes,
                                 digest)


def data_header(seq, offset, length, flags=0, checksum=0, codec=0, wire_length=None, wire_checksum=0):
    if wire_length is None:
        wire_length = length
    return struct.pack(">BBHIQQQB3xIQ", ord("D"), flags, 0, length, seq, offset, checksum, codec,
                       wire_length, wire_checksum)


def frame(seq, offset, payload, flags=0):
    return data_header(seq, offset, len(payload), flags) + payload


def cancel(reason=1):
    return struct.pack(">BBH44x", ord("C"), 0, reason)


def end(frames, nbytes, digest=0):
    return struct.pack(">B7xQQQ16x", ord("E"), frames, nbytes, digest)


def control(kind="A", complete=0, abort=0, next_seq=0, nbytes=0, digest=0):
    return struct.pack(">BBHIQQQ", ord(kind), complete, abort, 0, next_seq, nbytes, digest)


AFTER = 0x8000  # prefix bit: open this connection once the ones before it were closed


def connections(*conns):
    """Each item: bytes, or (bytes, True) to wait for the previous connections to close."""
    out = b""
    for c in conns:
        after = isinstance(c, tuple) and c[1]
        data = c[0] if isinstance(c, tuple) else c
        out += struct.pack(">H", len(data) | (AFTER if after else 0)) + data
    return out


def payload(n, seed):
    rng = random.Random(seed)
    return bytes(rng.randrange(256) for _ in range(n))


def wire_seeds():
    return {
        "hello": hello(),
        "hello_probe": hello(leg=0xFFFFFFFF, flags=1),
        "reply_accept": hello_reply(),
        "reply_complete": hello_reply(code=1, next_seq=3, nbytes=300, digest=0xDEADBEEF),
        "data_header": data_header(0, 0, 16) + payload(16, 1),
        "data_header_last_checksum": data_header(5, 4096, 100, FLAG_LAST | FLAG_CHECKSUM, 42),
        # bytes 48..51 choose FrameHeader::decode's payload limit (here 64)
        "data_header_limit": data_header(1, 16, 100).ljust(48, b"\0") + struct.pack(">I", 64),
        "data_header_zstd": data_header(2, 0, 4096, codec=2, wire_length=40, wire_checksum=7),
        "data_header_sealed": data_header(3, 0, 4096, flags=4, wire_length=4096 + 16),
        "key_offer": payload(64, 9) + b"\x01" + bytes(7),
        "cancel": cancel(2),
        "end": end(3, 300, 0x77),
        "control_ack": control(next_seq=2, nbytes=200),
        "control_ack_complete": control(complete=1, next_seq=3, nbytes=300, digest=9),
        "control_abort": control("X", abort=4),
        "garbage": payload(40, 2),
    }


def reassembler_seeds():
    # FuzzedDataProvider input: no structure to follow; a few sizes of plain bytes.
    seeds = {}
    for i, n in enumerate((8, 32, 64, 256, 1024)):
        seeds["random_%d" % n] = payload(n, 100 + i)
    seeds["zeros_64"] = bytes(64)
    seeds["ones_64"] = b"\xff" * 64
    return seeds


def receiver_seeds():
    p16 = payload(16, 3)
    p100 = payload(100, 4)
    return {
        "hello": connections(hello()),
        "hello_frame": connections(hello() + frame(0, 0, p16)),
        "hello_cancel": connections(hello() + cancel(1)),
        "cancel_after_frame": connections(hello() + frame(0, 0, p16), (hello(leg=1) + cancel(3), True)),
        "hello_frame_cancel": connections(hello() + frame(0, 0, p16) + cancel(2)),
        # a whole (one-frame) stream, then the transmitter's end frame on a new leg
        "complete_stream": connections(hello() + frame(0, 0, p16, FLAG_LAST),
                                       (hello(leg=1) + end(1, 16), True)),
        "complete_stream_wrong_count": connections(hello() + frame(0, 0, p16, FLAG_LAST),
                                                   (hello(leg=1) + end(1, 15), True)),
        "complete_then_new_leg": connections(hello() + frame(0, 0, p16),
                                             (hello(leg=1) + frame(1, 16, p100, FLAG_LAST), True),
                                             (hello(leg=2) + end(2, 116), True)),
        "two_legs": connections(hello(leg=0) + frame(0, 0, p16),
                                hello(leg=1) + frame(1, 16, p100, FLAG_LAST)),
        "three_legs_reordered": connections(hello(leg=2) + frame(2, 116, p16, FLAG_LAST),
                                            hello(leg=1) + frame(1, 16, p100),
                                            hello(leg=0) + frame(0, 0, p16)),
        "duplicate_frame": connections(hello() + frame(0, 0, p16) + frame(0, 0, p16)),
        "contradiction": connections(hello() + frame(0, 0, p16) + frame(1, 5, p16)),
        "far_ahead": connections(hello() + data_header(1 << 40, 0, 1 << 20)),
        "checksum_flag": connections(hello(flags=1) + frame(0, 0, p16, FLAG_CHECKSUM)),
        "probe": connections(hello(leg=0xFFFFFFFF)),
        "other_session": connections(hello(session=42) + frame(0, 0, p16)),
        "wrong_checkphrase": connections(hello(phrase=b"luke")),
        "wrong_version": connections(hello(version=1)),
        # a keyed Hello and offer: this receiver has no key, so it says so
        "keyed_hello": connections(hello(flags=4) + payload(64, 10) + b"\x01" + bytes(7)),
        "short_hello": connections(hello()[:20]),
        "control_ack": connections(control(next_seq=1, nbytes=16)),
        "http": connections(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"),
        "garbage": connections(payload(64, 5), payload(7, 6)),
    }


def write(target, seeds):
    path = os.path.join(CORPUS, target)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    for name, data in sorted(seeds.items()):
        with open(os.path.join(path, name), "wb") as f:
            f.write(data)
    print("%s: %d seeds" % (path, len(seeds)))


def main():
    write("fuzz_wire", wire_seeds())
    write("fuzz_reassembler", reassembler_seeds())
    write("fuzz_receiver", receiver_seeds())


if __name__ == "__main__":
    main()
