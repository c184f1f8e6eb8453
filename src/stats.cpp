#include "stats.hpp"

namespace vmp {

std::uint64_t SidechainStats::raw_bytes() const {
  std::uint64_t n = 0;
  for (const auto& c : codecs) n += c.raw_bytes;
  return n;
}

std::uint64_t SidechainStats::wire_bytes() const {
  std::uint64_t n = 0;
  for (const auto& c : codecs) n += c.wire_bytes;
  return n;
}

double SidechainStats::ratio() const {
  const auto wire = wire_bytes();
  return wire == 0 ? 1.0 : static_cast<double>(raw_bytes()) / static_cast<double>(wire);
}

}  // namespace vmp
