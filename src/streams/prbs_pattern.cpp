#include "streams/prbs_pattern.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

namespace vmp::streams {
namespace {

constexpr std::uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

std::uint64_t splitmix_finish(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::array<std::byte, 8> little_endian(std::uint64_t v) {
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  std::array<std::byte, 8> out{};
  std::memcpy(out.data(), &v, sizeof v);
  return out;
}

}  // namespace

// The seed is mixed first, so that seeds 1 and 2 do not give the same stream shifted by a word.
PrbsPattern::PrbsPattern(std::uint64_t seed) : base_(splitmix_finish(seed + kGolden)) {}

std::uint64_t PrbsPattern::word(std::uint64_t index) const {
  return splitmix_finish(base_ + index * kGolden);
}

void PrbsPattern::fill(std::uint64_t offset, std::span<std::byte> out) const {
  std::size_t done = 0;
  // A leading partial word, then whole words, then a trailing partial one.
  while (done < out.size()) {
    const std::uint64_t at = offset + done;
    const auto skip = static_cast<std::size_t>(at % 8);
    const std::size_t take = std::min<std::size_t>(8 - skip, out.size() - done);
    if (skip == 0 && take == 8 && std::endian::native == std::endian::little) {
      // The common case, without the per-word array.
      std::uint64_t index = at / 8;
      const std::size_t words = (out.size() - done) / 8;
      for (std::size_t i = 0; i < words; ++i, ++index) {
        const std::uint64_t v = word(index);
        std::memcpy(out.data() + done + i * 8, &v, 8);
      }
      done += words * 8;
      continue;
    }
    const auto bytes = little_endian(word(at / 8));
    std::memcpy(out.data() + done, bytes.data() + skip, take);
    done += take;
  }
}

std::optional<std::uint64_t> PrbsPattern::first_difference(std::uint64_t offset,
                                                           std::span<const std::byte> data) const {
  std::array<std::byte, 4096> expected{};
  for (std::size_t done = 0; done < data.size();) {
    const std::size_t n = std::min(expected.size(), data.size() - done);
    fill(offset + done, std::span(expected.data(), n));
    if (std::memcmp(expected.data(), data.data() + done, n) != 0) {
      for (std::size_t i = 0; i < n; ++i)
        if (expected[i] != data[done + i]) return offset + done + i;
    }
    done += n;
  }
  return std::nullopt;
}

}  // namespace vmp::streams
