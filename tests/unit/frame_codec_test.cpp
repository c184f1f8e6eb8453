#include "sidechain/frame_codec.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "sidechain/frame_transform.hpp"
#include "wire/checksum.hpp"

namespace vmp::sidechain {
namespace {

std::vector<std::byte> text_like(std::size_t n) {
  static const char* words[] = {"zfs ", "send ", "snapshot ", "pool/", "tank ", "recv\n"};
  std::vector<std::byte> out;
  std::mt19937 rng(1);
  while (out.size() < n) {
    const char* w = words[rng() % 6];
    for (const char* c = w; *c && out.size() < n; ++c) out.push_back(std::byte(*c));
  }
  return out;
}

std::vector<std::byte> random_bytes(std::size_t n) {
  std::vector<std::byte> out(n);
  std::mt19937_64 rng(7);
  for (auto& b : out) b = std::byte(rng());
  return out;
}

TEST(Compression, ParsesTheSpellingsOfTheCommandLine) {
  EXPECT_EQ(parse_compression("none"), Compression{});
  EXPECT_EQ(parse_compression("lz4")->codec, wire::Codec::lz4);
  EXPECT_EQ(parse_compression("zstd")->level, 3);
  EXPECT_EQ(parse_compression("zstd:19")->level, 19);
  EXPECT_FALSE(parse_compression("zstd:0"));
  EXPECT_FALSE(parse_compression("zstd:20"));
  EXPECT_FALSE(parse_compression("zstd:1x"));
  EXPECT_FALSE(parse_compression("gzip"));
  EXPECT_EQ(to_string(*parse_compression("zstd:7")), "zstd:7");
  EXPECT_EQ(to_string(*parse_compression("lz4")), "lz4");
}

class FrameCodecTest : public ::testing::TestWithParam<const char*> {
 protected:
  BufferPool pool_{64 << 20};
  FrameCodec codec_{pool_};
};

TEST_P(FrameCodecTest, RoundTripsAndShrinksCompressibleData) {
  const auto how = *parse_compression(GetParam());
  for (std::size_t n : {std::size_t{2}, std::size_t{1000}, std::size_t{1} << 20}) {
    const auto raw = text_like(n);
    auto enc = codec_.encode(how, raw);
    if (n < 100) {
      EXPECT_FALSE(enc) << "tiny input cannot shrink";
      continue;
    }
    ASSERT_TRUE(enc);
    EXPECT_LT(enc->length, raw.size() / 2);
    auto dec = codec_.decode(how.codec, {enc->bytes.data(), enc->length},
                             static_cast<std::uint32_t>(raw.size()));
    ASSERT_TRUE(std::holds_alternative<Buffer>(dec)) << std::get<std::string>(dec);
    EXPECT_EQ(std::memcmp(std::get<Buffer>(dec).data(), raw.data(), raw.size()), 0);
  }
}

TEST_P(FrameCodecTest, IncompressibleDataGoesRaw) {
  const auto raw = random_bytes(1 << 20);
  EXPECT_FALSE(codec_.encode(*parse_compression(GetParam()), raw));
}

TEST_P(FrameCodecTest, ALengthThatIsNotTheFramesIsAnErrorNotAnOverflow) {
  const auto how = *parse_compression(GetParam());
  const auto raw = text_like(100000);
  auto enc = codec_.encode(how, raw);
  ASSERT_TRUE(enc);
  const std::span<const std::byte> wire(enc->bytes.data(), enc->length);
  // A header that claims less than the frame holds (a decompression bomb in small) or more.
  EXPECT_TRUE(std::holds_alternative<std::string>(codec_.decode(how.codec, wire, 99999)));
  EXPECT_TRUE(std::holds_alternative<std::string>(codec_.decode(how.codec, wire, 100001)));
}

TEST_P(FrameCodecTest, GarbageNeverCrashesTheDecoder) {
  const auto how = *parse_compression(GetParam());
  const auto raw = text_like(50000);
  auto enc = codec_.encode(how, raw);
  ASSERT_TRUE(enc);
  std::mt19937 rng(3);
  for (int i = 0; i < 300; ++i) {
    std::vector<std::byte> wire(enc->bytes.data(), enc->bytes.data() + enc->length);
    for (int flips = 0; flips < 4; ++flips) wire[rng() % wire.size()] ^= std::byte(1 + rng() % 255);
    auto dec = codec_.decode(how.codec, wire, 50000);
    // Either an error, or (damage in a literal) 50000 bytes: the wire checksum catches those.
    if (auto* b = std::get_if<Buffer>(&dec)) {
      EXPECT_EQ(b->capacity(), 50000u);
    }
  }
}

TEST_P(FrameCodecTest, AFrameWhoseStartDoesNotShrinkGoesRawAndOneWhoseStartDoesIsCompressed) {
  const auto how = *parse_compression(GetParam());
  auto frame = random_bytes(1 << 20);
  const auto text = text_like(frame.size() - FrameCodec::kSampleBytes);
  // Random start, compressible rest: judged by its start (a deliberate trade).
  std::copy(text.begin(), text.end(), frame.begin() + FrameCodec::kSampleBytes);
  EXPECT_FALSE(codec_.encode(how, frame));
  // Compressible start, random rest: compressed, and still smaller.
  auto other = text_like(1 << 20);
  const auto noise = random_bytes(1 << 19);
  std::copy(noise.begin(), noise.end(), other.begin() + (1 << 19));
  auto enc = codec_.encode(how, other);
  ASSERT_TRUE(enc);
  EXPECT_LT(enc->length, other.size());
}

INSTANTIATE_TEST_SUITE_P(Codecs, FrameCodecTest, ::testing::Values("lz4", "zstd:1", "zstd:9"));

TEST(FrameTransform, EncodedFrameKeepsItsRawChecksumAndGainsAWireChecksum) {
  BufferPool pool(64 << 20);
  FrameCodec codec(pool);
  const auto raw = text_like(300000);
  OutFrame frame;
  frame.header.length = static_cast<std::uint32_t>(raw.size());
  frame.header.seq = 5;
  frame.header.offset = 1234;
  frame.payload = pool.get(raw.size());
  std::memcpy(frame.payload.data(), raw.data(), raw.size());
  const auto raw_sum = wire::frame_checksum(frame.header, raw);
  EXPECT_FALSE(encode_frame(codec, *parse_compression("zstd:1"), {}, nullptr, frame, pool));
  const auto& h = frame.header;
  EXPECT_EQ(h.codec, wire::Codec::zstd);
  EXPECT_LT(h.wire_length, raw.size());
  const std::span<const std::byte> wire(frame.payload.data(), h.wire_length);
  EXPECT_EQ(wire::wire_checksum(h, wire), h.wire_checksum);
  auto back = decode_frame(codec, {}, nullptr, h, frame.payload, pool);
  ASSERT_TRUE(std::holds_alternative<Buffer>(back));
  EXPECT_EQ(
      wire::frame_checksum(h, std::span<const std::byte>(std::get<Buffer>(back).data(), h.length)),
      raw_sum);
}

TEST(FrameTransform, FilterFramesAlwaysGoFilteredAndAFailingUnfilterIsFatal) {
  BufferPool pool(64 << 20);
  FrameCodec codec(pool);
  const auto raw = random_bytes(70000);  // gzip makes it bigger: it must still go filtered
  OutFrame frame;
  frame.header.length = static_cast<std::uint32_t>(raw.size());
  frame.payload = pool.get(raw.size());
  std::memcpy(frame.payload.data(), raw.data(), raw.size());
  ASSERT_FALSE(encode_frame(codec, {}, {"gzip -1"}, nullptr, frame, pool));
  EXPECT_EQ(frame.header.codec, wire::Codec::filter);
  EXPECT_GT(frame.header.wire_length, raw.size());
  const std::span<const std::byte> wire(frame.payload.data(), frame.header.wire_length);
  auto back = decode_frame(codec, {"gzip -dc"}, nullptr, frame.header, frame.payload, pool);
  ASSERT_TRUE(std::holds_alternative<Buffer>(back));
  EXPECT_EQ(std::memcmp(std::get<Buffer>(back).data(), raw.data(), raw.size()), 0);
  // An unfilter that gives back something else (here: too little) cannot be fixed by a resend.
  auto wrong =
      decode_frame(codec, {"gzip -dc | head -c 100"}, nullptr, frame.header, frame.payload, pool);
  ASSERT_TRUE(std::holds_alternative<DecodeError>(wrong));
  EXPECT_TRUE(std::get<DecodeError>(wrong).fatal);
  auto failing = decode_frame(codec, {"exit 3"}, nullptr, frame.header, frame.payload, pool);
  ASSERT_TRUE(std::holds_alternative<DecodeError>(failing));
  EXPECT_TRUE(std::get<DecodeError>(failing).fatal);
  EXPECT_NE(std::get<DecodeError>(failing).text.find("status 3"), std::string::npos);
  // A filtered frame at a receiver without --unfilter is a forgery: the leg goes.
  auto none = decode_frame(codec, {}, nullptr, frame.header, frame.payload, pool);
  ASSERT_TRUE(std::holds_alternative<DecodeError>(none));
  EXPECT_FALSE(std::get<DecodeError>(none).fatal);
}

TEST(FrameTransform, AFailingFilterIsReported) {
  BufferPool pool(1 << 20);
  FrameCodec codec(pool);
  OutFrame frame;
  frame.header.length = 10;
  frame.payload = pool.get(10);
  std::memset(frame.payload.data(), 'a', 10);
  auto err = encode_frame(codec, {}, {"kill -SEGV $$"}, nullptr, frame, pool);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("signal"), std::string::npos) << *err;
}

}  // namespace
}  // namespace vmp::sidechain
