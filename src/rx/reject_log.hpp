// Says why connections were refused without letting a flood of them flood stderr. The first
// refusal from an address in an interval is logged at once (a user with a wrong checkphrase
// sees why straight away); the rest are counted and summarised per address when the interval
// ends ("refused 7312 more connections from 127.0.0.2 in 5 s: wrong checkphrase"). At most
// kMaxAddresses addresses are tracked per interval; the others share one summary line.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

namespace vmp {

class RejectLog {
 public:
  using Clock = std::chrono::steady_clock;
  using Sink = std::function<void(const std::string&)>;
  static constexpr std::size_t kMaxAddresses = 16;

  RejectLog(Sink sink, Clock::duration interval) : sink_(std::move(sink)), interval_(interval) {}

  // Any thread. `address` without the port; `peer` with it, for the line logged at once.
  void reject(const std::string& address, const std::string& peer, const std::string& why,
              Clock::time_point now = Clock::now());
  // Called periodically (and at exit): prints the summaries of an interval that has ended.
  void flush(Clock::time_point now = Clock::now(), bool force = false);

  std::uint64_t total() const;

 private:
  struct Count {
    std::uint64_t suppressed = 0;
    std::string last_why;
  };
  void summarise_locked(Clock::time_point now);

  Sink sink_;
  const Clock::duration interval_;
  mutable std::mutex mutex_;
  Clock::time_point interval_start_{};
  bool started_ = false;
  std::map<std::string, Count> by_address_;
  Count others_;  // addresses past kMaxAddresses
  std::uint64_t total_ = 0;
};

}  // namespace vmp
