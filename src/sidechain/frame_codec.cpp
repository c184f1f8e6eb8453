#include "sidechain/frame_codec.hpp"

#include <lz4.h>
#include <zstd.h>

#include <charconv>
#include <limits>

namespace vmp::sidechain {

std::optional<Compression> parse_compression(std::string_view text) {
  if (text == "none") return Compression{};
  if (text == "lz4") return Compression{wire::Codec::lz4, 0};
  if (text == "zstd") return Compression{wire::Codec::zstd, 3};  // zstd's own default
  constexpr std::string_view kZstd = "zstd:";
  if (!text.starts_with(kZstd)) return std::nullopt;
  const auto digits = text.substr(kZstd.size());
  int level = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), level);
  if (ec != std::errc{} || end != digits.data() + digits.size() || level < 1 ||
      level > kZstdMaxLevel)
    return std::nullopt;
  return Compression{wire::Codec::zstd, level};
}

std::string to_string(const Compression& c) {
  if (c.codec == wire::Codec::zstd) return "zstd:" + std::to_string(c.level);
  return std::string(wire::describe(c.codec));
}

struct FrameCodec::Contexts {
  struct FreeC {
    void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
  };
  struct FreeD {
    void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
  };
  std::unique_ptr<ZSTD_CCtx, FreeC> zc{ZSTD_createCCtx()};
  std::unique_ptr<ZSTD_DCtx, FreeD> zd{ZSTD_createDCtx()};
};

FrameCodec::FrameCodec(BufferPool& pool) : pool_(pool), ctx_(std::make_unique<Contexts>()) {
  if (!ctx_->zc || !ctx_->zd) throw std::bad_alloc();
}

FrameCodec::~FrameCodec() = default;

std::optional<Encoded> FrameCodec::encode(const Compression& how, std::span<const std::byte> raw) {
  if (how.codec == wire::Codec::none) return std::nullopt;
  // Worth sending only when it saves something: the output may be at most raw.size() - 1.
  if (raw.size() < 2 || raw.size() > static_cast<std::size_t>(LZ4_MAX_INPUT_SIZE))
    return std::nullopt;
  // Incompressible data (already compressed or encrypted) is the common case where this
  // costs most: a sample of the frame that does not shrink says so for a fraction of the work.
  if (raw.size() >= 4 * kSampleBytes && !shrinks(how, raw.first(kSampleBytes))) return std::nullopt;
  const std::size_t limit = raw.size() - 1;
  Encoded out{pool_.get(limit), 0};
  switch (how.codec) {
    case wire::Codec::lz4: {
      const int n = LZ4_compress_default(reinterpret_cast<const char*>(raw.data()),
                                         reinterpret_cast<char*>(out.bytes.data()),
                                         static_cast<int>(raw.size()), static_cast<int>(limit));
      if (n <= 0) return std::nullopt;  // did not fit: not compressible enough
      out.length = static_cast<std::uint32_t>(n);
      return out;
    }
    case wire::Codec::zstd: {
      const std::size_t n = ZSTD_compressCCtx(ctx_->zc.get(), out.bytes.data(), limit, raw.data(),
                                              raw.size(), how.level);
      if (ZSTD_isError(n)) return std::nullopt;  // dstSize_tooSmall: not compressible enough
      out.length = static_cast<std::uint32_t>(n);
      return out;
    }
    case wire::Codec::none:
    case wire::Codec::filter:
      break;
  }
  return std::nullopt;
}

bool FrameCodec::shrinks(const Compression& how, std::span<const std::byte> sample) {
  // At least 1/32 smaller, or the whole frame is not worth the CPU.
  const std::size_t limit = sample.size() - sample.size() / 32;
  if (sample_.size() < limit) sample_.resize(limit);
  if (how.codec == wire::Codec::lz4) {
    return LZ4_compress_default(reinterpret_cast<const char*>(sample.data()),
                                reinterpret_cast<char*>(sample_.data()),
                                static_cast<int>(sample.size()), static_cast<int>(limit)) > 0;
  }
  if (how.codec == wire::Codec::zstd) {
    return !ZSTD_isError(ZSTD_compressCCtx(ctx_->zc.get(), sample_.data(), limit, sample.data(),
                                           sample.size(), how.level));
  }
  return false;
}

std::variant<Buffer, std::string> FrameCodec::decode(wire::Codec codec,
                                                     std::span<const std::byte> wire,
                                                     std::uint32_t raw_length) {
  switch (codec) {
    case wire::Codec::lz4: {
      if (wire.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
        return std::string("lz4 frame too large");
      Buffer raw = pool_.get(raw_length);
      // Bounded by raw_length: LZ4_decompress_safe never writes past the capacity given.
      const int n = LZ4_decompress_safe(
          reinterpret_cast<const char*>(wire.data()), reinterpret_cast<char*>(raw.data()),
          static_cast<int>(wire.size()), static_cast<int>(raw_length));
      if (n < 0) return std::string("lz4: the frame does not decode");
      if (static_cast<std::uint32_t>(n) != raw_length)
        return "lz4: the frame decodes to " + std::to_string(n) + " bytes, not " +
               std::to_string(raw_length);
      return raw;
    }
    case wire::Codec::zstd: {
      // The frame says how much it holds; it must be what the header says, before allocating.
      const auto content = ZSTD_getFrameContentSize(wire.data(), wire.size());
      if (content != raw_length)
        return std::string("zstd: the frame's content size is not the header's length");
      Buffer raw = pool_.get(raw_length);
      const std::size_t n =
          ZSTD_decompressDCtx(ctx_->zd.get(), raw.data(), raw_length, wire.data(), wire.size());
      if (ZSTD_isError(n)) return std::string("zstd: ") + ZSTD_getErrorName(n);
      if (n != raw_length)
        return "zstd: the frame decodes to " + std::to_string(n) + " bytes, not " +
               std::to_string(raw_length);
      return raw;
    }
    case wire::Codec::none:
    case wire::Codec::filter:
      break;
  }
  return std::string("not a built-in codec: ") + std::string(wire::describe(codec));
}

}  // namespace vmp::sidechain
