// The built-in codecs of the sidechain stage (lz4 and zstd, from their libraries), one frame
// at a time. A FrameCodec belongs to one worker thread: it keeps what that thread reuses from
// frame to frame, its compression contexts and the memory files its filter processes run on
// (FilterFiles), so a frame costs no allocation beyond its output buffer.
//
// encode() gives up (nullopt) when the result would not be smaller than the raw frame: such
// a frame goes out raw, so incompressible input costs one failed attempt and no wire bytes.
// decode() trusts nothing: the raw length comes from the frame header (bounded by the
// protocol's payload limit before anything is allocated), the decoder may write at most that
// many bytes, and must write exactly that many.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "sidechain/filter_files.hpp"
#include "util/buffer_pool.hpp"
#include "wire/protocol.hpp"

namespace vmp::sidechain {

// What the user asked for with --compress: a codec and, for zstd, a level.
struct Compression {
  wire::Codec codec = wire::Codec::none;  // none, lz4 or zstd
  int level = 0;                          // zstd: 1..19

  bool operator==(const Compression&) const = default;
};
inline constexpr int kZstdMaxLevel = 19;
// "none", "lz4", "zstd" (level 3), "zstd:LEVEL"; nullopt otherwise.
std::optional<Compression> parse_compression(std::string_view text);
std::string to_string(const Compression& c);  // "zstd:3"

struct Encoded {
  Buffer bytes;
  std::uint32_t length = 0;  // valid bytes in `bytes`
};

class FrameCodec {
 public:
  explicit FrameCodec(BufferPool& pool);
  ~FrameCodec();
  FrameCodec(const FrameCodec&) = delete;
  FrameCodec& operator=(const FrameCodec&) = delete;

  // Frames of at least 4 samples are tried on their first kSampleBytes first: when that does
  // not shrink by 1/32, the frame goes raw without compressing the rest.
  static constexpr std::size_t kSampleBytes = 64 * 1024;
  std::optional<Encoded> encode(const Compression& how, std::span<const std::byte> raw);
  // The raw frame, or one line saying why it cannot be had ("zstd: corrupted block ...").
  std::variant<Buffer, std::string> decode(wire::Codec codec, std::span<const std::byte> wire,
                                           std::uint32_t raw_length);
  // Room for a filter's output of a whole frame and one byte more (how the receiver tells
  // too much output from exact).
  FilterFiles& filter_files() { return filter_files_; }

 private:
  bool shrinks(const Compression& how, std::span<const std::byte> sample);

  struct Contexts;
  BufferPool& pool_;
  std::vector<std::byte> sample_;  // output of the sample compression
  std::unique_ptr<Contexts> ctx_;
  FilterFiles filter_files_{std::size_t{wire::kMaxPayload} + 1};
};

}  // namespace vmp::sidechain
