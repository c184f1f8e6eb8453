#include "tx/token_bucket.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>

namespace vmp {
namespace {

using namespace std::chrono_literals;
using Clock = TokenBucket::Clock;

constexpr std::uint64_t kMiB = 1024 * 1024;

TEST(TokenBucket, UnlimitedNeverWaits) {
  const auto t0 = Clock::time_point{};
  TokenBucket b(0, t0);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(b.reserve(16 * kMiB, t0), Clock::duration::zero());
}

TEST(TokenBucket, DepthIsSmall) {
  EXPECT_EQ(TokenBucket::depth_for(20 * kMiB), 20 * kMiB / 50);  // 20 ms of the rate
  EXPECT_EQ(TokenBucket::depth_for(2 * kMiB), 64 * 1024u);       // the floor
  EXPECT_EQ(TokenBucket::depth_for(100'000), 5'000u);            // never above 50 ms worth
}

TEST(TokenBucket, FullBucketThenWaitsInOrder) {
  const auto t0 = Clock::time_point{};
  const std::uint64_t rate = 10 * kMiB;
  TokenBucket b(rate, t0);
  const auto depth = b.depth();
  EXPECT_GT(b.reserve(1, t0), Clock::duration::zero());  // it starts empty
  const auto full = t0 + 1s;
  EXPECT_EQ(b.reserve(depth, full), Clock::duration::zero());  // the burst, once saved up
  // Two writers in a row: the second queues behind the first (debt).
  const auto w1 = b.reserve(depth, full);
  const auto w2 = b.reserve(depth, full);
  EXPECT_NEAR(std::chrono::duration<double>(w1).count(), double(depth) / rate, 1e-6);
  EXPECT_NEAR(std::chrono::duration<double>(w2).count(), 2.0 * depth / rate, 1e-6);
}

TEST(TokenBucket, IdleTimeSavesAtMostOneDepth) {
  const auto t0 = Clock::time_point{};
  TokenBucket b(1 * kMiB, t0);
  const auto depth = b.depth();
  // An hour idle buys one bucket, not an hour of bytes.
  EXPECT_EQ(b.reserve(depth, t0 + 1h), Clock::duration::zero());
  EXPECT_GT(b.reserve(1, t0 + 1h), Clock::duration::zero());
}

// Writers that always write one depth when allowed (as legs do): over any one-second span the
// bytes released stay within 110% of the rate, and the long-run rate is the rate.
TEST(TokenBucket, ShapesToTheRate) {
  for (const std::uint64_t rate : {std::uint64_t{100'000}, 3 * kMiB, 20 * kMiB, 1000 * kMiB}) {
    auto now = Clock::time_point{};
    TokenBucket b(rate, now);
    const auto piece = b.depth();
    std::map<long, std::uint64_t> per_ms;  // bytes released in each millisecond
    const auto end = now + 10s;
    // Four writers, each writes its piece at its release time then asks again.
    std::multimap<Clock::time_point, int> ready;
    for (int w = 0; w < 4; ++w) ready.emplace(now, w);
    while (true) {
      auto [at, w] = *ready.begin();
      ready.erase(ready.begin());
      if (at >= end) break;
      const auto release = at + b.reserve(piece, at);
      per_ms[std::chrono::duration_cast<std::chrono::milliseconds>(release.time_since_epoch())
                 .count()] += piece;
      ready.emplace(release, w);
    }
    std::uint64_t total = 0;
    for (const auto& [ms, bytes] : per_ms) total += bytes;
    const double seconds = 10.0;
    EXPECT_NEAR(double(total) / seconds, double(rate), 0.02 * rate) << rate;
    // Sliding one-second windows.
    std::uint64_t worst = 0;
    for (const auto& [ms, bytes] : per_ms) {
      std::uint64_t sum = 0;
      for (auto it = per_ms.lower_bound(ms); it != per_ms.end() && it->first < ms + 1000; ++it)
        sum += it->second;
      worst = std::max(worst, sum);
    }
    EXPECT_LE(double(worst), 1.10 * rate) << rate;
  }
}

TEST(TokenBucket, RateChangeTakesEffect) {
  const auto t0 = Clock::time_point{};
  TokenBucket b(1 * kMiB, t0);
  const auto t1 = t0 + 1s;
  EXPECT_EQ(b.reserve(b.depth(), t1), Clock::duration::zero());  // now empty
  b.set_rate(0, t1);                                             // off
  EXPECT_EQ(b.reserve(100 * kMiB, t1), Clock::duration::zero());
  b.set_rate(2 * kMiB, t1);
  const auto w = b.reserve(2 * kMiB, t1);
  EXPECT_NEAR(std::chrono::duration<double>(w).count(), 1.0, 0.001);
}

}  // namespace
}  // namespace vmp
