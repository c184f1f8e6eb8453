#include "tx/source_reader.hpp"

#include <poll.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>

namespace vmp {
namespace {

// How long a partly filled frame waits for more input before it is sent as it is.
constexpr int kFlushAfterMs = 5;

}  // namespace

SourceReader::Wait SourceReader::wait_readable(int timeout_ms) {
  pollfd fds[2] = {{opts_.fd, POLLIN, 0}, {stop_.fd(), POLLIN, 0}};
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    int n = ::poll(fds, 2, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    stall_ns_.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count(),
                        std::memory_order_relaxed);
    if (n < 0) return Wait::error;
    if (fds[1].revents) return Wait::stopped;
    if (n == 0) return Wait::timeout;
    return Wait::ready;  // POLLIN, POLLHUP or POLLERR: read() will tell which
  }
}

SourceReader::Result SourceReader::run() {
  std::uint64_t seq = 0;
  std::uint64_t offset = 0;
  bool eof = false;
  while (!eof) {
    const std::uint32_t frame_bytes = opts_.frame_bytes();
    if (!queue_.wait_for_room(frame_bytes)) return {};  // stopped
    auto frame = std::make_shared<OutFrame>();
    frame->payload = pool_.get(frame_bytes);
    std::size_t filled = 0;
    // Fill the frame; a short read followed by a quiet producer sends what we have.
    while (filled < frame_bytes) {
      const bool partial = filled > 0;
      const auto w = wait_readable(partial ? kFlushAfterMs : -1);
      if (w == Wait::stopped) return {};
      if (w == Wait::timeout) break;
      if (w == Wait::error) return {false, std::string("polling stdin: ") + std::strerror(errno)};
      ssize_t n = ::read(opts_.fd, frame->payload.data() + filled, frame_bytes - filled);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n < 0) return {false, std::string("reading stdin: ") + std::strerror(errno)};
      if (n == 0) {
        eof = true;
        break;
      }
      filled += static_cast<std::size_t>(n);
      bytes_.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
    }
    auto& h = frame->header;
    h.seq = seq++;
    h.offset = offset;
    h.length = static_cast<std::uint32_t>(filled);
    if (eof) h.flags |= static_cast<std::uint8_t>(wire::FrameFlag::last);
    if (opts_.checksums) {
      h.flags |= static_cast<std::uint8_t>(wire::FrameFlag::checksum);
      h.checksum = XXH3_64bits(frame->payload.data(), filled);
    }
    offset += filled;
    frames_.fetch_add(1, std::memory_order_relaxed);
    queue_.push(std::move(frame));
  }
  return {};
}

}  // namespace vmp
