// Lets a coroutine hand a piece of CPU work to the sidechain's workers and go on where it was
// (its own executor) with the result, as Asio's own async operations do:
//   auto raw = co_await run_on_worker(workers, [&](FrameCodec& c) { return decode(...); });
// The work runs as a coroutine spawned on the pool (Asio delivers its result back to the
// caller's executor); an exception in it is rethrown in the caller. It counts in the pool's
// depth() from the moment it is queued until it has run.
#pragma once

#include <asio/co_spawn.hpp>
#include <asio/use_awaitable.hpp>
#include <type_traits>

#include "sidechain/worker_pool.hpp"

namespace vmp::sidechain {
namespace detail {

// `fn` by reference: the caller's `co_await run_on_worker(...)` keeps it alive until the work
// is done, and nothing is copied or destroyed on a worker thread.
template <typename R, typename Fn>
asio::awaitable<R> work_on_pool(WorkerPool& pool, Fn& fn) {
  struct Done {
    WorkerPool& pool;
    ~Done() { pool.job_done(); }
  } done{pool};
  co_return pool.with_codec(fn);
}

}  // namespace detail

// `fn` must outlive the co_await (a lambda written in the call does) and should capture only
// references and trivially destructible values: GCC 12 destroys a temporary with a non-trivial
// destructor twice when it sits inside a co_await expression (found by ASan in a test).
template <typename Fn, typename R = std::invoke_result_t<std::remove_reference_t<Fn>&, FrameCodec&>>
asio::awaitable<R> run_on_worker(WorkerPool& pool, Fn&& fn) {
  pool.job_queued();
  co_return co_await asio::co_spawn(pool.executor(), detail::work_on_pool<R>(pool, fn),
                                    asio::use_awaitable);
}

}  // namespace vmp::sidechain
