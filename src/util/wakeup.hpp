// A level-triggered wake-up for one coroutine on an Asio executor: notify() may be called from
// any thread; wait() completes at once if a notification is pending. Built on a timer because
// Asio timers support per-operation cancellation, so a waiting coroutine can be cancelled by
// awaitable operators like any other I/O.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>

namespace vmp {

class Wakeup {
 public:
  explicit Wakeup(asio::any_io_executor ex) : timer_(ex) {}

  void notify() {
    asio::post(timer_.get_executor(), [this] {
      pending_ = true;
      timer_.cancel();
    });
  }

  // Waits for a notification or the timeout, whichever comes first.
  asio::awaitable<void> wait(std::chrono::steady_clock::duration timeout);

 private:
  asio::steady_timer timer_;
  bool pending_ = false;  // touched only on the executor
};

}  // namespace vmp
