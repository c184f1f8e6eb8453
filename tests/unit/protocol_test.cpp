#include "wire/protocol.hpp"

#include <gtest/gtest.h>

#include <random>

#include "wire/checksum.hpp"

namespace vmp::wire {
namespace {

template <std::size_t N>
std::span<const std::byte, N> view(const std::array<std::byte, N>& a) {
  return std::span<const std::byte, N>(a);
}

TEST(Protocol, HelloRoundTripsAndIsBigEndian) {
  Hello h;
  h.flags = static_cast<std::uint16_t>(HelloFlag::checksums);
  h.checkphrase = *make_checkphrase("wat!");
  h.session = 0x0102030405060708ULL;
  h.leg = 7;
  h.outage_timeout_seconds = 3600;
  const auto bytes = h.encode();
  EXPECT_EQ(bytes[0], std::byte{'V'});
  EXPECT_EQ(bytes[3], std::byte{'D'});
  EXPECT_EQ(bytes[5], std::byte{4});  // version 3, big-endian
  EXPECT_EQ(bytes[12], std::byte{0x01});
  EXPECT_EQ(bytes[19], std::byte{0x08});
  auto back = Hello::decode(view(bytes));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->session, h.session);
  EXPECT_EQ(back->leg, 7u);
  EXPECT_EQ(back->outage_timeout_seconds, 3600u);
  EXPECT_EQ(back->checkphrase, h.checkphrase);
  EXPECT_TRUE(back->has(HelloFlag::checksums));
}

TEST(Protocol, HelloWithWrongMagicIsRejected) {
  auto bytes = Hello{}.encode();
  bytes[0] = std::byte{'G'};  // "GET /..."
  EXPECT_FALSE(Hello::decode(view(bytes)));
}

TEST(Protocol, WrongVersionStillDecodesSoItCanBeAnswered) {
  Hello h;
  h.version = 1;
  auto back = Hello::decode(view(h.encode()));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->version, 1);
}

TEST(Protocol, CheckphraseIsAtMostFourBytes) {
  EXPECT_TRUE(make_checkphrase("wat!"));
  EXPECT_TRUE(make_checkphrase("ab"));
  EXPECT_FALSE(make_checkphrase("toolong"));
  EXPECT_NE(*make_checkphrase("ab"), *make_checkphrase("abc"));
}

TEST(Protocol, FrameHeaderRoundTrips) {
  FrameHeader h;
  h.flags =
      static_cast<std::uint8_t>(FrameFlag::last) | static_cast<std::uint8_t>(FrameFlag::checksum);
  h.length = 12345;
  h.seq = 99;
  h.offset = 5ULL << 33;
  h.checksum = 0xdeadbeefcafef00dULL;
  auto back = FrameHeader::decode(view(h.encode()));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->length, 12345u);
  EXPECT_EQ(back->seq, 99u);
  EXPECT_EQ(back->offset, 5ULL << 33);
  EXPECT_EQ(back->checksum, h.checksum);
  EXPECT_TRUE(back->has(FrameFlag::last));
}

TEST(Protocol, TransformedFrameCarriesCodecWireLengthAndWireChecksum) {
  FrameHeader h;
  h.length = 1000;
  h.seq = 7;
  h.codec = Codec::zstd;
  h.wire_length = 120;
  h.wire_checksum = 0x0102030405060708ULL;
  auto back = FrameHeader::decode(view(h.encode()));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->codec, Codec::zstd);
  EXPECT_EQ(back->length, 1000u);
  EXPECT_EQ(back->wire_length, 120u);
  EXPECT_EQ(back->payload_on_wire(), 120u);
  EXPECT_EQ(back->wire_checksum, h.wire_checksum);
  // A plain frame has as many bytes on the wire as in the stream, and no wire checksum.
  FrameHeader plain;
  plain.length = 1000;
  EXPECT_EQ(FrameHeader::decode(view(plain.encode()))->payload_on_wire(), 1000u);
  auto bytes = plain.encode();
  bytes[39] = std::byte{1};  // wire length != length
  EXPECT_FALSE(FrameHeader::decode(view(bytes)));
  bytes = h.encode();
  bytes[32] = std::byte{9};  // unknown codec
  EXPECT_FALSE(FrameHeader::decode(view(bytes)));
  // The wire length is bounded like the raw length, before anything is allocated.
  h.wire_length = kMaxPayload + 1;
  EXPECT_FALSE(FrameHeader::decode(view(h.encode())));
}

TEST(Protocol, OversizeFrameIsRejectedBeforeAllocation) {
  FrameHeader h;
  h.length = kMaxPayload + 1;
  EXPECT_FALSE(FrameHeader::decode(view(h.encode())));
  h.length = 100;
  EXPECT_FALSE(FrameHeader::decode(view(h.encode()), 99));
  EXPECT_TRUE(FrameHeader::decode(view(h.encode()), 100));
}

TEST(Protocol, CancelFrameRoundTripsAndMalformedOnesAreRejected) {
  FrameHeader h;
  h.kind = FrameKind::cancel;
  h.cancel = CancelReason::interrupted;
  auto back = FrameHeader::decode(view(h.encode()));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->cancel, CancelReason::interrupted);
  EXPECT_EQ(back->length, 0u);
  auto bytes = h.encode();
  bytes[3] = std::byte{9};  // unknown reason
  EXPECT_FALSE(FrameHeader::decode(view(bytes)));
  bytes = h.encode();
  bytes[7] = std::byte{1};  // a cancel frame carries nothing else
  EXPECT_FALSE(FrameHeader::decode(view(bytes)));
  EXPECT_EQ(FrameHeader::decode(view(FrameHeader{}.encode()))->kind, FrameKind::data);
}

TEST(Protocol, EndFrameCarriesTheTransmittersCount) {
  const StreamCount count{16, 131072, 0x1122334455667788ULL};
  auto back = FrameHeader::decode(view(FrameHeader::end_of(count).encode()));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->kind, FrameKind::end);
  EXPECT_EQ(back->end_count(), count);
  auto bytes = FrameHeader::end_of(count).encode();
  bytes[4] = std::byte{1};  // an end frame has no length or flags
  EXPECT_FALSE(FrameHeader::decode(view(bytes)));
}

TEST(Protocol, UnknownFrameTypeOrFlagsAreRejected) {
  auto bytes = FrameHeader{}.encode();
  bytes[0] = std::byte{'Z'};
  EXPECT_FALSE(FrameHeader::decode(view(bytes)));
  bytes = FrameHeader{}.encode();
  bytes[1] = std::byte{0x80};
  EXPECT_FALSE(FrameHeader::decode(view(bytes)));
}

TEST(Protocol, RandomBytesNeverCrashDecoders) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 20000; ++i) {
    std::array<std::byte, 32> buf{};
    for (auto& b : buf) b = static_cast<std::byte>(rng());
    (void)Hello::decode(view(buf));
    std::array<std::byte, 48> wide{};
    for (auto& b : wide) b = static_cast<std::byte>(rng());
    (void)FrameHeader::decode(view(wide));
    (void)HelloReply::decode(view(wide));
    (void)Control::decode(view(buf));
  }
}

TEST(Protocol, ControlAndReplyRoundTrip) {
  Control c;
  c.complete = true;
  c.next_seq = 77;
  c.bytes = 1ULL << 40;
  c.digest = 0xfeedULL;
  auto back = Control::decode(view(c.encode()));
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->complete);
  EXPECT_EQ(back->next_seq, 77u);
  EXPECT_EQ(back->bytes, 1ULL << 40);
  EXPECT_EQ(back->count(), (StreamCount{77, 1ULL << 40, 0xfeed}));

  Control abort;
  abort.type = ControlType::abort;
  abort.abort = AbortCode::sink_failed;
  auto ab = Control::decode(view(abort.encode()));
  ASSERT_TRUE(ab);
  EXPECT_EQ(ab->type, ControlType::abort);
  EXPECT_EQ(ab->abort, AbortCode::sink_failed);

  HelloReply r;
  r.code = ReplyCode::complete;
  r.next_seq = 5;
  r.receiver_id = 0xabcdef0123456789ULL;
  r.window_bytes = 256ULL << 20;
  r.bytes = 12345;
  r.digest = 99;
  auto rb = HelloReply::decode(view(r.encode()));
  ASSERT_TRUE(rb);
  EXPECT_EQ(rb->receiver_id, r.receiver_id);
  EXPECT_EQ(rb->code, ReplyCode::complete);
  EXPECT_EQ(rb->next_seq, 5u);
  EXPECT_EQ(rb->window_bytes, 256ULL << 20);
  EXPECT_EQ(rb->bytes, 12345u);
  EXPECT_EQ(rb->digest, 99u);
}

TEST(Protocol, FrameChecksumCoversTheHeader) {
  std::array<std::byte, 100> payload{};
  payload[3] = std::byte{7};
  FrameHeader h;
  h.length = 100;
  h.seq = 4;
  h.offset = 400;
  const auto sum = frame_checksum(h, payload);
  EXPECT_EQ(frame_checksum(h, payload), sum);  // deterministic
  auto moved = h;
  moved.seq = 5;
  EXPECT_NE(frame_checksum(moved, payload), sum);
  auto shifted = h;
  shifted.offset = 0;
  EXPECT_NE(frame_checksum(shifted, payload), sum);
  auto last = h;
  last.flags = static_cast<std::uint8_t>(FrameFlag::last);
  EXPECT_NE(frame_checksum(last, payload), sum);
  auto with_sum = h;
  with_sum.checksum = 12345;  // the checksum field itself is not covered
  EXPECT_EQ(frame_checksum(with_sum, payload), sum);
  auto transformed = h;  // the checksum is of the raw frame, whatever the sidechain did
  transformed.codec = Codec::lz4;
  transformed.wire_length = 10;
  transformed.wire_checksum = 99;
  EXPECT_EQ(frame_checksum(transformed, payload), sum);
  payload[3] = std::byte{8};
  EXPECT_NE(frame_checksum(h, payload), sum);
}

TEST(Protocol, WireChecksumCoversEveryHeaderFieldAndTheWireBytes) {
  std::array<std::byte, 10> wire{};
  FrameHeader h;
  h.length = 100;
  h.codec = Codec::zstd;
  h.wire_length = 10;
  const auto sum = wire_checksum(h, wire);
  auto other = h;
  other.codec = Codec::lz4;
  EXPECT_NE(wire_checksum(other, wire), sum);
  other = h;
  other.checksum = 1;
  EXPECT_NE(wire_checksum(other, wire), sum);
  other = h;
  other.wire_checksum = 5;  // itself excepted
  EXPECT_EQ(wire_checksum(other, wire), sum);
  wire[0] = std::byte{1};
  EXPECT_NE(wire_checksum(h, wire), sum);
}

TEST(Protocol, StreamDigestDependsOnOrder) {
  const auto ab = fold_digest(fold_digest(kEmptyDigest, 1), 2);
  const auto ba = fold_digest(fold_digest(kEmptyDigest, 2), 1);
  EXPECT_NE(ab, ba);
  EXPECT_EQ(ab, fold_digest(fold_digest(kEmptyDigest, 1), 2));
}

TEST(Protocol, KeyOfferAndChallengeRoundTrip) {
  KeyOffer offer;
  offer.session_salt.fill(std::byte{1});
  offer.leg_nonce.fill(std::byte{2});
  offer.cipher = 2;
  const auto bytes = offer.encode();
  auto back = KeyOffer::decode(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->session_salt, offer.session_salt);
  EXPECT_EQ(back->leg_nonce, offer.leg_nonce);
  EXPECT_EQ(back->cipher, 2);
  auto junk = bytes;
  junk[70] = std::byte{1};  // reserved bytes must be zero
  EXPECT_FALSE(KeyOffer::decode(junk));

  KeyChallenge c;
  c.receiver_nonce.fill(std::byte{3});
  c.proof.fill(std::byte{4});
  const auto cb = c.encode();
  const auto c2 = KeyChallenge::decode(cb);
  EXPECT_EQ(c2.receiver_nonce, c.receiver_nonce);
  EXPECT_EQ(c2.proof, c.proof);
}

TEST(Protocol, SealedFramesCarryTheirTagInTheWireLength) {
  FrameHeader h;
  h.length = 1000;
  h.seq = 4;
  h.flags = static_cast<std::uint8_t>(FrameFlag::sealed);
  h.wire_length = 1000 + kTagSize;
  h.wire_checksum = 77;  // never on the wire for a sealed frame: the AEAD tag covers it
  EXPECT_EQ(h.payload_on_wire(), 1000 + kTagSize);
  auto bytes = h.encode();
  auto back = FrameHeader::decode(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->wire_checksum, 0U);
  EXPECT_EQ(back->payload_on_wire(), 1000 + kTagSize);
  // A plain sealed frame's wire length is exactly its length and a tag.
  h.wire_length = 1000;
  EXPECT_FALSE(FrameHeader::decode(h.encode()));
  // Compressed and sealed: at most the largest payload and a tag.
  h.codec = Codec::zstd;
  h.wire_length = 10;
  EXPECT_FALSE(FrameHeader::decode(h.encode()));  // shorter than a tag
  h.wire_length = kMaxPayload + kTagSize;
  EXPECT_TRUE(FrameHeader::decode(h.encode()));
  h.wire_length = kMaxPayload + kTagSize + 1;
  EXPECT_FALSE(FrameHeader::decode(h.encode()));
}

}  // namespace
}  // namespace vmp::wire
