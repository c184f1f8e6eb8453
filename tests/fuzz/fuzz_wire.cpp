// Fuzz target: the wire decoders (wire/protocol.hpp) and the frame checksum (wire/checksum.hpp).
//
// The input's first bytes are offered to every decoder (zero-padded when short). Whatever a
// decoder accepts must survive encode() -> decode() with every field unchanged, and, where the
// decoder validates every byte, encode() must give back the very bytes that were decoded.
// The checksum must ignore the header's checksum field and equal XXH3-64 of the encoded header
// (checksum zeroed) followed by the payload, as wire/checksum.hpp documents.
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "wire/checksum.hpp"
#include "wire/protocol.hpp"

namespace {

using namespace vmp::wire;

void require(bool ok) {
  if (!ok) __builtin_trap();
}

template <std::size_t N>
std::array<std::byte, N> prefix(const std::uint8_t* data, std::size_t size) {
  std::array<std::byte, N> out{};
  std::memcpy(out.data(), data, std::min(size, N));
  return out;
}

bool same(const Hello& a, const Hello& b) {
  return a.version == b.version && a.flags == b.flags && a.checkphrase == b.checkphrase &&
         a.session == b.session && a.leg == b.leg &&
         a.outage_timeout_seconds == b.outage_timeout_seconds;
}

bool same(const HelloReply& a, const HelloReply& b) {
  return a.version == b.version && a.code == b.code && a.next_seq == b.next_seq &&
         a.receiver_id == b.receiver_id && a.window_bytes == b.window_bytes && a.bytes == b.bytes &&
         a.digest == b.digest;
}

bool same(const FrameHeader& a, const FrameHeader& b) {
  return a.kind == b.kind && a.cancel == b.cancel && a.flags == b.flags && a.length == b.length &&
         a.seq == b.seq && a.offset == b.offset && a.checksum == b.checksum && a.codec == b.codec &&
         a.payload_on_wire() == b.payload_on_wire() && a.wire_checksum == b.wire_checksum;
}

bool same(const Control& a, const Control& b) {
  return a.type == b.type && a.complete == b.complete && a.abort == b.abort &&
         a.next_seq == b.next_seq && a.bytes == b.bytes && a.digest == b.digest;
}

void hello(const std::uint8_t* data, std::size_t size) {
  const auto in = prefix<Hello::kSize>(data, size);
  const auto h = Hello::decode(in);
  if (!h) return;
  const auto out = h->encode();
  const auto again = Hello::decode(out);
  require(again.has_value() && same(*h, *again));
  // Bytes 28..31 are reserved (not read); everything before them is a field.
  require(std::equal(in.begin(), in.begin() + 28, out.begin()));
  (void)h->has(HelloFlag::checksums);
}

void hello_reply(const std::uint8_t* data, std::size_t size) {
  const auto in = prefix<HelloReply::kSize>(data, size);
  const auto r = HelloReply::decode(in);
  if (!r) return;
  require(!describe(r->code).empty());
  const auto out = r->encode();
  const auto again = HelloReply::decode(out);
  require(again.has_value() && same(*r, *again));
  require(in == out);  // every byte of a reply is a field
}

void frame_header(const std::uint8_t* data, std::size_t size, std::uint32_t max_payload) {
  const auto in = prefix<FrameHeader::kSize>(data, size);
  const auto h = FrameHeader::decode(in, max_payload);
  if (!h) return;
  require(h->kind == FrameKind::data || h->kind == FrameKind::cancel || h->kind == FrameKind::end);
  if (h->kind == FrameKind::data) {
    const std::uint64_t tag = h->has(FrameFlag::sealed) ? kTagSize : 0;
    require(h->length <= max_payload && h->payload_on_wire() <= max_payload + tag);
    require(!describe(h->codec).empty());
  }
  if (h->kind == FrameKind::cancel) require(h->cancel != CancelReason::none);
  require(!describe(h->cancel).empty());
  const auto out = h->encode();
  const auto again = FrameHeader::decode(out, max_payload);
  require(again.has_value() && same(*h, *again));
  require(in == out);  // the decoder checks every byte: decoding is one-to-one
  if (h->kind == FrameKind::end) {
    const auto end = FrameHeader::end_of(h->end_count());
    require(same(end, *h));
  }
}

void key_messages(const std::uint8_t* data, std::size_t size) {
  const auto in = prefix<KeyOffer::kSize>(data, size);
  if (const auto offer = KeyOffer::decode(in)) {
    const auto out = offer->encode();
    require(in == out);  // every byte is a field or a reserved zero
  }
  const auto cin = prefix<KeyChallenge::kSize>(data, size);
  require(KeyChallenge::decode(cin).encode() == cin);
}

void control(const std::uint8_t* data, std::size_t size) {
  const auto in = prefix<Control::kSize>(data, size);
  const auto c = Control::decode(in);
  if (!c) return;
  require(!describe(c->abort).empty());
  const auto out = c->encode();
  const auto again = Control::decode(out);
  require(again.has_value() && same(*c, *again));
  require(in == out);
  require(c->count() == again->count());
}

void checksum(const std::uint8_t* data, std::size_t size) {
  const auto in = prefix<FrameHeader::kSize>(data, size);
  FrameHeader h;
  if (auto decoded = FrameHeader::decode(in)) h = *decoded;
  const std::span<const std::byte> payload(
      reinterpret_cast<const std::byte*>(data) + std::min(size, FrameHeader::kSize),
      size - std::min(size, FrameHeader::kSize));
  if (h.kind == FrameKind::data) h.length = static_cast<std::uint32_t>(payload.size());

  const auto sum = frame_checksum(h, payload);
  // The checksum field itself is not covered.
  FrameHeader other = h;
  other.checksum = ~h.checksum;
  require(frame_checksum(other, payload) == sum);
  // It is the raw frame's: the sidechain's fields do not change it.
  FrameHeader transformed = h;
  transformed.codec = Codec::zstd;
  transformed.wire_length = 1;
  transformed.wire_checksum = ~h.wire_checksum;
  require(frame_checksum(transformed, payload) == sum);
  FrameHeader sealed = h;
  sealed.flags |= static_cast<std::uint8_t>(FrameFlag::sealed);
  sealed.wire_length = h.length + kTagSize;
  require(frame_checksum(sealed, payload) == sum);
  // It is XXH3-64 of the encoded plain header (checksum zeroed) and the payload, in one piece.
  FrameHeader zeroed = h;
  zeroed.checksum = 0;
  zeroed.codec = Codec::none;
  zeroed.wire_checksum = 0;
  zeroed.flags &= static_cast<std::uint8_t>(~static_cast<unsigned>(FrameFlag::sealed));
  const auto head = zeroed.encode();
  std::vector<std::byte> whole(head.begin(), head.end());
  whole.insert(whole.end(), payload.begin(), payload.end());
  require(XXH3_64bits(whole.data(), whole.size()) == sum);

  // The stream digest is a function of the chain.
  const std::uint64_t d1 = fold_digest(kEmptyDigest, sum);
  require(fold_digest(kEmptyDigest, sum) == d1);
  (void)fold_digest(d1, h.seq);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Bytes 48..51 (when present) choose the payload limit FrameHeader::decode enforces.
  std::uint32_t max_payload = kMaxPayload;
  if (size >= 52) {
    std::uint32_t v = 0;
    for (std::size_t i = 48; i < 52; ++i) v = (v << 8) | data[i];
    max_payload = v;
  }
  hello(data, size);
  hello_reply(data, size);
  frame_header(data, size, kMaxPayload);
  frame_header(data, size, max_payload);
  control(data, size);
  key_messages(data, size);
  checksum(data, size);
  return 0;
}
