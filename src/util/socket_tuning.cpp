#include "util/socket_tuning.hpp"

#include <linux/tcp.h>  // (not netinet/tcp.h: glibc's tcp_info lacks the rate fields)
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "knobs.hpp"

namespace vmp {
namespace {

std::string set_int(int fd, int level, int name, int value, const char* what) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0) {
    return std::string(what) + ": " + std::strerror(errno);
  }
  return {};
}

std::string system_congestion_control() {
  std::ifstream in("/proc/sys/net/ipv4/tcp_congestion_control");
  std::string name;
  in >> name;
  return name;
}

// Below this smoothed RTT a path is a LAN or loopback.
constexpr unsigned kLanRttMicros = 1000;

// The algorithm an empty congestion knob stands for on this socket, from its path's RTT:
// - a WAN path (RTT >= 1 ms): bbr where the kernel offers it, else the system default. Loss-
//   based algorithms (cubic, reno) read every lost packet as congestion: on a long path with
//   random loss (1% at 40 ms RTT) each connection stays at a few Mbit/s (Mathis), and even 16
//   legs reach a fraction of the path, where bbr legs fill it (issue 12; tests/bench/
//   lossy_bench.sh). The price: bbr (v1) takes more than its share from cubic flows on a
//   shared bottleneck; --congestion cubic is the polite choice.
// - a LAN or loopback (sub-millisecond): the system default, but cubic rather than bbr. There
//   bbr's pacing buys nothing (no deep queue to keep empty) and its per-packet timers cost
//   about a third of loopback throughput (tests/bench/loopback_bench.sh).
// Before connect the RTT is unknown (0) and the system default stands; TxLeg re-applies the
// knobs once the leg is up.
std::string default_congestion(int fd) {
  const std::string system = system_congestion_control();
  tcp_info info{};
  socklen_t len = sizeof info;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0 || info.tcpi_rtt == 0) {
    return system;
  }
  const auto offered = available_congestion_controls();
  auto offers = [&offered](std::string_view name) {
    return std::find(offered.begin(), offered.end(), name) != offered.end();
  };
  if (info.tcpi_rtt >= kLanRttMicros) return offers("bbr") ? "bbr" : system;
  return system == "bbr" && offers("cubic") ? "cubic" : system;
}

}  // namespace

std::string apply_live_tuning(int fd, const SocketTuning& t) {
  std::string err;
  auto keep_first = [&err](std::string e) {
    if (err.empty()) err = std::move(e);
  };
  if (t.sndbuf_bytes != 0) {
    keep_first(set_int(fd, SOL_SOCKET, SO_SNDBUF, static_cast<int>(t.sndbuf_bytes), "SO_SNDBUF"));
  }
  if (t.rcvbuf_bytes != 0) {
    keep_first(set_int(fd, SOL_SOCKET, SO_RCVBUF, static_cast<int>(t.rcvbuf_bytes), "SO_RCVBUF"));
  }
  // A socket's algorithm cannot be "unset": an empty knob means the default, named.
  const std::string cc = t.congestion.empty() ? default_congestion(fd) : t.congestion;
  if (!cc.empty() && ::setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc.data(),
                                  static_cast<socklen_t>(cc.size())) != 0) {
    keep_first("TCP_CONGESTION " + cc + ": " + std::strerror(errno));
  }
  return err;
}

std::string restart_congestion_control(int fd) {
  char name[16] = {};  // TCP_CA_NAME_MAX
  socklen_t len = sizeof name;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &len) != 0) {
    return std::string("TCP_CONGESTION: ") + std::strerror(errno);
  }
  const std::string current(name, strnlen(name, sizeof name));
  if (!current.starts_with("bbr")) return {};
  for (const std::string& cc : {std::string("reno"), current}) {
    if (::setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc.data(),
                     static_cast<socklen_t>(cc.size())) != 0) {
      return "TCP_CONGESTION " + cc + ": " + std::strerror(errno);
    }
  }
  return {};
}

std::string apply_socket_tuning(int fd, const SocketTuning& t) {
  std::string err;
  auto keep_first = [&err](std::string e) {
    if (err.empty()) err = std::move(e);
  };
  keep_first(set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY"));
  keep_first(set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE"));
  // An idle leg on a dead path is noticed within ~11 s.
  keep_first(set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, 5, "TCP_KEEPIDLE"));
  keep_first(set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, 2, "TCP_KEEPINTVL"));
  keep_first(set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, 3, "TCP_KEEPCNT"));
  keep_first(set_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, static_cast<int>(t.user_timeout.count()),
                     "TCP_USER_TIMEOUT"));
  keep_first(set_notsent_lowat(fd, notsent_lowat_for(std::nullopt)));
  keep_first(apply_live_tuning(fd, t));
  return err;
}

std::uint32_t notsent_lowat_for(std::optional<double> bytes_per_second) {
  constexpr std::uint32_t kMax = 256 * 1024;  // until the leg's speed is known, and fast legs
  constexpr std::uint32_t kMin = 32 * 1024;
  constexpr double kQueueSeconds = 0.1;
  if (!bytes_per_second || *bytes_per_second <= 0) return kMax;
  return static_cast<std::uint32_t>(
      std::clamp(*bytes_per_second * kQueueSeconds, double{kMin}, double{kMax}));
}

std::string set_notsent_lowat(int fd, std::uint32_t bytes) {
  return set_int(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, static_cast<int>(bytes), "TCP_NOTSENT_LOWAT");
}

std::optional<std::uint32_t> notsent_lowat(int fd) {
  int v = 0;
  socklen_t len = sizeof v;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &v, &len) != 0 || v < 0) return std::nullopt;
  return static_cast<std::uint32_t>(v);
}

TcpInfoSample sample_tcp_info(int fd) {
  TcpInfoSample s;
  tcp_info info{};
  socklen_t len = sizeof info;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return s;
  s.valid = true;
  s.rtt_seconds = info.tcpi_rtt / 1e6;
  s.rttvar_seconds = info.tcpi_rttvar / 1e6;
  s.cwnd_segments = info.tcpi_snd_cwnd;
  s.mss_bytes = info.tcpi_snd_mss;
  s.total_retrans_segments = info.tcpi_total_retrans;
  s.bytes_acked = info.tcpi_bytes_acked;
  s.unacked_segments = info.tcpi_unacked;
  s.notsent_bytes = info.tcpi_notsent_bytes;
  s.peer_window_bytes = info.tcpi_snd_wnd;
  s.delivery_rate_bytes_per_second = static_cast<double>(info.tcpi_delivery_rate);
  s.pacing_rate_bytes_per_second = static_cast<double>(info.tcpi_pacing_rate);
  char cc[16] = {};  // TCP_CA_NAME_MAX
  socklen_t cc_len = sizeof cc;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc, &cc_len) == 0) {
    s.congestion.assign(cc, strnlen(cc, sizeof cc));
  }
  return s;
}

void set_linger_reset(int fd) {
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

}  // namespace vmp
