// The stream of `prbs SEED`: a deterministic pseudo-random byte sequence that any offset can
// be computed for, so the receiver can check a stream it joins anywhere and name the first
// byte that differs. Word i (8 bytes, little-endian, at offset 8*i) is SplitMix64 of
// seed-mix + i: fast, passes as random for dedup and compression, and not cryptographic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace vmp::streams {

class PrbsPattern {
 public:
  explicit PrbsPattern(std::uint64_t seed);

  // Writes the pattern's bytes [offset, offset + out.size()).
  void fill(std::uint64_t offset, std::span<std::byte> out) const;
  // The stream offset of the first byte of `data` (which starts at stream offset `offset`)
  // that is not the pattern's; nullopt when all match.
  std::optional<std::uint64_t> first_difference(std::uint64_t offset,
                                                std::span<const std::byte> data) const;

 private:
  std::uint64_t word(std::uint64_t index) const;
  std::uint64_t base_;
};

}  // namespace vmp::streams
