#include "util/wakeup.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <system_error>

namespace vmp {

asio::awaitable<void> Wakeup::wait(std::chrono::steady_clock::duration timeout) {
  if (!pending_) {
    timer_.expires_after(timeout);
    co_await timer_.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  }
  pending_ = false;
  // notify() also cancels the timer; only a cancellation from outside (the other branch of an
  // awaitable `||` finished) ends the waiting coroutine.
  auto state = co_await asio::this_coro::cancellation_state;
  if (state.cancelled() != asio::cancellation_type::none) {
    throw std::system_error(std::make_error_code(std::errc::operation_canceled));
  }
}

}  // namespace vmp
