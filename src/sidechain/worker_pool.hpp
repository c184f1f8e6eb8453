// The sidechain's worker threads (an asio::thread_pool) and their codecs: compression contexts
// are never shared by two threads at once, so each running job borrows a FrameCodec of its
// own from a free list (one per thread at most, created on first need, then reused).
// Jobs must not throw: the stage around them turns every failure into a value.
// The pool is sized once (--sidechain-workers). The destructor drops jobs not yet started and
// joins the threads after their current job, so a failed transfer ends promptly.
#pragma once

#include <asio/thread_pool.hpp>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "sidechain/frame_codec.hpp"

namespace vmp::sidechain {

class WorkerPool {
 public:
  using Job = std::function<void(FrameCodec&)>;

  WorkerPool(std::uint32_t workers, BufferPool& pool);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void post(Job job);
  // Drops jobs not yet started and waits for the running ones; the counters stay readable.
  void join();
  // Runs job on a worker with a codec of its own, timing it; the caller is on a worker.
  template <typename Fn>
  auto with_codec(Fn&& job) {
    Lease lease(*this);
    const auto start = std::chrono::steady_clock::now();
    struct Timer {
      WorkerPool& pool;
      std::chrono::steady_clock::time_point start;
      ~Timer() { pool.add_busy(std::chrono::steady_clock::now() - start); }
    } timer{*this, start};
    return job(*lease.codec);
  }
  asio::thread_pool::executor_type executor() { return threads_.get_executor(); }

  std::uint32_t workers() const { return workers_; }
  // Seconds the workers spent in jobs, summed over workers (the stage's CPU share).
  double busy_seconds() const { return busy_ns_.load(std::memory_order_relaxed) / 1e9; }
  // Jobs queued or running (post() and run_on_worker alike).
  std::size_t depth() const { return depth_.load(std::memory_order_relaxed); }
  // How both count a job: from before it is queued until it has run.
  void job_queued() { depth_.fetch_add(1, std::memory_order_relaxed); }
  void job_done() { depth_.fetch_sub(1, std::memory_order_relaxed); }

 private:
  struct Lease {
    explicit Lease(WorkerPool& p);
    ~Lease();
    WorkerPool& pool;
    std::unique_ptr<FrameCodec> codec;
  };
  void add_busy(std::chrono::steady_clock::duration d);

  const std::uint32_t workers_;
  BufferPool& buffers_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<FrameCodec>> idle_codecs_;
  std::atomic<std::int64_t> busy_ns_{0};
  std::atomic<std::size_t> depth_{0};
  asio::thread_pool threads_;  // last: its threads use everything above
};

}  // namespace vmp::sidechain
