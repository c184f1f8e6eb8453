// `prbs SEED` on the receiver: the receiver writes the stream into a pipe; a thread checks
// every byte against the pattern and passes it on to stdout (the original leaves it there).
// The first byte that differs is reported once, with its offset, through on_failure; so is a
// stdout that fails. Whatever follows is still drained, so the receiver never blocks on us.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "util/exit_code.hpp"
#include "util/unique_fd.hpp"

namespace vmp::streams {

class PrbsChecker {
 public:
  using OnFailure = std::function<void(ExitCode, const std::string&)>;
  // throws std::system_error without a pipe
  PrbsChecker(std::uint64_t seed, int out_fd, OnFailure on_failure);
  ~PrbsChecker();  // finish() if not done yet
  PrbsChecker(const PrbsChecker&) = delete;
  PrbsChecker& operator=(const PrbsChecker&) = delete;

  int write_fd() const { return write_.get(); }
  // The receiver is done writing: the thread checks what is left and ends. Returns the
  // failure it reported, if any (ExitCode::ok otherwise).
  ExitCode finish();
  // Waits until `bytes` have been checked (or the check failed, or the input ended): the
  // failure's line, or "" when they match.
  std::string wait_checked(std::uint64_t bytes);
  std::uint64_t bytes_checked() const;
  std::string message() const;

 private:
  void run(std::uint64_t seed, int out_fd);
  void fail(ExitCode code, const std::string& why);

  UniqueFd read_;
  UniqueFd write_;
  OnFailure on_failure_;
  mutable std::mutex mutex_;  // guards the four below
  std::condition_variable progress_;
  ExitCode failure_ = ExitCode::ok;
  std::string message_;
  std::uint64_t checked_ = 0;
  bool ended_ = false;
  std::thread thread_;
};

}  // namespace vmp::streams
