"""Wire protocol 3 as a hostile peer sees it (see src/wire/protocol.hpp). Test helper only."""
import socket
import struct

HELLO = struct.Struct(">4sHH4sQII4x")  # 32 bytes
REPLY = struct.Struct(">4sHHQQQQQ")  # 48 bytes
# 48 bytes: type, flags, 0, length, seq, offset, checksum, codec, 0 0 0, wire_length, wire_checksum
HEADER = struct.Struct(">BBHIQQQB3xIQ")
CONTROL = struct.Struct(">BBHIQQQ")  # 32 bytes: type, complete, abort, 0, next_seq, bytes, digest
VERSION = 4  # every Hello since keyed sessions (version 4)
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


# ---------------------------------------------------------------------------------------
# Wire protocol 4: keyed sessions (--key-file). Only sizes and plain-text fields here: nothing
# can be verified or forged correctly without the key, so a man in the middle walks the
# stream by sizes alone.
#   tx: Hello (32, flag keyed) + KeyOffer (72: session_salt[32], leg_nonce[32], cipher u8, 7 x 0)
#   rx: HelloReply code authenticate (48, other fields 0) + challenge (64: nonce[32], proof[32])
#   tx: proof (32)
#   rx: HelloReply code bad_key (48, then closes) or the real HelloReply (48) + tag (16)
#   tx -> rx: sealed data frames: header (48, flag sealed) + wire_length bytes (ciphertext and
#             tag); cancel and end frames: header (48) + tag (16)
#   rx -> tx: Control (32) + tag (16)
# A refusal before the proofs (bad_version, bad_checkphrase, malformed, key_required, no_key)
# is a plain 48-byte HelloReply, as in version 3.
VERSION_KEYED = VERSION  # keyed sessions came with version 4
HELLO_CHECKSUMS, HELLO_FILTERED, HELLO_KEYED = 1, 2, 4
FLAG_SEALED = 4
KEY_OFFER_SIZE = 72
CHALLENGE_SIZE = 64
PROOF_SIZE = 32
TAG_SIZE = 16
CIPHER_AES_256_GCM, CIPHER_CHACHA20_POLY1305 = 1, 2
(REPLY_ACCEPT, REPLY_COMPLETE, REPLY_BAD_VERSION, REPLY_BAD_CHECKPHRASE, REPLY_BUSY,
 REPLY_MALFORMED, REPLY_CHECKSUMS_REQUIRED, REPLY_FILTER_MISMATCH, REPLY_KEY_REQUIRED,
 REPLY_NO_KEY, REPLY_AUTHENTICATE, REPLY_BAD_KEY) = range(12)
CANCEL_INTERRUPTED = 2
ABORT_SINK_FAILED = 1


def key_offer(session_salt, leg_nonce, cipher=CIPHER_AES_256_GCM):
    """The 72 bytes that follow a keyed Hello."""
    assert len(session_salt) == 32 and len(leg_nonce) == 32
    return bytes(session_salt) + bytes(leg_nonce) + bytes([cipher]) + b"\0" * 7


def hello_keyed(session, leg=0, phrase=b"yoda", outage=30, flags=HELLO_KEYED):
    """A version 4 Hello (keyed unless flags say otherwise)."""
    return hello(session, leg=leg, phrase=phrase, outage=outage, version=VERSION_KEYED,
                 flags=flags)


def frame_trailer(fields, keyed):
    """Bytes that follow a 48-byte frame header unpacked from HEADER: the payload of a data
    frame (ciphertext and tag when sealed), the tag of a keyed cancel or end frame."""
    kind, flags, _zero, _length, _seq, _offset, _checksum, _codec, wire_length, _wsum = fields
    if kind == ord("D"):
        return wire_length if flags & FLAG_SEALED else payload_on_wire(fields)
    return TAG_SIZE if keyed else 0


def control_size(keyed):
    """Bytes of one receiver-to-transmitter Control message on a leg."""
    return CONTROL.size + (TAG_SIZE if keyed else 0)


def recv_upto(sock, n):
    """Reads n bytes, fewer only if the peer closes first: (data, complete)."""
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = sock.recv_into(view[got:], n - got)
        if k == 0:
            return bytes(buf[:got]), False
        got += k
    return bytes(buf), True
