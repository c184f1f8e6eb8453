// Time as the tuner sees it. Injectable so that unit tests run the whole tuner on a virtual
// clock in milliseconds, and so that stop() interrupts a long measurement window at once.
#pragma once

#include <condition_variable>
#include <mutex>
#include <stop_token>

namespace vmp::tuner {

class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds since an arbitrary, fixed epoch; never goes backwards.
  virtual double now() = 0;
  // Waits `seconds`. Returns false, as soon as it can, once `stop` is requested.
  virtual bool sleep_for(double seconds, std::stop_token stop) = 0;
};

// The real clock: std::chrono::steady_clock, sleeping on a condition variable that a stop
// request wakes (std::condition_variable_any registers a stop_callback for us).
class SteadyClock final : public Clock {
 public:
  double now() override;
  bool sleep_for(double seconds, std::stop_token stop) override;

 private:
  std::mutex mutex_;
  std::condition_variable_any wake_;
};

}  // namespace vmp::tuner
