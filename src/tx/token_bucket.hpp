// A token bucket that shapes (delays) rather than polices (drops): a writer reserves the bytes
// it is about to write and is told how long to wait before writing them. Reservations may run
// the bucket into debt, so concurrent writers queue up behind each other in the order they
// asked, and every byte is released at most `rate` per second after a burst of at most
// depth() bytes. The depth is small (20 ms of the rate, at least min(64 KiB, 50 ms)), so no
// one-second span carries more than 105% of the rate (102% above 3.2 MiB/s); writers split their
// writes into pieces of at most depth() bytes, so a 4 MiB frame is paced, not sent as one burst.
//
// The clock is the caller's (time points passed in), which keeps the arithmetic deterministic
// under test. Thread-safe: legs on several I/O threads share one bucket.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

namespace vmp {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  // rate: bytes per second; 0 = unlimited (reserve() never waits). The bucket starts empty:
  // legs start together, and the receiver's first second is the one a user measures.
  TokenBucket(std::uint64_t rate, Clock::time_point now);

  // A new rate takes effect now; the tokens saved up so far are kept, up to the new depth.
  void set_rate(std::uint64_t rate, Clock::time_point now);
  std::uint64_t rate() const;
  // The largest burst, and the largest piece a writer should reserve at once.
  std::uint64_t depth() const;
  static std::uint64_t depth_for(std::uint64_t rate);

  // Takes `bytes` (at most depth(), or the wait grows by the excess) and returns how long the
  // caller must wait before writing them: zero while tokens last.
  Clock::duration reserve(std::uint64_t bytes, Clock::time_point now);

 private:
  void refill_locked(Clock::time_point now);

  mutable std::mutex mutex_;
  std::uint64_t rate_;
  double tokens_;  // bytes; negative = debt owed by writers still waiting
  Clock::time_point updated_;
};

}  // namespace vmp
