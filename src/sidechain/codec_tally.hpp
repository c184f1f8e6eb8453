// Raw and wire bytes per codec, counted by the sidechain's workers and read by snapshots.
#pragma once

#include <array>
#include <mutex>
#include <vector>

#include "stats.hpp"
#include "wire/protocol.hpp"

namespace vmp::sidechain {

class CodecTally {
 public:
  void add(wire::Codec codec, std::uint64_t raw_bytes, std::uint64_t wire_bytes) {
    std::lock_guard lock(mutex_);
    auto& c = counts_[static_cast<std::size_t>(codec)];
    ++c.frames;
    c.raw_bytes += raw_bytes;
    c.wire_bytes += wire_bytes;
  }
  // Codecs that carried at least one frame, in wire::Codec order.
  std::vector<CodecStats> snapshot() const {
    std::lock_guard lock(mutex_);
    std::vector<CodecStats> out;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      if (counts_[i].frames == 0) continue;
      out.push_back(counts_[i]);
      out.back().codec = std::string(wire::describe(static_cast<wire::Codec>(i)));
    }
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::array<CodecStats, 4> counts_{};  // indexed by wire::Codec
};

}  // namespace vmp::sidechain
