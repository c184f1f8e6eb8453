#include "tx/reconnect_policy.hpp"

#include <algorithm>

namespace vmp::reconnect {

Clock::duration leg_retry_pause(std::minstd_rand& rng) {
  return std::chrono::milliseconds(20 + rng() % 80);
}

void ProbeBackoff::probe_sent(Clock::time_point now, std::mt19937_64& rng) {
  backoff_ = std::min<Clock::duration>(backoff_ * 2, kMaxProbe);
  std::uniform_real_distribution<double> jitter(0.75, 1.25);
  next_ = now + std::chrono::duration_cast<Clock::duration>(backoff_ * jitter(rng));
}

}  // namespace vmp::reconnect
