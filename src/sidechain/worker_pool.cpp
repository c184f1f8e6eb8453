#include "sidechain/worker_pool.hpp"

#include <asio/post.hpp>
#include <chrono>

namespace vmp::sidechain {

WorkerPool::WorkerPool(std::uint32_t workers, BufferPool& pool)
    : workers_(workers), buffers_(pool), threads_(workers) {}

WorkerPool::~WorkerPool() {
  join();
}

void WorkerPool::join() {
  threads_.stop();  // queued jobs are dropped, running ones finish
  threads_.join();
}

WorkerPool::Lease::Lease(WorkerPool& p) : pool(p) {
  {
    std::lock_guard lock(pool.mutex_);
    if (!pool.idle_codecs_.empty()) {
      codec = std::move(pool.idle_codecs_.back());
      pool.idle_codecs_.pop_back();
    }
  }
  if (!codec) codec = std::make_unique<FrameCodec>(pool.buffers_);
}

WorkerPool::Lease::~Lease() {
  std::lock_guard lock(pool.mutex_);
  pool.idle_codecs_.push_back(std::move(codec));
}

void WorkerPool::add_busy(std::chrono::steady_clock::duration d) {
  busy_ns_.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count(),
                     std::memory_order_relaxed);
}

void WorkerPool::post(Job job) {
  job_queued();
  asio::post(threads_, [this, job = std::move(job)] {
    with_codec(job);
    job_done();
  });
}

}  // namespace vmp::sidechain
