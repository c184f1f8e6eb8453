// --rate-limit and --link-rates: one token bucket for the whole transfer and one per link.
// Every leg paces the bytes it writes through a LinkPacer for its link (see send_frame): it
// waits for its link's bucket, then for the global one, asynchronously on a timer in its own
// coroutine, so an I/O thread is never blocked and the other legs on it keep going.
#pragma once

#include <asio/awaitable.hpp>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "knobs.hpp"
#include "tx/token_bucket.hpp"

namespace vmp {

class RateLimiter {
 public:
  using Clock = TokenBucket::Clock;

  RateLimiter(std::size_t links, const Knobs& knobs);

  // The limits of these knobs take effect (any thread). The tuner never changes them (they
  // are not genes), but knobs arrive as a whole.
  void set(const Knobs& knobs);

  // Some limit applies to writes on this link.
  bool limited(std::size_t link) const;
  // The largest piece one write on this link may carry (the smallest bucket depth involved).
  std::size_t piece(std::size_t link) const;
  // Waits until `bytes` (at most piece(link)) may go out on `link`; returns how long it waited.
  asio::awaitable<Clock::duration> acquire(std::size_t link, std::size_t bytes);

  // Time legs spent waiting for tokens, summed over legs.
  double wait_seconds() const;

 private:
  const TokenBucket* link_bucket(std::size_t link) const;

  TokenBucket global_;
  std::vector<std::unique_ptr<TokenBucket>> links_;  // buckets hold a mutex: not movable
  std::atomic<std::uint64_t> waited_ns_{0};
};

// What one frame's writes answer to: the limiter and the link of the leg that writes it. A
// default LinkPacer paces nothing (tests, and no limiter).
class LinkPacer {
 public:
  LinkPacer() = default;
  LinkPacer(RateLimiter& limiter, std::size_t link) : limiter_(&limiter), link_(link) {}

  bool limited() const { return limiter_ && limiter_->limited(link_); }
  std::size_t piece() const;
  asio::awaitable<void> acquire(std::size_t bytes);
  // Total wait of this pacer's acquire() calls: time a frame was held back on purpose, which
  // is not lateness (see SendQueue::held_back).
  RateLimiter::Clock::duration waited() const { return waited_; }

 private:
  RateLimiter* limiter_ = nullptr;
  std::size_t link_ = 0;
  RateLimiter::Clock::duration waited_{};
};

}  // namespace vmp
