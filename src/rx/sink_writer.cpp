#include "rx/sink_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "wire/checksum.hpp"

namespace vmp {
namespace {

// Adds the time a call blocked in the kernel to the sink's stall counter.
class StallTimer {
 public:
  explicit StallTimer(std::atomic<std::int64_t>& total)
      : total_(total), start_(std::chrono::steady_clock::now()) {}
  ~StallTimer() {
    total_.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::steady_clock::now() - start_)
                         .count(),
                     std::memory_order_relaxed);
  }
  StallTimer(const StallTimer&) = delete;
  StallTimer& operator=(const StallTimer&) = delete;

 private:
  std::atomic<std::int64_t>& total_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

bool SinkWriter::accepts_splice(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return false;
  if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) return true;
  if (S_ISREG(st.st_mode)) {
    const int flags = ::fcntl(fd, F_GETFL);
    return flags >= 0 && (flags & O_APPEND) == 0;
  }
  return S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3;  // /dev/null
}

bool SinkWriter::write_all(const std::byte* data, std::size_t len) {
  StallTimer timer(stall_ns_);
  while (len > 0) {
    ssize_t n = ::write(fd_, data, len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      cb_.on_error("writing " + name_ + ": " + std::strerror(errno));
      return false;
    }
    data += n;
    len -= static_cast<std::size_t>(n);
  }
  return true;
}

bool SinkWriter::copy_out(Pipe& pipe) {
  std::array<std::byte, 64 * 1024> chunk;
  while (pipe.held > 0) {
    const ssize_t n = ::read(pipe.read_fd(), chunk.data(), std::min(chunk.size(), pipe.held));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      cb_.on_error(std::string("moving a frame out of its pipe: ") +
                   (n < 0 ? std::strerror(errno) : "pipe empty"));
      return false;
    }
    pipe.held -= static_cast<std::size_t>(n);
    if (!write_all(chunk.data(), static_cast<std::size_t>(n))) return false;
  }
  return true;
}

bool SinkWriter::splice_all(Pipe& pipe) {
  if (!splice_works_) return copy_out(pipe);
  StallTimer timer(stall_ns_);
  while (pipe.held > 0) {
    // No SPLICE_F_MORE: on a socket (a tunnel's connection, or a stdout that is one) it is
    // MSG_MORE, which corks the last bytes of a frame until more come or 200 ms pass; every
    // keystroke through a tunnel took 200 ms with it.
    const ssize_t n = ::splice(pipe.read_fd(), nullptr, fd_, nullptr, pipe.held, SPLICE_F_MOVE);
    if (n > 0) {
      pipe.held -= static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EINVAL) {
      // This stdout refuses splice after all (accepts_splice is a guess): copy from now on.
      splice_works_ = false;
      return copy_out(pipe);
    }
    cb_.on_error("writing " + name_ + ": " +
                 (n < 0 ? std::strerror(errno) : "splice moved nothing"));
    return false;
  }
  return true;
}

bool SinkWriter::write_frame(InFrame& frame) {
  const std::size_t spliced = frame.pipe.held;
  if (spliced > 0 && !splice_all(frame.pipe)) return false;
  return write_all(frame.payload.data(), frame.length - spliced);
}

void SinkWriter::run() {
  while (auto frame = frames_.next()) {
    if (!write_frame(*frame)) return;
    bytes_.fetch_add(frame->length, std::memory_order_relaxed);
    if (frame->last) {
      struct stat st {};
      if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode) && ::fdatasync(fd_) != 0) {
        cb_.on_error("flushing " + name_ + ": " + std::strerror(errno));
        return;
      }
      if (cb_.settle) {
        if (auto error = cb_.settle(bytes_written()); !error.empty()) {
          cb_.on_error(error);
          return;
        }
      }
    }
    if (frame->checksum) digest_ = wire::fold_digest(digest_, *frame->checksum);
    cb_.on_progress({frame->seq + 1, bytes_written(), frame->last, digest_});
    if (frame->last) return;
  }
}

}  // namespace vmp
