// Socket-level settings applied to every leg, and the kernel's TCP_INFO view of a leg.
#pragma once

#include <chrono>
#include <string>

#include "stats.hpp"

namespace vmp {

struct SocketTuning {
  std::uint32_t sndbuf_bytes = 0;  // 0 = kernel autotuning
  std::uint32_t rcvbuf_bytes = 0;
  std::string congestion;  // empty = system default
  // A leg whose sent data stays unacknowledged by the peer's TCP this long is declared dead
  // (TCP_USER_TIMEOUT): how a silently-dropped path is noticed without waiting ~15 minutes of
  // kernel retransmissions.
  std::chrono::milliseconds user_timeout{15000};
};

// Applies nodelay, keepalive, user timeout, buffer sizes and congestion control. Returns an
// error description for the first option the kernel refused (the socket stays usable).
std::string apply_socket_tuning(int fd, const SocketTuning& tuning);

// Congestion control or buffer changes on a live socket (the tuner's knobs).
std::string apply_live_tuning(int fd, const SocketTuning& tuning);

TcpInfoSample sample_tcp_info(int fd);

// Abortive close: the peer sees a reset, as when a leg dies on a real network (chaos).
void set_linger_reset(int fd);

}  // namespace vmp
