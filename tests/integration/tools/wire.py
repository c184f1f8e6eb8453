"""Wire protocol 3 as a hostile peer sees it (see src/wire/protocol.hpp). Test helper only."""
import socket
import struct

HELLO = struct.Struct(">4sHH4sQII4x")  # 32 bytes
REPLY = struct.Struct(">4sHHQQQQQ")  # 48 bytes
# 48 bytes: type, flags, 0, length, seq, offset, checksum, codec, 0 0 0, wire_length, wire_checksum
HEADER = struct.Struct(">BBHIQQQB3xIQ")
CONTROL = struct.Struct(">BBHIQQQ")  # 32 bytes: type, complete, abort, 0, next_seq, bytes, digest
VERSION = 3
FLAG_LAST = 1
FLAG_CHECKSUM = 2


CODEC_NONE, CODEC_LZ4, CODEC_ZSTD, CODEC_FILTER = 0, 1, 2, 3


def data_header(length, seq, offset=0, flags=0, checksum=0, codec=CODEC_NONE, wire_length=None,
                wire_checksum=0):
    """A data frame header; a plain frame's wire length is its length."""
    if wire_length is None:
        wire_length = length
    return HEADER.pack(ord("D"), flags, 0, length, seq, offset, checksum, codec, wire_length,
                       wire_checksum)


def payload_on_wire(fields):
    """Bytes that follow a data header unpacked from HEADER."""
    kind, _flags, _zero, length, _seq, _offset, _checksum, codec, wire_length, _wsum = fields
    if kind != ord("D"):
        return 0
    return wire_length if codec != CODEC_NONE else length


def hello(session, leg=0, phrase=b"yoda", outage=30, version=VERSION, flags=0):
    return HELLO.pack(b"VMPD", version, flags, phrase.ljust(4, b"\0"), session, leg, outage)


def reply(code=0, next_seq=0, receiver_id=1, window=64 << 20, nbytes=0, digest=0):
    return REPLY.pack(b"VMPR", VERSION, code, next_seq, receiver_id, window, nbytes, digest)


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("peer closed after %d of %d bytes" % (len(data), n))
        data += chunk
    return data


def connect(port, source=None, timeout=5):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if source:
        s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s
