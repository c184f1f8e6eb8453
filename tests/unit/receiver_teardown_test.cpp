// The receiver is destroyed while legs are in the middle of a frame, holding pipes (zero-copy)
// and buffers. Before the teardown order was fixed, the coroutine frames of those legs were
// destroyed after the pipe pool and returned their pipes to freed memory: under ASan a
// use-after-free, in a release build once a receiver hung for minutes in ~Receiver.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <thread>
#include <vector>

#include "rx/receiver.hpp"
#include "util/unique_fd.hpp"
#include "wire/protocol.hpp"

namespace vmp {
namespace {

UniqueFd connect_to(std::uint16_t port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
    throw std::runtime_error("connect failed");
  return fd;
}

void send_all(int fd, const void* data, std::size_t n) {
  const auto* p = static_cast<const char*>(data);
  while (n > 0) {
    const auto w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) throw std::runtime_error("send failed");
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

void recv_all(int fd, void* data, std::size_t n) {
  auto* p = static_cast<char*>(data);
  while (n > 0) {
    const auto r = ::recv(fd, p, n, 0);
    if (r <= 0) throw std::runtime_error("recv failed");
    p += r;
    n -= static_cast<std::size_t>(r);
  }
}

TEST(ReceiverTeardown, DestroyedWhileLegsHoldPipesAndBuffers) {
  int out[2];
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);  // stdout is a pipe: frames are spliced into pipes
  UniqueFd out_r(out[0]), out_w(out[1]);
  Logger log("test rx", 0);
  RxConfig cfg;
  cfg.io_threads = 2;
  cfg.checkphrase = *wire::make_checkphrase("yoda");
  auto rx = std::make_unique<Receiver>(cfg, log, embedded_hooks());
  std::thread runner([&] { rx->run(out_w.get()); });

  const std::uint64_t session = 0x1234;
  std::vector<UniqueFd> legs;
  for (std::uint32_t leg = 0; leg < 8; ++leg) {
    legs.push_back(connect_to(rx->port()));
    wire::Hello hello;
    hello.checkphrase = *wire::make_checkphrase("yoda");
    hello.session = session;
    hello.leg = leg;
    hello.outage_timeout_seconds = 30;
    const auto h = hello.encode();
    send_all(legs.back().get(), h.data(), h.size());
    std::array<std::byte, wire::HelloReply::kSize> reply{};
    recv_all(legs.back().get(), reply.data(), reply.size());
    ASSERT_EQ(wire::HelloReply::decode(reply)->code, wire::ReplyCode::accept);
    // Frame 1 + leg (frame 0 never comes, so nothing is written): half of its payload only,
    // so the leg waits in the middle of the frame with a pipe or buffer in hand.
    wire::FrameHeader f;
    f.seq = 1 + leg;
    f.offset = 65536 * (1 + leg);
    f.length = 65536;
    const auto fh = f.encode();
    send_all(legs.back().get(), fh.data(), fh.size());
    std::vector<char> half(32768, 'x');
    send_all(legs.back().get(), half.data(), half.size());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let the legs read
  // A cancel frame on a new leg ends the run with the other legs still mid-frame.
  auto canceller = connect_to(rx->port());
  wire::Hello hello;
  hello.checkphrase = *wire::make_checkphrase("yoda");
  hello.session = session;
  hello.leg = 99;
  const auto h = hello.encode();
  send_all(canceller.get(), h.data(), h.size());
  std::array<std::byte, wire::HelloReply::kSize> reply{};
  recv_all(canceller.get(), reply.data(), reply.size());
  wire::FrameHeader cancel;
  cancel.kind = wire::FrameKind::cancel;
  cancel.cancel = wire::CancelReason::interrupted;
  const auto ch = cancel.encode();
  send_all(canceller.get(), ch.data(), ch.size());
  runner.join();
  // Must neither touch freed memory (ASan) nor hang (the old order hung on a freed mutex):
  // a destructor cannot be interrupted, so a hang ends the test process.
  auto destroyed = std::async(std::launch::async, [&] { rx.reset(); });
  if (destroyed.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    std::fprintf(stderr, "~Receiver hung for 10 s with legs mid-frame\n");
    std::abort();
  }
}

}  // namespace
}  // namespace vmp
