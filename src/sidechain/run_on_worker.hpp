// Lets a coroutine hand a piece of CPU work to the sidechain's workers and go on where it was
// (its own executor) with the result, as Asio's own async operations do:
//   auto raw = co_await run_on_worker(workers, [&](FrameCodec& c) { return decode(...); });
// The work runs as a coroutine spawned on the pool (Asio delivers its result back to the
// caller's executor); an exception in it is rethrown in the caller.
#pragma once

#include <asio/co_spawn.hpp>
#include <asio/use_awaitable.hpp>
#include <type_traits>

#include "sidechain/worker_pool.hpp"

namespace vmp::sidechain {

template <typename Fn, typename R = std::invoke_result_t<Fn&, FrameCodec&>>
asio::awaitable<R> run_on_worker(WorkerPool& pool, Fn fn) {
  pool.job_queued();
  co_return co_await asio::co_spawn(
      pool.executor(),
      [&pool, fn = std::move(fn)]() mutable -> asio::awaitable<R> {
        struct Done {
          WorkerPool& pool;
          ~Done() { pool.job_done(); }
        } done{pool};
        co_return pool.with_codec(fn);
      },
      asio::use_awaitable);
}

}  // namespace vmp::sidechain
