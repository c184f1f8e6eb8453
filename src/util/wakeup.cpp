#include "util/wakeup.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

namespace vmp {

asio::awaitable<void> Wakeup::wait(std::chrono::steady_clock::duration timeout) {
  if (!pending_) {
    timer_.expires_after(timeout);
    co_await timer_.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  }
  pending_ = false;
}

}  // namespace vmp
