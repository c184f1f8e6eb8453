#include "sidechain/filter_files.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

namespace vmp::sidechain {
namespace {

// The filter's stdin and stdout are files in memory (memfd), not pipes. Through pipes the
// filter and our worker woke each other for every few KiB (gzip writes 16 KiB at a time):
// 14.5 k context switches for 256 MB through 'gzip -1', a third more CPU than gzip alone in a
// loop over files. A file is written once and read by the filter at its own pace; the worker
// sleeps until the filter exits. The descriptor the filter gets is a dup of ours, so the two
// share the file offset: where the filter has read to, or written to, is progress we can see.
std::optional<UniqueFd> make_memfd(const char* name, unsigned flags, int& err) {
  const int fd = ::memfd_create(name, MFD_CLOEXEC | flags);
  if (fd < 0) {
    err = errno;
    return std::nullopt;
  }
  return UniqueFd(fd);
}

// A descriptor of the same open file (so the same offset), close-on-exec and above 2: the
// filter's 0, 1 and 2 are dup2'ed from such descriptors, which must not be one of those.
std::optional<UniqueFd> share(const UniqueFd& fd, int& err) {
  const int dup = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
  if (dup < 0) {
    err = errno;
    return std::nullopt;
  }
  return UniqueFd(dup);
}

bool rewind(const UniqueFd& fd, int& err) {
  if (::lseek(fd.get(), 0, SEEK_SET) != 0) {
    err = errno;
    return false;
  }
  return true;
}

}  // namespace

std::optional<UniqueFd> make_output_file(std::size_t max_output, int& err) {
  auto fd = make_memfd("vmp-filter-out", MFD_ALLOW_SEALING, err);
  if (!fd) return std::nullopt;
  // Fits off_t whatever max_output is.
  const std::size_t cap = std::min<std::size_t>(max_output, SIZE_MAX / 4) + 1 + kFilterOverrunRoom;
  if (::ftruncate(fd->get(), static_cast<off_t>(cap)) != 0 ||
      ::fcntl(fd->get(), F_ADD_SEALS, F_SEAL_GROW) != 0) {
    err = errno;
    return std::nullopt;
  }
  return fd;
}

std::optional<UniqueFd> FilterFiles::input(std::span<const std::byte> bytes, int& err) {
  if (!in_) in_ = make_memfd("vmp-filter-in", 0, err);
  if (!in_) return std::nullopt;
  // Over the pages an earlier frame left (no new ones where it reached), then cut: the filter
  // reads to the end of the file.
  for (std::size_t at = 0; at < bytes.size();) {
    const ssize_t w =
        ::pwrite(in_->get(), bytes.data() + at, bytes.size() - at, static_cast<off_t>(at));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {  // nothing written would be a loop for ever
      err = w < 0 ? errno : EIO;
      return std::nullopt;
    }
    at += static_cast<std::size_t>(w);
  }
  if (::ftruncate(in_->get(), static_cast<off_t>(bytes.size())) != 0) {
    err = errno;
    return std::nullopt;
  }
  if (!rewind(*in_, err)) return std::nullopt;
  return share(*in_, err);
}

std::optional<UniqueFd> FilterFiles::output(int& err) {
  if (!out_) out_ = make_output_file(max_output_, err);
  if (!out_ || !rewind(*out_, err)) return std::nullopt;
  return share(*out_, err);
}

}  // namespace vmp::sidechain
