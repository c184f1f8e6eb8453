// `--compress auto` with the tuner: what every codec of the ladder (kCompressChoices) makes of
// the same bytes. A few times a second one worker compresses a slice of the frame in hand with
// each of them and adds up the sizes, so each codec's ratio is measured on one common sample of
// the whole stream, not on whatever part of the stream ran while it was the genome in force.
// Why: real streams change their compressibility faster than the tuner's windows (a tar of /usr
// here: lz4 ratios from 1.1 to 9.4 per 50 MB), so the stream rate a genome delivered said more
// about the data of its window than about its codec (the same genome measured 10.6 to
// 53.5 MB/s in one run over 100 Mbit/s). The tuner scores a codec by the wire rate its genome
// reached times this ratio (tuner/README, "Compression").
// Cost: kSampleBytes with six codecs every kPeriod, about 2-3 % of one core at any stream rate.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <span>
#include <vector>

#include "knobs.hpp"
#include "sidechain/frame_codec.hpp"
#include "stats.hpp"

namespace vmp::sidechain {

class CodecProbe {
 public:
  static constexpr std::size_t kSampleBytes = 128 * 1024;
  static constexpr std::chrono::milliseconds kPeriod{250};

  // Whether the caller should take the next sample (at most one per kPeriod, whichever worker
  // asks first). Thread-safe.
  bool due(std::chrono::steady_clock::time_point now);
  // Compresses up to kSampleBytes of `raw` with every choice. A choice that does not shrink
  // the slice counts it raw, as its frame would go.
  void sample(FrameCodec& codec, std::span<const std::byte> raw);
  // One entry per choice (codec = the choice, "zstd:3"; frames = samples), once sampled.
  std::vector<CodecStats> snapshot() const;

 private:
  mutable std::mutex mutex_;
  std::chrono::steady_clock::time_point next_{};
  std::uint64_t samples_ = 0;
  std::array<std::uint64_t, kCompressChoices.size()> raw_{};
  std::array<std::uint64_t, kCompressChoices.size()> wire_{};
};

}  // namespace vmp::sidechain
