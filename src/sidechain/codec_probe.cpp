#include "sidechain/codec_probe.hpp"

#include <algorithm>
#include <string>

namespace vmp::sidechain {

bool CodecProbe::due(std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (now < next_) return false;
  next_ = now + kPeriod;
  return true;
}

void CodecProbe::sample(FrameCodec& codec, std::span<const std::byte> raw) {
  const auto slice = raw.first(std::min(raw.size(), kSampleBytes));
  if (slice.empty()) return;
  std::array<std::uint64_t, kCompressChoices.size()> wire{};
  for (std::size_t i = 0; i < kCompressChoices.size(); ++i) {
    // Every choice parses: the tuner's codec gene sets them as the compress knob.
    const auto how = parse_compression(kCompressChoices[i]).value_or(Compression{});
    const auto encoded = how.codec == wire::Codec::none ? std::nullopt : codec.encode(how, slice);
    wire[i] = encoded ? encoded->length : slice.size();
  }
  std::lock_guard lock(mutex_);
  ++samples_;
  for (std::size_t i = 0; i < wire.size(); ++i) {
    raw_[i] += slice.size();
    wire_[i] += wire[i];
  }
}

std::vector<CodecStats> CodecProbe::snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<CodecStats> out;
  if (samples_ == 0) return out;
  for (std::size_t i = 0; i < kCompressChoices.size(); ++i) {
    out.push_back({std::string(kCompressChoices[i]), samples_, raw_[i], wire_[i]});
  }
  return out;
}

}  // namespace vmp::sidechain
