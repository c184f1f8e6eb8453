#include "streams/prbs_checker.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <system_error>
#include <vector>

#include "streams/prbs_pattern.hpp"
#include "util/pipe_capacity.hpp"

namespace vmp::streams {
namespace {

constexpr std::size_t kBlockBytes = 1 << 20;

bool write_all(int fd, const std::byte* data, std::size_t len) {
  while (len > 0) {
    const ssize_t n = ::write(fd, data, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    len -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

PrbsChecker::PrbsChecker(std::uint64_t seed, int out_fd, OnFailure on_failure)
    : on_failure_(std::move(on_failure)) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw std::system_error(errno, std::generic_category(), "prbs: pipe");
  read_.reset(fds[0]);
  write_.reset(fds[1]);
  widen_if_pipe(write_.get());
  thread_ = std::thread([this, seed, out_fd] { run(seed, out_fd); });
}

PrbsChecker::~PrbsChecker() {
  if (thread_.joinable()) finish();
}

ExitCode PrbsChecker::finish() {
  write_.reset();  // end of input for the thread
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  return failure_;
}

std::string PrbsChecker::wait_checked(std::uint64_t bytes) {
  std::unique_lock lock(mutex_);
  progress_.wait(lock, [&] { return checked_ >= bytes || failure_ != ExitCode::ok || ended_; });
  return message_;
}

std::uint64_t PrbsChecker::bytes_checked() const {
  std::lock_guard lock(mutex_);
  return checked_;
}

std::string PrbsChecker::message() const {
  std::lock_guard lock(mutex_);
  return message_;
}

void PrbsChecker::fail(ExitCode code, const std::string& why) {
  // The receiver hears it first: its writer, woken below, must find the transfer ending with
  // our code, not report a sink failure of its own.
  on_failure_(code, why);
  {
    std::lock_guard lock(mutex_);
    if (failure_ != ExitCode::ok) return;
    failure_ = code;
    message_ = why;
  }
  progress_.notify_all();
}

void PrbsChecker::run(std::uint64_t seed, int out_fd) {
  // EPIPE, not SIGPIPE, when the other end is gone, whatever the program does with SIGPIPE (a
  // blocked signal raised by this thread dies with it).
  sigset_t pipe_signal;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
  const PrbsPattern pattern(seed);
  std::vector<std::byte> block(kBlockBytes);
  bool out_ok = true;
  bool failed = false;
  std::uint64_t checked = 0;
  for (;;) {
    const ssize_t n = ::read(read_.get(), block.data(), block.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // end of the stream (an error cannot happen on our own pipe)
    const auto got = std::span<const std::byte>(block.data(), static_cast<std::size_t>(n));
    if (!failed) {
      if (auto at = pattern.first_difference(checked, got)) {
        failed = true;
        fail(ExitCode::mismatch,
             "prbs: the stream differs from the pattern at byte " + std::to_string(*at));
      }
    }
    // Passed on before it counts as checked: the receiver's completion waits for both.
    if (out_ok && !write_all(out_fd, got.data(), got.size())) {
      out_ok = false;
      failed = true;
      fail(ExitCode::sink, std::string("writing stdout: ") + std::strerror(errno));
    }
    checked += got.size();
    {
      std::lock_guard lock(mutex_);
      checked_ = checked;
    }
    progress_.notify_all();
  }
  {
    std::lock_guard lock(mutex_);
    ended_ = true;
  }
  progress_.notify_all();
}

}  // namespace vmp::streams
