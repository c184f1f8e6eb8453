// An eventfd that a blocking poll() loop can watch next to its real fd, so a thread stuck
// waiting on a pipe or terminal can be told to stop.
#pragma once

#include <sys/eventfd.h>

#include <cstdint>
#include <stdexcept>

#include "util/unique_fd.hpp"

namespace vmp {

class StopEvent {
 public:
  StopEvent() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (!fd_) throw std::runtime_error("eventfd failed");
  }
  void signal() const {
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(fd_.get(), &one, sizeof one);
  }
  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
};

}  // namespace vmp
