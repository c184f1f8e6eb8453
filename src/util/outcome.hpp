// How a transfer ended: the first reason given wins (a reset leg after a sink failure must not
// overwrite "stdout failed"). Thread-safe; read by snapshot() while the transfer runs.
#pragma once

#include <atomic>
#include <mutex>
#include <string>

#include "util/exit_code.hpp"

namespace vmp {

class Outcome {
 public:
  // True for the call that decided the outcome.
  bool decide(ExitCode code, std::string message) {
    std::lock_guard lock(mutex_);
    if (decided_.exchange(true)) return false;
    code_ = code;
    message_ = std::move(message);
    return true;
  }
  bool decided() const { return decided_.load(); }
  ExitCode code() const {
    std::lock_guard lock(mutex_);
    return code_;
  }
  std::string message() const {
    std::lock_guard lock(mutex_);
    return message_;
  }

 private:
  mutable std::mutex mutex_;
  std::atomic<bool> decided_{false};
  ExitCode code_ = ExitCode::ok;
  std::string message_;
};

}  // namespace vmp
