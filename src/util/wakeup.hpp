// A level-triggered wake-up for one coroutine on an Asio executor: notify() may be called from
// any thread; wait() completes at once if a notification is pending. Built on a timer because
// Asio timers support per-operation cancellation, so a waiting coroutine can be cancelled by
// a parallel group like any other I/O. The timer lives in shared state that a posted
// notification holds only weakly: a notification still queued when its owner (e.g. a closed
// receiver leg) is destroyed does nothing.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <memory>

namespace vmp {

class Wakeup {
 public:
  explicit Wakeup(asio::any_io_executor ex) : state_(std::make_shared<State>(std::move(ex))) {}

  void notify() {
    asio::post(state_->timer.get_executor(), [weak = std::weak_ptr<State>(state_)] {
      if (auto s = weak.lock()) {
        s->pending = true;
        s->timer.cancel();
      }
    });
  }

  // Waits for a notification or the timeout, whichever comes first.
  asio::awaitable<void> wait(std::chrono::steady_clock::duration timeout);

 private:
  struct State {
    explicit State(asio::any_io_executor ex) : timer(std::move(ex)) {}
    asio::steady_timer timer;
    bool pending = false;  // touched only on the executor
  };
  std::shared_ptr<State> state_;
};

}  // namespace vmp
