#include "streams/prbs_generator.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <system_error>
#include <vector>

#include "streams/prbs_pattern.hpp"
#include "util/pipe_capacity.hpp"

namespace vmp::streams {
namespace {
constexpr std::size_t kBlockBytes = 1 << 20;
}

PrbsGenerator::PrbsGenerator(std::uint64_t seed) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw std::system_error(errno, std::generic_category(), "prbs: pipe");
  read_.reset(fds[0]);
  write_.reset(fds[1]);
  widen_if_pipe(write_.get());
  // Non-blocking, so the thread waits in poll() where the stop event can reach it.
  ::fcntl(write_.get(), F_SETFL, ::fcntl(write_.get(), F_GETFL) | O_NONBLOCK);
  thread_ = std::thread([this, seed] { run(seed); });
}

PrbsGenerator::~PrbsGenerator() {
  read_.reset();
  stop_.signal();
  thread_.join();
}

void PrbsGenerator::run(std::uint64_t seed) {
  // EPIPE, not SIGPIPE, when the other end is gone, whatever the program does with SIGPIPE (a
  // blocked signal raised by this thread dies with it).
  sigset_t pipe_signal;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
  const PrbsPattern pattern(seed);
  std::vector<std::byte> block(kBlockBytes);
  std::uint64_t offset = 0;
  for (;;) {
    pattern.fill(offset, block);
    std::size_t done = 0;
    while (done < block.size()) {
      const ssize_t n = ::write(write_.get(), block.data() + done, block.size() - done);
      if (n > 0) {
        done += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno != EAGAIN) return;  // EPIPE: the transmitter has read all it wants
      pollfd fds[2] = {{write_.get(), POLLOUT, 0}, {stop_.fd(), POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0 && errno != EINTR) return;
      if (fds[1].revents) return;
    }
    offset += block.size();
  }
}

}  // namespace vmp::streams
