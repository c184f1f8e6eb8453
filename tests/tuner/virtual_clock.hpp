// A clock whose sleeps return at once and move time forward: the tuner runs through minutes of
// experiments in milliseconds, and a run depends on nothing but its seeds.
#pragma once

#include <mutex>

#include "vmp/tuner/clock.hpp"

namespace vmp::tuner::testing {

class VirtualClock final : public Clock {
 public:
  double now() override {
    std::lock_guard lock(mutex_);
    return now_;
  }
  bool sleep_for(double seconds, std::stop_token stop) override {
    if (stop.stop_requested()) return false;
    std::lock_guard lock(mutex_);
    if (seconds > 0) now_ += seconds;
    return true;
  }

 private:
  std::mutex mutex_;
  double now_ = 1000.0;  // not 0, so nothing depends on the epoch
};

}  // namespace vmp::tuner::testing
