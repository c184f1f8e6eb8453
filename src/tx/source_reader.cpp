#include "tx/source_reader.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "wire/checksum.hpp"

namespace vmp {
namespace {

std::string errno_text(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

// Stdin's current offset when its bytes can go out with sendfile: a regular file that reports
// a size. (A shell may hand us a file already partly read; we start where it left off.)
std::optional<std::uint64_t> zero_copy_start(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) return std::nullopt;
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || (flags & O_ACCMODE) == O_WRONLY) return std::nullopt;  // read() will say why
  const off_t pos = ::lseek(fd, 0, SEEK_CUR);
  if (pos < 0) return std::nullopt;
  return static_cast<std::uint64_t>(pos);
}

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

std::variant<std::uint64_t, SourceReader::Result> SourceReader::file_bytes_left() const {
  struct stat st {};
  if (::fstat(opts_.fd, &st) != 0) return Result{false, errno_text("examining stdin")};
  const auto size = static_cast<std::uint64_t>(st.st_size);
  // Frames already queued name bytes up to file_pos_: a shorter file cannot deliver them.
  if (size < *file_pos_)
    return Result{false, "stdin (a file) became shorter while it was being sent"};
  return size - *file_pos_;
}

std::optional<SourceReader::Result> SourceReader::fill_buffered(OutFrame& frame,
                                                                std::uint32_t frame_bytes,
                                                                bool& eof) {
  frame.payload = pool_.get(frame_bytes);
  std::size_t filled = 0;
  // Fill the frame; a short read followed by a quiet producer sends what we have.
  while (filled < frame_bytes) {
    const bool partial = filled > 0;
    const auto w = wait_readable(partial ? static_cast<int>(opts_.flush_after.count()) : -1);
    if (w == Wait::stopped) return std::nullopt;
    if (w == Wait::timeout) break;
    if (w == Wait::error) return Result{false, errno_text("polling stdin")};
    ssize_t n = ::read(opts_.fd, frame.payload.data() + filled, frame_bytes - filled);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return Result{false, errno_text("reading stdin")};
    if (n == 0) {
      eof = true;
      break;
    }
    filled += static_cast<std::size_t>(n);
    bytes_.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
  }
  frame.header.length = static_cast<std::uint32_t>(filled);
  return Result{};
}

bool SourceReader::pause_for_chunks(std::uint64_t from, std::uint64_t to) {
  const auto chunks = to / kChunkBytes - from / kChunkBytes;
  if (chunks == 0 || opts_.delay_per_chunk.count() == 0) return true;
  // (A signed count: microseconds * uint64_t has an unsigned rep, and the wait below would
  // never see its deadline pass.)
  const auto until =
      std::chrono::steady_clock::now() + opts_.delay_per_chunk * static_cast<std::int64_t>(chunks);
  for (;;) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return true;
    pollfd stop{stop_.fd(), POLLIN, 0};
    const int n = ::poll(&stop, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 1000)));
    if (n > 0) return false;
  }
}

std::optional<wire::StreamCount> SourceReader::final_count() const {
  if (!ended_.load(std::memory_order_acquire)) return std::nullopt;
  return final_;
}

SourceReader::Result SourceReader::run() {
  if (opts_.zero_copy && !opts_.checksums && !opts_.stage) file_pos_ = zero_copy_start(opts_.fd);
  std::uint64_t seq = 0;
  std::uint64_t offset = 0;
  bool eof = false;
  while (!eof) {
    std::uint32_t frame_bytes = opts_.frame_bytes();
    if (opts_.limit_bytes)
      frame_bytes = static_cast<std::uint32_t>(
          std::min<std::uint64_t>(frame_bytes, *opts_.limit_bytes - offset));
    if (!queue_.wait_for_room(frame_bytes)) return {};  // stopped
    auto frame = std::make_shared<OutFrame>();
    auto& h = frame->header;
    std::uint64_t left = 0;
    if (file_pos_) {
      auto l = file_bytes_left();
      if (auto* err = std::get_if<Result>(&l)) return *err;
      left = std::get<std::uint64_t>(l);
    }
    if (frame_bytes == 0) {
      eof = true;  // the limit is reached: an empty frame says so
    } else if (left > 0) {
      h.length = static_cast<std::uint32_t>(std::min<std::uint64_t>(left, frame_bytes));
      frame->file = FileSpan{opts_.fd, *file_pos_};
      *file_pos_ += h.length;
      bytes_.fetch_add(h.length, std::memory_order_relaxed);
    } else {
      if (file_pos_) {
        // The reported end: read() has the last word, from where the file frames stopped
        // (this also leaves stdin's offset at the end, as a reader would).
        if (::lseek(opts_.fd, static_cast<off_t>(*file_pos_), SEEK_SET) < 0)
          return {false, errno_text("seeking stdin")};
        file_pos_.reset();
      }
      auto filled = fill_buffered(*frame, frame_bytes, eof);
      if (!filled) return {};  // stopped
      if (!filled->ok) return *filled;
    }
    if (opts_.limit_bytes && offset + h.length >= *opts_.limit_bytes) eof = true;
    if (opts_.expect_bytes) {
      const auto total = offset + h.length;
      if (total > *opts_.expect_bytes)
        return {false, "stdin holds more than the " + std::to_string(*opts_.expect_bytes) +
                           " bytes of --expect-bytes"};
      if (eof && total != *opts_.expect_bytes)
        return {false, "stdin ended after " + std::to_string(total) + " of the " +
                           std::to_string(*opts_.expect_bytes) +
                           " bytes of --expect-bytes (did the producer die?)"};
    }
    h.seq = seq++;
    h.offset = offset;
    if (eof) h.flags |= static_cast<std::uint8_t>(wire::FrameFlag::last);
    if (opts_.checksums) {
      h.flags |= static_cast<std::uint8_t>(wire::FrameFlag::checksum);
      h.checksum =
          wire::frame_checksum(h, std::span<const std::byte>(frame->payload.data(), h.length));
      digest_ = wire::fold_digest(digest_, h.checksum);
    }
    if (!pause_for_chunks(offset, offset + h.length)) return {};  // stopped
    offset += h.length;
    frames_.fetch_add(1, std::memory_order_relaxed);
    if (eof) {
      final_ = {seq, offset, digest_};
      ended_.store(true, std::memory_order_release);
    }
    if (opts_.stage) {
      queue_.reserve(h.length);
      if (!opts_.stage->submit(std::move(frame))) return {};  // stopped, or the stage failed
    } else {
      queue_.push(std::move(frame));
    }
  }
  return {};
}

}  // namespace vmp
