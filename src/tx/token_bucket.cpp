#include "tx/token_bucket.hpp"

#include <algorithm>

namespace vmp {

TokenBucket::TokenBucket(std::uint64_t rate, Clock::time_point now)
    : rate_(rate), tokens_(0), updated_(now) {}  // empty: a transfer starts at the rate

std::uint64_t TokenBucket::depth_for(std::uint64_t rate) {
  // 20 ms of the rate keeps bursts to 2% of a second; the 64 KiB floor keeps writes (and
  // wake-ups) from getting tiny at low rates, but it is never above 50 ms worth, so no second
  // carries more than 105% of the rate.
  constexpr std::uint64_t kFloor = 64 * 1024;
  return std::max<std::uint64_t>({rate / 50, std::min(kFloor, rate / 20), 1});
}

void TokenBucket::refill_locked(Clock::time_point now) {
  if (now <= updated_) return;
  const double seconds = std::chrono::duration<double>(now - updated_).count();
  tokens_ = std::min(tokens_ + seconds * static_cast<double>(rate_),
                     static_cast<double>(depth_for(rate_)));
  updated_ = now;
}

void TokenBucket::set_rate(std::uint64_t rate, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  refill_locked(now);
  rate_ = rate;
  tokens_ = std::min(tokens_, static_cast<double>(depth_for(rate_)));
}

std::uint64_t TokenBucket::rate() const {
  std::lock_guard lock(mutex_);
  return rate_;
}

std::uint64_t TokenBucket::depth() const {
  std::lock_guard lock(mutex_);
  return depth_for(rate_);
}

TokenBucket::Clock::duration TokenBucket::reserve(std::uint64_t bytes, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (rate_ == 0) return Clock::duration::zero();
  refill_locked(now);
  tokens_ -= static_cast<double>(bytes);
  if (tokens_ >= 0) return Clock::duration::zero();
  // Rounded up: waking a moment early would let the bytes out before their tokens exist.
  const std::chrono::duration<double> wait(-tokens_ / static_cast<double>(rate_));
  return std::chrono::ceil<Clock::duration>(wait);
}

}  // namespace vmp
