#include "wire/protocol.hpp"

#include <gtest/gtest.h>

#include <random>

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
  EXPECT_EQ(bytes[5], std::byte{1});  // version 1, big-endian
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
  h.version = 2;
  auto back = Hello::decode(view(h.encode()));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->version, 2);
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
  EXPECT_EQ(FrameHeader::decode(view(FrameHeader{}.encode()))->cancel, CancelReason::none);
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
    (void)FrameHeader::decode(view(buf));
    (void)HelloReply::decode(std::span<const std::byte, 24>(buf.data(), 24));
    (void)Control::decode(std::span<const std::byte, 24>(buf.data(), 24));
  }
}

TEST(Protocol, ControlAndReplyRoundTrip) {
  Control c;
  c.complete = true;
  c.next_seq = 77;
  c.bytes = 1ULL << 40;
  auto back = Control::decode(view(c.encode()));
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->complete);
  EXPECT_EQ(back->next_seq, 77u);
  EXPECT_EQ(back->bytes, 1ULL << 40);

  Control abort;
  abort.type = ControlType::abort;
  abort.abort = AbortCode::sink_failed;
  auto ab = Control::decode(view(abort.encode()));
  ASSERT_TRUE(ab);
  EXPECT_EQ(ab->type, ControlType::abort);
  EXPECT_EQ(ab->abort, AbortCode::sink_failed);

  HelloReply r;
  r.code = ReplyCode::bad_checkphrase;
  r.next_seq = 5;
  r.receiver_id = 0xabcdef0123456789ULL;
  auto rb = HelloReply::decode(view(r.encode()));
  ASSERT_TRUE(rb);
  EXPECT_EQ(rb->receiver_id, r.receiver_id);
  EXPECT_EQ(rb->code, ReplyCode::bad_checkphrase);
  EXPECT_EQ(rb->next_seq, 5u);
}

}  // namespace
}  // namespace vmp::wire
