// Fuzz target: the receiver's per-connection state machine (handshake, frames, cancel/end,
// acks), on a real vmp::Receiver listening on 127.0.0.1.
//
// The receiver runs in a background thread for the whole fuzzing session, so what one input
// leaves behind (a session, held frames, a completed stream) is what the next one meets, as on
// a real network. When run() returns (an input may legitimately end a transfer: a Hello and a
// cancel frame, a contradiction after frames, a complete stream) a fresh receiver takes over.
//
// Input format: up to 3 connections, each `u16 prefix (big-endian)` + bytes: the low 15 bits
// are the length (beyond the end: the rest), the top bit says "open this connection only once
// the ones before it are closed by the receiver" (so that, e.g., an end frame can follow the
// completion of the stream, as from an honest transmitter); connections without it are opened
// at once. Every connection is sent its bytes, half-closed and read (replies discarded) until
// the receiver closes it or ~50 ms have passed for the whole input.
// See make_seeds.py for inputs that reach the frame path (a valid Hello comes first).
//
// The receiver must never crash or trip ASan/UBSan; its stderr lines (rejections, dropped
// legs) are expected noise (run.sh passes -close_fd_mask=2 to silence them).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "engine_hooks.hpp"
#include "rx/receiver.hpp"
#include "rx/rx_config.hpp"
#include "util/logger.hpp"
#include "wire/protocol.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxConnections = 3;
constexpr auto kInputBudget = 50ms;

vmp::RxConfig fuzz_config() {
  vmp::RxConfig cfg;
  cfg.bind_address = "127.0.0.1";
  cfg.port = 0;
  cfg.checkphrase = *vmp::wire::make_checkphrase("yoda");
  // Small, so that the window checks are within the fuzzer's reach and memory stays low.
  cfg.window_bytes = 256 * vmp::KiB;
  // Short waits, so that sessions end (and the receiver is renewed) while fuzzing.
  cfg.max_outage = 1s;
  cfg.linger = 1s;
  cfg.handshake_timeout = 500ms;
  cfg.io_threads = 2;  // legs on two threads, as on a real receiver
  return cfg;
}

// The receiver's home: one at a time, renewed whenever run() returns.
class Host {
 public:
  Host() : thread_([this] { loop(); }) { thread_.detach(); }

  // The port of a running receiver; 0 when none came up within the timeout.
  std::uint16_t port(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, timeout, [&] { return port_ != 0; });
    return port_;
  }
  std::uint64_t generation() const { return generation_.load(); }

 private:
  void loop() {
    const int out = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (out < 0) std::abort();
    for (;;) {
      std::unique_ptr<vmp::Receiver> rx;
      try {
        rx = std::make_unique<vmp::Receiver>(fuzz_config(), log_, vmp::embedded_hooks());
      } catch (const std::exception& e) {
        std::fprintf(stderr, "fuzz_receiver: cannot start a receiver: %s\n", e.what());
        std::this_thread::sleep_for(100ms);
        continue;
      }
      {
        std::lock_guard lock(mutex_);
        port_ = rx->port();
      }
      cv_.notify_all();
      const auto code = rx->run(out);
      // One line per transfer the fuzzer ended: the context of a later fault.
      std::fprintf(stderr, "fuzz_receiver: receiver %llu ended (exit %d: %s); starting another\n",
                   static_cast<unsigned long long>(generation_.load()), static_cast<int>(code),
                   rx->message().c_str());
      {
        std::lock_guard lock(mutex_);
        port_ = 0;
      }
      rx.reset();
      ++generation_;
    }
  }

  vmp::Logger log_{"fuzz_receiver rx", 0};
  std::mutex mutex_;
  std::condition_variable cv_;
  std::uint16_t port_ = 0;
  std::atomic<std::uint64_t> generation_{0};
  std::thread thread_;
};

Host& host() {
  // Never destroyed: the receiver thread runs until the process exits.
  static Host* h = new Host;
  return *h;
}

struct Conn {
  bool after_previous = false;
  bool opened = false;
  int fd = -1;
  const std::uint8_t* data = nullptr;
  std::size_t left = 0;
  bool write_done = false;
  bool read_done = false;
};

int dial(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 &&
      errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Splits the input into connections: u16 big-endian length, then that many bytes.
std::vector<Conn> split(const std::uint8_t* data, std::size_t size) {
  std::vector<Conn> conns;
  while (size >= 2 && conns.size() < kMaxConnections) {
    const bool after_previous = (data[0] & 0x80) != 0;
    std::size_t len = (std::size_t{data[0] & 0x7Fu} << 8) | data[1];
    data += 2;
    size -= 2;
    len = std::min(len, size);
    Conn c;
    c.after_previous = after_previous;
    c.data = data;
    c.left = len;
    conns.push_back(c);
    data += len;
    size -= len;
  }
  return conns;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)host();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto conns = split(data, size);
  if (conns.empty()) return 0;
  // A receiver that does not come back is a hang worth a report: libFuzzer's -timeout sees it.
  std::uint16_t port = 0;
  while ((port = host().port(1s)) == 0) {
  }

  const auto deadline = Clock::now() + kInputBudget;
  std::vector<pollfd> fds;
  std::vector<Conn*> which;
  char sink[4096];
  for (;;) {
    fds.clear();
    which.clear();
    bool previous_done = true;
    for (auto& c : conns) {
      if (!c.opened && (previous_done || !c.after_previous)) {
        c.opened = true;
        c.fd = dial(port);
        if (c.fd < 0) c.write_done = c.read_done = true;
      }
      previous_done = previous_done && c.opened && c.read_done;
      if (!c.opened || c.read_done) continue;
      short events = POLLIN;
      if (!c.write_done) events |= POLLOUT;
      fds.push_back({c.fd, events, 0});
      which.push_back(&c);
    }
    if (fds.empty()) break;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    if (::poll(fds.data(), fds.size(), static_cast<int>(left.count())) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      Conn& c = *which[i];
      const short ev = fds[i].revents;
      if (ev & (POLLERR | POLLNVAL)) {
        c.write_done = c.read_done = true;
        continue;
      }
      if (!c.write_done && (ev & POLLOUT)) {
        while (c.left > 0) {
          const ssize_t n = ::send(c.fd, c.data, c.left, MSG_NOSIGNAL);
          if (n > 0) {
            c.data += n;
            c.left -= static_cast<std::size_t>(n);
          } else {
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
            c.left = 0;  // reset by the receiver: nothing more goes through
            c.read_done = true;
          }
        }
        if (c.left == 0) {
          c.write_done = true;
          ::shutdown(c.fd, SHUT_WR);  // the receiver sees the end of what we had to say
        }
      }
      if (ev & (POLLIN | POLLHUP)) {
        for (;;) {
          const ssize_t n = ::recv(c.fd, sink, sizeof sink, 0);
          if (n > 0) continue;
          if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
          c.read_done = true;  // closed (or reset) by the receiver
          c.write_done = true;
          break;
        }
      }
    }
  }
  for (auto& c : conns) {
    if (c.fd >= 0) ::close(c.fd);
  }
  return 0;
}
