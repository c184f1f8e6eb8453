// Runs two coroutines side by side and ends both as soon as either finishes, normally or
// with an exception; the first one's exception is rethrown. (Asio's awaitable `||` waits for
// one to *succeed*: when a read loop fails on EOF it would leave the write loop running.)
#pragma once

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/experimental/deferred.hpp>
#include <asio/experimental/parallel_group.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <exception>

namespace vmp {

inline asio::awaitable<void> race(asio::awaitable<void> a, asio::awaitable<void> b) {
  auto ex = co_await asio::this_coro::executor;
  auto [order, ea, eb] = co_await asio::experimental::make_parallel_group(
                             asio::co_spawn(ex, std::move(a), asio::experimental::deferred),
                             asio::co_spawn(ex, std::move(b), asio::experimental::deferred))
                             .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
  if (auto first = order[0] == 0 ? ea : eb) std::rethrow_exception(first);
}

}  // namespace vmp
