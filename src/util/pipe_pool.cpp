#include "util/pipe_pool.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace vmp {

Pipe& Pipe::operator=(Pipe&& other) noexcept {
  if (this != &other) {
    release();
    read_ = std::move(other.read_);
    write_ = std::move(other.write_);
    capacity_ = other.capacity_;
    pool_ = other.pool_;
    held = other.held;
    other.pool_ = nullptr;
    other.held = 0;
  }
  return *this;
}

Pipe::~Pipe() {
  release();
}

void Pipe::release() {
  if (pool_ && read_) pool_->put(std::move(read_), std::move(write_), capacity_, held == 0);
  pool_ = nullptr;
  held = 0;
}

Pipe PipePool::get() {
  std::lock_guard lock(mutex_);
  if (!idle_.empty()) {
    Idle p = std::move(idle_.back());
    idle_.pop_back();
    ++lent_;
    return Pipe(std::move(p.read), std::move(p.write), p.capacity, this);
  }
  if (lent_ >= max_pipes_) return {};
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return {};
  UniqueFd r(fds[0]);
  UniqueFd w(fds[1]);
  // The write end must not block the I/O thread; the writer thread reads the other end.
  if (::fcntl(w.get(), F_SETFL, O_NONBLOCK) != 0) return {};
  // Too large a request fails (fs.pipe-max-size); the default 64 KiB still saves copies.
  ::fcntl(w.get(), F_SETPIPE_SZ, static_cast<int>(pipe_bytes_));
  const int capacity = ::fcntl(w.get(), F_GETPIPE_SZ);
  if (capacity <= 0) return {};
  ++lent_;
  return Pipe(std::move(r), std::move(w), static_cast<std::size_t>(capacity), this);
}

std::size_t PipePool::lent() const {
  std::lock_guard lock(mutex_);
  return lent_;
}

void PipePool::put(UniqueFd r, UniqueFd w, std::size_t capacity, bool reusable) {
  std::lock_guard lock(mutex_);
  --lent_;
  if (reusable) idle_.push_back({std::move(r), std::move(w), capacity});
  // else: closing both ends frees whatever the pipe still held
}

}  // namespace vmp
