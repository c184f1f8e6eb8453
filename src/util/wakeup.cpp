#include "util/wakeup.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <system_error>

namespace vmp {

asio::awaitable<void> Wakeup::wait(std::chrono::steady_clock::duration timeout) {
  auto state = state_;  // the owner may go away while we wait
  if (!state->pending) {
    state->timer.expires_after(timeout);
    co_await state->timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  }
  state->pending = false;
  // notify() also cancels the timer; only a cancellation from outside (the other branch of a
  // parallel group finished) ends the waiting coroutine.
  auto cancel = co_await asio::this_coro::cancellation_state;
  if (cancel.cancelled() != asio::cancellation_type::none) {
    throw std::system_error(std::make_error_code(std::errc::operation_canceled));
  }
}

}  // namespace vmp
