#!/usr/bin/env python3
"""A man in the middle for keyed sessions (wire protocol 4), multi-leg: forwards every
connection of a transmitter to the receiver (each connection is a thread pair) and walks both
directions' message boundaries by their sizes alone (see wire.py), which is all an attacker
without the key can do. It attacks according to MODE and says on stderr what it did, so a test
can check that the attack happened as well as how the transfer ended.

usage: mitm_proxy.py LISTEN_PORT RX_PORT MODE [ARG] [--capture FILE]
  pass              only forward (with --capture FILE: every byte forwarded, both directions)
  flip N            flip one bit in the ciphertext of data frame N (the first copy seen)
  replay N          after forwarding data frame N, send an exact copy on the same connection,
                    then cut that connection (so the transmitter opens a new one) and send the
                    copy again on the next new connection after its handshake
  inject            once a data frame was seen: a forged data frame (the next seq and offset,
                    sealed, random ciphertext and tag), a forged `last` frame, a forged cancel
                    frame and a forged end frame (header + random tag), each on another
                    accepted connection
  forge_ack         toward the transmitter, each on another accepted connection: a forged
                    complete ack with huge counts, a forged abort, a forged ack far ahead
                    (Control + random tag)
  replay_handshake  record the first keyed connection's handshake (Hello + KeyOffer + proof)
                    and replay it on connections of its own, several times during the transfer
  sniff_claim       before forwarding the first Hello: connections of its own for the sniffed
                    session (no key; outage 2^32-1): an unkeyed Hello, a keyed Hello held at the
                    challenge, a keyed Hello with a random proof, and a keyed Hello of another
                    session held at the challenge; they stay open

Lines on stderr: "connection C: ..." for every connection, one line per attack; "SPEC: ..."
when the stream does not follow the wire spec of keyed sessions, "LOST: ..." when the proxy
could not walk the stream (it then forwards the rest blindly). Runs until killed.
"""
import argparse
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import wire  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("listen_port", type=int)
parser.add_argument("rx_port", type=int)
parser.add_argument("mode", choices=["pass", "flip", "replay", "inject", "forge_ack",
                                     "replay_handshake", "sniff_claim"])
parser.add_argument("arg", nargs="?", type=int, default=None)
parser.add_argument("--capture", default=None)
opts = parser.parse_args()
if opts.mode in ("flip", "replay") and opts.arg is None:
    parser.error("mode %s needs a frame number" % opts.mode)

MAX_TRAILER = (16 << 20) + wire.TAG_SIZE  # the largest payload a header may announce
KINDS = (ord("D"), ord("C"), ord("E"))
CODE_NAMES = {
    wire.REPLY_ACCEPT: "accept", wire.REPLY_COMPLETE: "complete",
    wire.REPLY_BAD_VERSION: "bad_version", wire.REPLY_BAD_CHECKPHRASE: "bad_checkphrase",
    wire.REPLY_BUSY: "busy", wire.REPLY_MALFORMED: "malformed",
    wire.REPLY_CHECKSUMS_REQUIRED: "checksums_required",
    wire.REPLY_FILTER_MISMATCH: "filter_mismatch", wire.REPLY_KEY_REQUIRED: "key_required",
    wire.REPLY_NO_KEY: "no_key", wire.REPLY_AUTHENTICATE: "authenticate",
    wire.REPLY_BAD_KEY: "bad_key",
}


_say_lock = threading.Lock()


def say(msg):
    with _say_lock:
        sys.stderr.write(msg + "\n")
        sys.stderr.flush()


def code_name(code):
    return "%s (%d)" % (CODE_NAMES.get(code, "unknown"), code)


class State:
    """What the proxy learnt over all connections."""

    def __init__(self):
        self.lock = threading.Lock()
        self.capture = open(opts.capture, "wb") if opts.capture else None
        self.capture_lock = threading.Lock()
        self.conns = []
        self.next_idx = 1
        self.once = set()
        self.template = None  # fields of the first data frame seen
        self.template_seen = threading.Event()
        self.max_seq = -1
        self.max_end = 0  # offset + length of the frame with max_seq
        self.salts = {}  # session -> session salt
        self.nonces = set()  # leg nonces seen
        self.first_handshake = None  # Hello + KeyOffer + proof of the first keyed connection
        self.handshake_seen = threading.Event()
        self.replay_copy = None
        self.replay_after = None  # connections from this index on are "new"
        self.forged = 0
        self.held = []  # sockets of sniff_claim, kept open

    def once_(self, what):
        with self.lock:
            if what in self.once:
                return False
            self.once.add(what)
            return True

    def record(self, data):
        if self.capture is not None and data:
            with self.capture_lock:
                self.capture.write(data)
                self.capture.flush()

    def note_frame(self, fields):
        with self.lock:
            if self.template is None:
                self.template = list(fields)
                self.template_seen.set()
            seq, offset, length = fields[4], fields[5], fields[3]
            if seq > self.max_seq:
                self.max_seq = seq
                self.max_end = offset + length


S = State()


class Conn:
    def __init__(self, idx, client, upstream):
        self.idx = idx
        self.client = client
        self.upstream = upstream
        self.up_lock = threading.Lock()
        self.down_lock = threading.Lock()
        self.keyed = False
        self.leg_keyed = False  # the receiver's real reply came with a tag
        self.accepted = threading.Event()
        self.dead = threading.Event()
        self.frames = 0
        self.controls = 0

    def send_up(self, data, forwarded=True):
        with self.up_lock:
            self.upstream.sendall(data)
        if forwarded:
            S.record(data)

    def send_down(self, data, forwarded=True):
        with self.down_lock:
            self.client.sendall(data)
        if forwarded:
            S.record(data)


def shut(sock, how):
    try:
        sock.shutdown(how)
    except OSError:
        pass


def blind(src, send):
    """Forwards the rest of a connection without looking (after LOST)."""
    while True:
        data = src.recv(65536)
        if not data:
            return
        send(data)


# ---------------------------------------------------------------------------------------
# Transmitter -> receiver


def pump_up(c):
    try:
        hello, ok = wire.recv_upto(c.client, wire.HELLO.size)
        if not ok:
            c.send_up(hello)
            return
        magic, version, flags, phrase, session, leg, outage = wire.HELLO.unpack(hello)
        if magic != b"VMPD":
            say("LOST: connection %d: no Hello magic" % c.idx)
            c.send_up(hello)
            blind(c.client, c.send_up)
            return
        c.keyed = bool(flags & wire.HELLO_KEYED)
        offer = b""
        line = "connection %d: hello version %d session %016x leg %d flags %d" % (
            c.idx, version, session, leg, flags)
        if c.keyed:
            offer, ok = wire.recv_upto(c.client, wire.KEY_OFFER_SIZE)
            if not ok:
                c.send_up(hello + offer)
                return
            salt, nonce, cipher = offer[:32], offer[32:64], offer[64]
            line += " keyed cipher %d" % cipher
            if any(offer[65:]):
                say("SPEC: connection %d: KeyOffer padding is not zero" % c.idx)
            with S.lock:
                known = S.salts.setdefault(session, salt)
                reused = nonce in S.nonces
                S.nonces.add(nonce)
            if known != salt:
                say("SPEC: connection %d: session %016x changed its session salt" % (c.idx, session))
            if reused:
                say("SPEC: connection %d: leg nonce reused" % c.idx)
        say(line)
        if opts.mode == "sniff_claim" and S.once_("sniff"):
            sniff_claims(hello, offer)
        c.send_up(hello + offer)
        if c.keyed:
            proof, ok = wire.recv_upto(c.client, wire.PROOF_SIZE)
            c.send_up(proof)
            if not ok:
                return
            with S.lock:
                if S.first_handshake is None:
                    S.first_handshake = hello + offer + proof
                    S.handshake_seen.set()
        walk_frames(c)
    except OSError:
        pass
    finally:
        shut(c.upstream, socket.SHUT_WR)


def walk_frames(c):
    while True:
        hdr, ok = wire.recv_upto(c.client, wire.HEADER.size)
        if not ok:
            c.send_up(hdr)
            return
        fields = list(wire.HEADER.unpack(hdr))
        kind, flags, seq = fields[0], fields[1], fields[4]
        if kind not in KINDS:
            say("LOST: connection %d: frame type 0x%02x after %d frames" % (c.idx, kind, c.frames))
            c.send_up(hdr)
            blind(c.client, c.send_up)
            return
        n = wire.frame_trailer(fields, c.keyed)
        if n > MAX_TRAILER:
            say("LOST: connection %d: frame of %d bytes" % (c.idx, n))
            c.send_up(hdr)
            blind(c.client, c.send_up)
            return
        if c.keyed and kind == ord("D"):
            if not flags & wire.FLAG_SEALED:
                say("SPEC: connection %d: data frame %d of a keyed session is not sealed" % (c.idx, seq))
            if fields[9] != 0:
                say("SPEC: connection %d: sealed frame %d has a wire checksum" % (c.idx, seq))
        payload, ok = wire.recv_upto(c.client, n)
        if not ok:
            c.send_up(hdr + payload)
            return
        c.frames += 1
        if kind == ord("D"):
            S.note_frame(fields)
            if opts.mode == "flip" and seq == opts.arg:
                body = n - wire.TAG_SIZE if flags & wire.FLAG_SEALED else n
                if body > 0 and S.once_("flip"):
                    i = body // 2
                    payload = payload[:i] + bytes([payload[i] ^ 0x10]) + payload[i + 1:]
                    say("flipped frame %d (one bit of byte %d of %d) on connection %d" % (
                        seq, i, n, c.idx))
        msg = hdr + payload
        c.send_up(msg)
        if opts.mode == "replay" and kind == ord("D") and seq == opts.arg and S.once_("replay"):
            c.send_up(msg, forwarded=False)
            with S.lock:
                S.replay_copy = msg
                S.replay_after = S.next_idx
            say("replayed frame %d on the same connection %d" % (seq, c.idx))
            say("cut connection %d so that the transmitter opens a new one" % c.idx)
            shut(c.upstream, socket.SHUT_WR)
            shut(c.client, socket.SHUT_RDWR)
            return


# ---------------------------------------------------------------------------------------
# Receiver -> transmitter


def pump_down(c):
    try:
        reply, ok = wire.recv_upto(c.upstream, wire.REPLY.size)
        if not ok:
            c.send_down(reply)
            return
        magic, version, code = wire.REPLY.unpack(reply)[:3]
        if magic != b"VMPR":
            say("LOST: connection %d: no HelloReply magic" % c.idx)
            c.send_down(reply)
            blind(c.upstream, c.send_down)
            return
        if code == wire.REPLY_AUTHENTICATE:
            if any(reply[8:]):
                say("SPEC: connection %d: authenticate reply has non-zero fields" % c.idx)
            challenge, ok = wire.recv_upto(c.upstream, wire.CHALLENGE_SIZE)
            c.send_down(reply + challenge)
            if not ok:
                return
            reply, ok = wire.recv_upto(c.upstream, wire.REPLY.size)
            if not ok:
                c.send_down(reply)
                say("connection %d: closed after the proof" % c.idx)
                return
            code = wire.REPLY.unpack(reply)[2]
            if code == wire.REPLY_BAD_KEY:
                c.send_down(reply)
                say("connection %d: reply %s after the proof" % (c.idx, code_name(code)))
                blind(c.upstream, c.send_down)
                return
            tag, ok = wire.recv_upto(c.upstream, wire.TAG_SIZE)
            c.send_down(reply + tag)
            if not ok:
                return
            c.leg_keyed = True
            say("connection %d: reply %s after the proof" % (c.idx, code_name(code)))
        else:
            c.send_down(reply)
            say("connection %d: reply %s" % (c.idx, code_name(code)))
            if c.keyed and code in (wire.REPLY_ACCEPT, wire.REPLY_COMPLETE):
                say("SPEC: connection %d: keyed Hello accepted without the proofs" % c.idx)
        if code in (wire.REPLY_ACCEPT, wire.REPLY_COMPLETE):
            c.accepted.set()
            on_accepted(c)
        size = wire.control_size(c.leg_keyed)
        while True:
            msg, ok = wire.recv_upto(c.upstream, size)
            c.send_down(msg)
            if not ok:
                return
            c.controls += 1
    except OSError:
        pass
    finally:
        shut(c.client, socket.SHUT_WR)


def on_accepted(c):
    """Runs on the receiver-to-transmitter thread once a connection's real reply is through."""
    if opts.mode == "replay":
        with S.lock:
            copy, after = S.replay_copy, S.replay_after
        if copy is not None and c.idx >= after and S.once_("replay-new"):
            c.send_up(copy, forwarded=False)
            say("replayed frame %d on new connection %d" % (opts.arg, c.idx))


# ---------------------------------------------------------------------------------------
# Attacks of their own


def pick_connection(used, seconds):
    """An accepted, live connection not in used (waits up to seconds)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with S.lock:
            for c in S.conns:
                if c.idx not in used and c.accepted.is_set() and not c.dead.is_set():
                    used.add(c.idx)
                    return c
        time.sleep(0.01)
    return None


def forged_frame(c, last):
    with S.lock:
        t = list(S.template)
        seq, offset = S.max_seq + 1, S.max_end
    length, codec, wire_length = t[3], t[7], t[8]
    flags = t[1] & (wire.FLAG_CHECKSUM | wire.FLAG_SEALED)
    if c.leg_keyed:
        flags |= wire.FLAG_SEALED
        if codec == wire.CODEC_NONE:
            wire_length = length + wire.TAG_SIZE
    if last:
        flags |= wire.FLAG_LAST
    checksum = int.from_bytes(os.urandom(8), "big") if flags & wire.FLAG_CHECKSUM else 0
    hdr = wire.HEADER.pack(ord("D"), flags, 0, length, seq, offset, checksum, codec, wire_length, 0)
    n = wire.frame_trailer(list(wire.HEADER.unpack(hdr)), c.leg_keyed)
    return hdr + os.urandom(n), "seq %d offset %d length %d flags %d" % (seq, offset, length, flags)


def injector():
    if not S.template_seen.wait(60):
        say("inject: no data frame seen in 60 s")
        return
    used = set()
    for what in ("data", "last", "cancel", "end"):
        c = pick_connection(used, 20)
        if c is None:
            say("inject: no accepted connection for the forged %s frame" % what)
            continue
        if what == "cancel":
            msg = wire.HEADER.pack(ord("C"), 0, wire.CANCEL_INTERRUPTED, 0, 0, 0, 0, 0, 0, 0)
            msg += os.urandom(wire.TAG_SIZE if c.leg_keyed else 0)
            desc = "reason %d" % wire.CANCEL_INTERRUPTED
        elif what == "end":
            # The count a transmitter confirms at the end: frames, bytes and digest.
            with S.lock:
                frames, nbytes = S.max_seq + 1, S.max_end
            msg = wire.HEADER.pack(ord("E"), 0, 0, 0, frames, nbytes, 0, 0, 0, 0)
            msg += os.urandom(wire.TAG_SIZE if c.leg_keyed else 0)
            desc = "%d frames, %d bytes" % (frames, nbytes)
        else:
            msg, desc = forged_frame(c, what == "last")
        try:
            c.send_up(msg, forwarded=False)
            say("injected forged %s frame (%s) on connection %d" % (what, desc, c.idx))
        except OSError as e:
            say("inject: connection %d: %s" % (c.idx, e))


def ack_forger():
    if not S.template_seen.wait(60):
        say("forge_ack: no data frame seen in 60 s")
        return
    used = set()
    forgeries = [
        ("complete ack", wire.CONTROL.pack(ord("A"), 1, 0, 0, 1 << 40, 1 << 50,
                                           int.from_bytes(os.urandom(8), "big"))),
        ("abort", wire.CONTROL.pack(ord("X"), 0, wire.ABORT_SINK_FAILED, 0, 0, 0, 0)),
        ("ack far ahead", wire.CONTROL.pack(ord("A"), 0, 0, 0, 1 << 40, 1 << 50, 0)),
    ]
    for what, ctl in forgeries:
        c = pick_connection(used, 20)
        if c is None:
            say("forge_ack: no accepted connection for the forged %s" % what)
            continue
        try:
            c.send_down(ctl + os.urandom(wire.TAG_SIZE if c.leg_keyed else 0), forwarded=False)
            say("forged %s on connection %d" % (what, c.idx))
        except OSError as e:
            say("forge_ack: connection %d: %s" % (c.idx, e))


def read_reply(s):
    data, ok = wire.recv_upto(s, wire.REPLY.size)
    if not ok:
        return None
    return wire.REPLY.unpack(data)[2]


def handshake_replayer():
    if not S.handshake_seen.wait(60):
        say("replay_handshake: no keyed handshake seen in 60 s")
        return
    with S.lock:
        recorded = S.first_handshake
    head, proof = recorded[:-wire.PROOF_SIZE], recorded[-wire.PROOF_SIZE:]
    say("replay_handshake: recorded %d bytes (Hello, KeyOffer, proof)" % len(recorded))
    for i in range(1, 5):
        time.sleep(0.25)
        blast = i % 2 == 0  # every other time: all at once, without waiting for the challenge
        result = "?"
        try:
            s = wire.connect(opts.rx_port, timeout=5)
            try:
                s.sendall(recorded if blast else head)
                code = read_reply(s)
                if code is None:
                    result = "closed before any reply"
                elif code != wire.REPLY_AUTHENTICATE:
                    result = "first reply %s" % code_name(code)
                else:
                    _, ok = wire.recv_upto(s, wire.CHALLENGE_SIZE)
                    if not blast:
                        s.sendall(proof)
                    code = read_reply(s) if ok else None
                    if code is None:
                        result = "authenticate, then closed"
                    elif code == wire.REPLY_BAD_KEY:
                        result = "authenticate, then %s" % code_name(code)
                    else:
                        result = "authenticate, then ACCEPTED: %s" % code_name(code)
            finally:
                s.close()
        except (OSError, socket.timeout) as e:
            result = "closed (%s)" % e.__class__.__name__
        say("replayed handshake %d (%s): %s" % (i, "all at once" if blast else "in step", result))


def sniff_claims(hello, offer):
    """Connections of our own for the session just sniffed, before its first Hello goes on."""
    magic, version, flags, phrase, session, leg, outage = wire.HELLO.unpack(hello)
    salt = offer[:32] if offer else os.urandom(32)
    other = int.from_bytes(os.urandom(8), "big")

    def claim(name, data, proof=None, sess=session):
        try:
            s = wire.connect(opts.rx_port, timeout=5)
            s.sendall(data)
            code = read_reply(s)
            if code is None:
                say("claim %s (session %016x): closed" % (name, sess))
                return
            extra = ""
            if code == wire.REPLY_AUTHENTICATE:
                _, ok = wire.recv_upto(s, wire.CHALLENGE_SIZE)
                if proof is not None and ok:
                    s.sendall(proof)
                    code2 = read_reply(s)
                    extra = ", after a random proof: %s" % (
                        "closed" if code2 is None else code_name(code2))
                else:
                    extra = ", held open at the challenge"
            say("claim %s (session %016x): reply %s%s" % (name, sess, code_name(code), extra))
            S.held.append(s)
        except (OSError, socket.timeout) as e:
            say("claim %s: %s" % (name, e))

    big = 0xFFFFFFFF
    claim("unkeyed", wire.hello(session, leg=leg, phrase=phrase, outage=big,
                                version=wire.VERSION_KEYED, flags=flags & ~wire.HELLO_KEYED))
    claim("keyed", wire.hello(session, leg=leg, phrase=phrase, outage=big,
                              version=wire.VERSION_KEYED, flags=flags | wire.HELLO_KEYED)
          + wire.key_offer(salt, os.urandom(32)))
    claim("keyed-wrong-proof", wire.hello(session, leg=leg + 1, phrase=phrase, outage=big,
                                          version=wire.VERSION_KEYED,
                                          flags=flags | wire.HELLO_KEYED)
          + wire.key_offer(salt, os.urandom(32)), proof=os.urandom(wire.PROOF_SIZE))
    claim("other-session", wire.hello(other, leg=0, phrase=phrase, outage=big,
                                      version=wire.VERSION_KEYED, flags=flags | wire.HELLO_KEYED)
          + wire.key_offer(os.urandom(32), os.urandom(32)), sess=other)


# ---------------------------------------------------------------------------------------


def serve(client):
    try:
        upstream = socket.create_connection(("127.0.0.1", opts.rx_port), timeout=5)
        upstream.settimeout(None)
    except OSError as e:
        say("cannot reach the receiver: %s" % e)
        client.close()
        return
    with S.lock:
        c = Conn(S.next_idx, client, upstream)
        S.next_idx += 1
        S.conns.append(c)
    down = threading.Thread(target=pump_down, args=(c,), daemon=True)
    down.start()
    pump_up(c)
    down.join()
    c.dead.set()
    say("connection %d ended: %d frames, %d controls" % (c.idx, c.frames, c.controls))
    client.close()
    upstream.close()


attackers = {"inject": injector, "forge_ack": ack_forger, "replay_handshake": handshake_replayer}
if opts.mode in attackers:
    threading.Thread(target=attackers[opts.mode], daemon=True).start()

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", opts.listen_port))
server.listen(64)
while True:
    conn, _ = server.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
