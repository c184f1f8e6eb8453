// Socket-level settings applied to every leg, and the kernel's TCP_INFO view of a leg.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
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

// Starts the socket's congestion control afresh when it keeps a model of the path's bandwidth
// (bbr: the bandwidth it measured while the path had more legs). Legs that survive a cut in the
// number of legs otherwise keep pacing at their old share and grow it by a quarter per eight
// round trips: 4 bbr connections left of 40 on the rig's 100 Mbit/s, 40 ms, 1% loss path
// delivered 9, 22, 63, 79, 90 Mbit/s in the seconds after the cut, and 30, 107, 100 once
// restarted (the algorithm re-enters its startup, which doubles the rate each round trip).
// Linux keeps the state when the same algorithm is set again, so it passes through reno (always
// built in). Loss-based algorithms (cubic, reno) keep only a window, which grows anyway: left
// alone. Returns an error description ("" on success or when nothing was to be done).
std::string restart_congestion_control(int fd);

// At most this much data a leg has not yet sent may sit in its socket (TCP_NOTSENT_LOWAT):
// about 0.1 s of the leg's measured goodput, 32-256 KiB (256 KiB while it is unknown). Without
// a limit a leg's socket buffer (autotuned to 4 MiB, more with a large SO_SNDBUF) fills with
// frames that wait behind each other; on a slow path with many legs that is seconds of data,
// and the receiver, which writes in order, stalls until it arrives while the fast paths idle
// (seen on the rig: 0 bytes out of the receiver for 5 s after the tuner tried such a genome).
// A fixed 256 KiB was still 1.2 s of data on a reno leg at 3% loss (1.8 Mbit/s): the last
// frames of a stream waited that long behind it and were copied as late (issue 12). What is
// in flight (cwnd) is not limited, so long fat paths still fill; loopback is no slower
// (tests/bench/loopback_bench.sh).
std::uint32_t notsent_lowat_for(std::optional<double> bytes_per_second);
std::string set_notsent_lowat(int fd, std::uint32_t bytes);
// What the kernel holds for the socket (nullopt: getsockopt failed).
std::optional<std::uint32_t> notsent_lowat(int fd);

TcpInfoSample sample_tcp_info(int fd);

// Abortive close: the peer sees a reset, as when a leg dies on a real network (chaos).
void set_linger_reset(int fd);

}  // namespace vmp
