#include "sidechain/compress_feedback.hpp"

#include <algorithm>

namespace vmp::sidechain {
namespace {

struct Frames {
  std::uint64_t all = 0;
  std::uint64_t raw = 0;
};

Frames frames_of(const Stats& s) {
  Frames f;
  if (!s.sidechain) return f;
  for (const auto& c : s.sidechain->codecs) {
    f.all += c.frames;
    if (c.codec == "none") f.raw += c.frames;
  }
  return f;
}

}  // namespace

std::size_t CompressFeedback::index() const {
  const auto it = std::find(kCompressChoices.begin(), kCompressChoices.end(), current_);
  return it == kCompressChoices.end() ? 1 : static_cast<std::size_t>(it - kCompressChoices.begin());
}

std::optional<std::string> CompressFeedback::step(const Stats& now) {
  if (!last_) {
    last_ = now;
    changed_at_ = now.elapsed_seconds - kHoldSeconds;  // the start holds nothing back
    return std::nullopt;
  }
  const Stats before = *last_;
  last_ = now;
  const double dt = now.elapsed_seconds - before.elapsed_seconds;
  if (dt <= 0) return std::nullopt;
  const double since_change = now.elapsed_seconds - changed_at_;
  const double stage_share = (now.sidechain_stall_seconds - before.sidechain_stall_seconds) / dt;
  const double network_share = (now.network_stall_seconds - before.network_stall_seconds) / dt;
  const auto f0 = frames_of(before);
  const auto f1 = frames_of(now);
  const auto frames = f1.all - f0.all;
  const double raw_share =
      frames == 0 ? 0.0 : static_cast<double>(f1.raw - f0.raw) / static_cast<double>(frames);

  std::size_t i = index();
  const std::size_t top = kCompressChoices.size() - 1;
  std::size_t want = i;
  if (gave_up_) {
    if (since_change >= kRetrySeconds) want = 1;  // perhaps the data compresses now
  } else if (since_change < kHoldSeconds) {
    return std::nullopt;
  } else if (i > 0 && frames > 0 && raw_share >= kIncompressible) {
    want = 0;
  } else if (stage_share > kStageBound) {
    want = i > 0 ? i - 1 : 0;
  } else if (network_share > kNetworkBound && i < top && (i == 0 || raw_share < 0.5)) {
    want = i + 1;
  }
  if (want == i) return std::nullopt;
  gave_up_ = want == 0 && raw_share >= kIncompressible;
  current_ = std::string(kCompressChoices[want]);
  changed_at_ = now.elapsed_seconds;
  return current_;
}

}  // namespace vmp::sidechain
