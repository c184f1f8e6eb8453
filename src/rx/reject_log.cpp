#include "rx/reject_log.hpp"

namespace vmp {

void RejectLog::reject(const std::string& address, const std::string& peer, const std::string& why,
                       Clock::time_point now) {
  std::string line;
  {
    std::lock_guard lock(mutex_);
    ++total_;
    if (!started_ || now - interval_start_ >= interval_) summarise_locked(now);
    auto it = by_address_.find(address);
    if (it == by_address_.end()) {
      if (by_address_.size() >= kMaxAddresses) {
        ++others_.suppressed;
        others_.last_why = why;
        return;
      }
      by_address_.emplace(address, Count{});
      line = "rejected connection from " + peer + ": " + why;
    } else {
      ++it->second.suppressed;
      it->second.last_why = why;
      return;
    }
  }
  sink_(line);
}

void RejectLog::flush(Clock::time_point now, bool force) {
  std::lock_guard lock(mutex_);
  if (started_ && (force || now - interval_start_ >= interval_)) summarise_locked(now);
}

void RejectLog::summarise_locked(Clock::time_point now) {
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now - interval_start_).count();
  auto say = [&](const std::string& from, const Count& c) {
    if (c.suppressed == 0) return;
    sink_("rejected " + std::to_string(c.suppressed) + " more connections from " + from +
          " in the last " + std::to_string(seconds) + " s (last: " + c.last_why + ")");
  };
  if (started_) {
    for (const auto& [address, count] : by_address_) say(address, count);
    say("other addresses", others_);
  }
  by_address_.clear();
  others_ = {};
  interval_start_ = now;
  started_ = true;
}

std::uint64_t RejectLog::total() const {
  std::lock_guard lock(mutex_);
  return total_;
}

}  // namespace vmp
