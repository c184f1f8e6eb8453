// Test doubles for the metrics tests: a StatsSource whose snapshot the test controls, and
// sample transfers for both roles.
#pragma once

#include <functional>
#include <mutex>

#include "stats.hpp"

namespace vmp::metrics::test {

class FakeSource : public StatsSource {
 public:
  explicit FakeSource(Stats s) : stats_(std::move(s)) {}

  Stats snapshot() const override {
    std::lock_guard lock(mutex_);
    ++snapshots_;
    if (on_snapshot_) on_snapshot_(stats_);
    return stats_;
  }
  void set(Stats s) {
    std::lock_guard lock(mutex_);
    stats_ = std::move(s);
  }
  // Called under the lock before every snapshot, e.g. to advance counters like a transfer.
  void on_snapshot(std::function<void(Stats&)> f) {
    std::lock_guard lock(mutex_);
    on_snapshot_ = std::move(f);
  }
  int snapshots() const {
    std::lock_guard lock(mutex_);
    return snapshots_;
  }

 private:
  mutable std::mutex mutex_;
  mutable Stats stats_;
  mutable int snapshots_ = 0;
  std::function<void(Stats&)> on_snapshot_;
};

// A transmitter with two links: leg 0 and 1 on link "10.0.0.1:8834" (leg 1 has no TCP_INFO
// sample yet), leg 2 on "10.0.0.2:8834", compressing with zstd:1 (codecs none and zstd, ratio
// 2). Every number is distinct so a swapped field shows.
Stats sample_tx();
// A receiver: two legs, no knobs of its own, decoding zstd frames.
Stats sample_rx();
// A TuningReport as the tuner would publish it.
TuningReport sample_tuning();
// Advances every counter of `s` a little, as a running transfer would.
void advance(Stats& s);

}  // namespace vmp::metrics::test
