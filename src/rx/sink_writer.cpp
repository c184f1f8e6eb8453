#include "rx/sink_writer.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace vmp {

bool SinkWriter::write_all(const std::byte* data, std::size_t len) {
  const auto start = std::chrono::steady_clock::now();
  while (len > 0) {
    ssize_t n = ::write(fd_, data, len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      cb_.on_error(std::string("writing stdout: ") + std::strerror(errno));
      return false;
    }
    data += n;
    len -= static_cast<std::size_t>(n);
  }
  stall_ns_.fetch_add(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
          .count(),
      std::memory_order_relaxed);
  return true;
}

void SinkWriter::run() {
  while (auto frame = frames_.next()) {
    if (!write_all(frame->payload.data(), frame->length)) return;
    bytes_.fetch_add(frame->length, std::memory_order_relaxed);
    if (frame->last) {
      struct stat st {};
      if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode) && ::fdatasync(fd_) != 0) {
        cb_.on_error(std::string("flushing stdout: ") + std::strerror(errno));
        return;
      }
    }
    cb_.on_progress({frame->seq + 1, bytes_written(), frame->last});
    if (frame->last) return;
  }
}

}  // namespace vmp
