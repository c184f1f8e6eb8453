// Kernel pipes used as frame buffers on the receiver. splice(2) moves a TCP socket's received
// pages into a pipe and from there to stdout without copying them through user space; a pipe
// per frame lets frames wait for reordering the same way a memory buffer would.
//
// The pool is bounded: pipe pages count against a per-user limit (fs.pipe-user-pages-soft,
// 64 MiB by default), past which the kernel shrinks new pipes to one page. When no pipe is
// free, a frame simply takes the copying path.
#pragma once

#include <cstddef>
#include <mutex>
#include <vector>

#include "util/unique_fd.hpp"

namespace vmp {

class PipePool;

// A pipe lent by the pool: back to the pool when destroyed empty, closed (its contents
// discarded) when destroyed holding bytes.
class Pipe {
 public:
  Pipe() = default;
  Pipe(Pipe&&) noexcept = default;
  Pipe& operator=(Pipe&& other) noexcept;
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  ~Pipe();

  explicit operator bool() const { return static_cast<bool>(read_); }
  int read_fd() const { return read_.get(); }
  int write_fd() const { return write_.get(); }
  std::size_t capacity() const { return capacity_; }
  std::size_t held = 0;  // bytes spliced in and not yet out

 private:
  friend class PipePool;
  Pipe(UniqueFd r, UniqueFd w, std::size_t capacity, PipePool* pool)
      : read_(std::move(r)), write_(std::move(w)), capacity_(capacity), pool_(pool) {}
  void release();

  UniqueFd read_;
  UniqueFd write_;
  std::size_t capacity_ = 0;
  PipePool* pool_ = nullptr;
};

class PipePool {
 public:
  // At most max_pipes lent at once; each asks the kernel for pipe_bytes of room.
  PipePool(std::size_t max_pipes, std::size_t pipe_bytes)
      : max_pipes_(max_pipes), pipe_bytes_(pipe_bytes) {}
  PipePool(const PipePool&) = delete;
  PipePool& operator=(const PipePool&) = delete;

  // An empty pipe, or an invalid one when the budget is spent or the kernel refuses.
  Pipe get();
  std::size_t lent() const;

 private:
  friend class Pipe;
  struct Idle {
    UniqueFd read;
    UniqueFd write;
    std::size_t capacity;
  };
  void put(UniqueFd r, UniqueFd w, std::size_t capacity, bool reusable);

  mutable std::mutex mutex_;
  std::vector<Idle> idle_;
  std::size_t lent_ = 0;
  const std::size_t max_pipes_;
  const std::size_t pipe_bytes_;
};

}  // namespace vmp
