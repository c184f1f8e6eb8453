// vmp-linkemu: a userspace WAN link emulator for the viamillipede network rig.
//
// The kernel on our test machines has no netem, so delay, jitter, random loss and outages are
// made here. The emulator is an L2 "delay bridge" between two interfaces A and B (the router
// ends of two veth pairs, inside a router namespace of its own): every frame that arrives on A
// is held in a timed FIFO and then written out of B, and the other way round. Rate limits are
// left to the kernel (tbf on A and B's egress), so the emulator's own write meets a real
// router queue that tail-drops when full.
//
// Why AF_PACKET rather than TUN/NFQUEUE: a bridge needs no routing tricks (TUN would need
// policy routing to stop the re-injected packet from looping back into the tunnel), and with
// PACKET_VNET_HDR the kernel hands us the checksum-offload metadata of each frame, so we can
// pass frames on untouched whatever offloads the endpoints use.
//
// Performance notes (the rig must carry >500 Mbit/s at 40 ms RTT on 2 cores):
//  * one thread per direction, each owning its delay line: no locks on the packet path;
//  * recvmmsg/sendmmsg batches; the delay line is one preallocated byte ring (no per-packet
//    allocation), and sendmmsg sends straight out of the ring.
//
// Control: SIGUSR1 takes the link down (everything is silently dropped, like a cut fibre
// behind a router that still answers ARP -- the rig uses static neighbours), SIGUSR2 brings it
// up, SIGHUP prints counters, SIGTERM/SIGINT stop. --down-at/--up-at give a timed schedule.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "delay_line.hpp"

namespace {

using vmp::rig::DelayLine;

// Exit codes: 0 clean stop, 1 runtime failure, 2 bad arguments.
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// Owns one file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

int64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

timespec to_timespec(int64_t ns) {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  return ts;
}

// One direction's behaviour.
struct DirConfig {
  int64_t delay_ns = 0;
  int64_t jitter_ns = 0;  // uniform in [-jitter, +jitter], clamped so delay never goes negative
  double loss = 0.0;      // probability in [0, 1]
};

// Counters a direction keeps; read by the main thread for SIGHUP / exit reports.
struct DirStats {
  std::atomic<uint64_t> rx_packets{0};
  std::atomic<uint64_t> rx_bytes{0};
  std::atomic<uint64_t> tx_packets{0};
  std::atomic<uint64_t> tx_bytes{0};
  std::atomic<uint64_t> drop_loss{0};    // random loss
  std::atomic<uint64_t> drop_down{0};    // link was down
  std::atomic<uint64_t> drop_full{0};    // delay line full
  std::atomic<uint64_t> drop_egress{0};  // egress refused (tbf queue full, interface down)
};

// Shared link state: written by the control (main) thread, read by the workers.
struct LinkState {
  std::atomic<bool> down{false};
};

// Opens a raw packet socket on one interface, with virtio-net headers so offload metadata
// (checksum-partial, GSO) travels with each frame.
Fd open_port(const std::string& ifname, int buffer_bytes) {
  const unsigned ifindex = ::if_nametoindex(ifname.c_str());
  if (ifindex == 0) throw_errno("interface " + ifname);
  Fd s(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ALL)));
  if (s.get() < 0) throw_errno("socket(AF_PACKET) on " + ifname + " (are you root?)");
  const int one = 1;
  if (::setsockopt(s.get(), SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) != 0)
    throw_errno("PACKET_VNET_HDR on " + ifname);
  // Without this we would read back our own frames written to this interface.
  if (::setsockopt(s.get(), SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) != 0)
    throw_errno("PACKET_IGNORE_OUTGOING on " + ifname);
  // Big socket buffers: the receive side absorbs bursts while a worker is sending; the send
  // side must exceed the tbf queue, or the socket's own buffer would become the router queue.
  if (::setsockopt(s.get(), SOL_SOCKET, SO_RCVBUFFORCE, &buffer_bytes, sizeof buffer_bytes) != 0)
    throw_errno("SO_RCVBUFFORCE on " + ifname);
  if (::setsockopt(s.get(), SOL_SOCKET, SO_SNDBUFFORCE, &buffer_bytes, sizeof buffer_bytes) != 0)
    throw_errno("SO_SNDBUFFORCE on " + ifname);
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = static_cast<int>(ifindex);
  if (::bind(s.get(), reinterpret_cast<const sockaddr*>(&sll), sizeof sll) != 0)
    throw_errno("bind to " + ifname);
  return s;
}

// Moves frames from one interface to the other through a delay line. Runs on its own thread;
// owns all its state except the sockets, the shared link state and the stop eventfd.
class Direction {
 public:
  static constexpr size_t kBatch = 64;
  // struct virtio_net_hdr (10 bytes; <linux/virtio_net.h> is not valid C++) + Ethernet
  // header + the largest GSO frame the kernel hands out.
  static constexpr size_t kVnetHdrLen = 10;
  static constexpr size_t kMaxFrame = kVnetHdrLen + ETH_HLEN + 65536;

  Direction(std::string name, int in_fd, int out_fd, int stop_fd, const DirConfig& cfg,
            const LinkState& link, DirStats& stats, size_t queue_bytes, uint64_t seed)
      : name_(std::move(name)),
        in_fd_(in_fd),
        out_fd_(out_fd),
        stop_fd_(stop_fd),
        cfg_(cfg),
        link_(link),
        stats_(stats),
        line_(queue_bytes),
        staging_(kBatch * kMaxFrame),
        rng_(seed),
        loss_(cfg.loss),
        jitter_(-cfg.jitter_ns, cfg.jitter_ns) {}

  void run() {
    bool out_blocked = false;
    while (true) {
      const int64_t now = now_ns();
      if (!out_blocked) out_blocked = flush_due(now);
      std::array<pollfd, 3> fds{pollfd{stop_fd_, POLLIN, 0}, pollfd{in_fd_, POLLIN, 0},
                                pollfd{out_fd_, POLLOUT, 0}};
      const nfds_t nfds = out_blocked ? 3 : 2;
      timespec ts{};
      const timespec* timeout = nullptr;  // nothing queued: wait for input only
      if (!line_.empty() && !out_blocked) {
        ts = to_timespec(std::max<int64_t>(0, line_.header_at(line_.begin()).due_ns - now));
        timeout = &ts;
      }
      if (::ppoll(fds.data(), nfds, timeout, nullptr) < 0) {
        if (errno == EINTR) continue;
        throw_errno(name_ + ": ppoll");
      }
      if (fds[0].revents != 0) return;
      if (out_blocked && fds[2].revents != 0) out_blocked = false;
      if (fds[1].revents != 0) receive();
    }
  }

 private:
  // Reads what is waiting (bounded, so sending is never starved) into the delay line.
  void receive() {
    std::array<mmsghdr, kBatch> msgs{};
    std::array<iovec, kBatch> iovs{};
    for (size_t i = 0; i < kBatch; ++i) {
      iovs[i] = iovec{staging_.data() + i * kMaxFrame, kMaxFrame};
      msgs[i].msg_hdr.msg_iov = &iovs[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    for (int round = 0; round < 8; ++round) {
      const int n = ::recvmmsg(in_fd_, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) return;
        if (errno == ENETDOWN) return;  // interface being torn down
        throw_errno(name_ + ": recvmmsg");
      }
      const int64_t now = now_ns();
      const bool down = link_.down.load(std::memory_order_relaxed);
      for (int i = 0; i < n; ++i) {
        const uint32_t len = msgs[i].msg_len;
        stats_.rx_packets.fetch_add(1, std::memory_order_relaxed);
        stats_.rx_bytes.fetch_add(len, std::memory_order_relaxed);
        if (down) {
          stats_.drop_down.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        if ((msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0 || (cfg_.loss > 0 && loss_(rng_))) {
          stats_.drop_loss.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        int64_t due = now + cfg_.delay_ns + (cfg_.jitter_ns > 0 ? jitter_(rng_) : 0);
        // Jitter never reorders: a real path rarely does, and reordering would make TCP see
        // phantom losses that are not what we mean to emulate.
        due = std::max({due, now, last_due_});
        last_due_ = due;
        std::byte* slot = line_.push(due, len);
        if (slot == nullptr) {
          stats_.drop_full.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        std::memcpy(slot, iovs[i].iov_base, len);
      }
      if (static_cast<size_t>(n) < kBatch) return;
    }
  }

  // Sends every packet whose time has come. Returns true when the output socket is full.
  bool flush_due(int64_t now) {
    std::array<mmsghdr, kBatch> msgs{};
    std::array<iovec, kBatch> iovs{};
    while (!line_.empty()) {
      size_t n = 0;
      size_t pos = line_.begin();
      const bool down = link_.down.load(std::memory_order_relaxed);
      for (size_t left = line_.size(); n < kBatch && left > 0; --left) {
        const DelayLine::Header h = line_.header_at(pos);
        if (h.due_ns > now) break;
        iovs[n] = iovec{line_.data_at(pos), h.len};
        msgs[n] = mmsghdr{};
        msgs[n].msg_hdr.msg_iov = &iovs[n];
        msgs[n].msg_hdr.msg_iovlen = 1;
        ++n;
        if (left > 1) pos = line_.next(pos);
      }
      if (n == 0) return false;
      if (down) {  // packets still "on the wire" when the link went down are lost too
        for (size_t i = 0; i < n; ++i) line_.pop();
        stats_.drop_down.fetch_add(n, std::memory_order_relaxed);
        continue;
      }
      const int sent = ::sendmmsg(out_fd_, msgs.data(), static_cast<unsigned>(n), MSG_DONTWAIT);
      if (sent < 0) {
        if (errno == EAGAIN || errno == EINTR) return errno == EAGAIN;
        // ENOBUFS: the egress qdisc (tbf) is full -- a router tail drop. The others mean the
        // interface is going away or the frame does not fit it; drop and carry on.
        if (errno != ENOBUFS && errno != ENETDOWN && errno != ENXIO && errno != EMSGSIZE &&
            errno != EINVAL)
          throw_errno(name_ + ": sendmmsg");
        stats_.drop_egress.fetch_add(1, std::memory_order_relaxed);
        line_.pop();
        continue;
      }
      for (int i = 0; i < sent; ++i) {
        stats_.tx_packets.fetch_add(1, std::memory_order_relaxed);
        stats_.tx_bytes.fetch_add(iovs[static_cast<size_t>(i)].iov_len, std::memory_order_relaxed);
        line_.pop();
      }
    }
    return false;
  }

  std::string name_;
  int in_fd_;
  int out_fd_;
  int stop_fd_;
  DirConfig cfg_;
  const LinkState& link_;
  DirStats& stats_;
  DelayLine line_;
  std::vector<std::byte> staging_;
  std::mt19937_64 rng_;
  std::bernoulli_distribution loss_;
  std::uniform_int_distribution<int64_t> jitter_;
  int64_t last_due_ = 0;
};

struct Options {
  std::string if_a;
  std::string if_b;
  DirConfig ab;  // A -> B
  DirConfig ba;  // B -> A
  uint64_t seed = 1;
  size_t queue_bytes = 64u << 20;
  int sockbuf_bytes = 32 << 20;
  std::vector<double> down_at;
  std::vector<double> up_at;
  bool start_down = false;
  bool daemon = false;
  std::string pidfile;
  std::string log;
};

constexpr const char* kUsage = R"(usage: vmp-linkemu --side-a IF --side-b IF [options]
Userspace WAN link emulator: bridges interfaces A and B (layer 2) with delay, jitter, loss and
outages. Rate limits belong to tbf on the interfaces' egress.
  --delay MS        one-way delay, both directions (RTT = 2 x delay) [0]
  --delay-ab MS     one-way delay A->B (overrides --delay)
  --delay-ba MS     one-way delay B->A (overrides --delay)
  --jitter MS       uniform +/- jitter added to each packet's delay; order is kept [0]
  --loss PCT        random loss in percent, both directions [0]
  --loss-ab PCT     random loss A->B (overrides --loss)
  --loss-ba PCT     random loss B->A (overrides --loss)
  --seed N          random seed: loss and jitter are reproducible [1]
  --queue-mb MB     delay line per direction; must hold rate x one-way delay [64]
  --down-at S       take the link down S seconds after start (repeatable)
  --up-at S         bring the link up S seconds after start (repeatable)
  --start-down      start with the link down
  --daemon          detach once forwarding (the parent exits 0 only then)
  --pidfile FILE    write the emulator's pid here
  --log FILE        with --daemon: append messages here [/dev/null]
Signals: USR1 = link down, USR2 = link up, HUP = print counters, TERM/INT = stop.
Exit codes: 0 stopped cleanly, 1 runtime failure, 2 bad arguments.
)";

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string fmt(double v) {
  std::array<char, 32> b{};
  std::snprintf(b.data(), b.size(), "%g", v);
  return b.data();
}

double parse_number(const std::string& name, const std::string& text, double lo, double hi) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size())
    throw UsageError("--" + name + " needs a number, not '" + text + "'");
  if (!(v >= lo && v <= hi))
    throw UsageError("--" + name + " must be in [" + fmt(lo) + ", " + fmt(hi) + "]");
  return v;
}

// A deliberately small parser: "--name value", "--name=value" and flags. (cxxopts would do,
// but it drags in <regex>, which GCC 12 cannot compile warning-free under ASan + -Werror.)
Options parse(int argc, char** argv) {
  Options o;
  const auto ms = [](double v) { return static_cast<int64_t>(v * 1e6); };
  std::optional<double> delay_ab, delay_ba, loss_ab, loss_ba;
  double delay = 0, loss = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (arg.rfind("--", 0) != 0) throw UsageError("unexpected argument '" + arg + "'");
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (name == "start-down" || name == "daemon") {
      if (inline_value) throw UsageError("--" + name + " takes no value");
      (name == "daemon" ? o.daemon : o.start_down) = true;
      continue;
    }
    static constexpr std::array<std::string_view, 15> kValued{
        "side-a",  "side-b", "delay",    "delay-ab", "delay-ba", "jitter",  "loss", "loss-ab",
        "loss-ba", "seed",   "queue-mb", "down-at",  "up-at",    "pidfile", "log"};
    if (std::find(kValued.begin(), kValued.end(), name) == kValued.end())
      throw UsageError("unknown option --" + name);
    std::string value;
    if (inline_value) {
      value = *inline_value;
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      throw UsageError("--" + name + " needs a value");
    }
    const auto num = [&](double lo, double hi) { return parse_number(name, value, lo, hi); };
    if (name == "side-a") {
      o.if_a = value;
    } else if (name == "side-b") {
      o.if_b = value;
    } else if (name == "delay") {
      delay = num(0, 60'000);
    } else if (name == "delay-ab") {
      delay_ab = num(0, 60'000);
    } else if (name == "delay-ba") {
      delay_ba = num(0, 60'000);
    } else if (name == "jitter") {
      o.ab.jitter_ns = o.ba.jitter_ns = ms(num(0, 60'000));
    } else if (name == "loss") {
      loss = num(0, 100);
    } else if (name == "loss-ab") {
      loss_ab = num(0, 100);
    } else if (name == "loss-ba") {
      loss_ba = num(0, 100);
    } else if (name == "seed") {
      o.seed = static_cast<uint64_t>(num(0, 9e15));
    } else if (name == "queue-mb") {
      o.queue_bytes = static_cast<size_t>(num(1, 4096) * 1048576);
    } else if (name == "down-at") {
      o.down_at.push_back(num(0, 1e7));
    } else if (name == "up-at") {
      o.up_at.push_back(num(0, 1e7));
    } else if (name == "pidfile") {
      o.pidfile = value;
    } else if (name == "log") {
      o.log = value;
    } else {
      throw UsageError("unknown option --" + name);
    }
  }
  if (o.if_a.empty() || o.if_b.empty()) throw UsageError("--side-a and --side-b are required");
  if (o.if_a == o.if_b) throw UsageError("--side-a and --side-b must differ");
  o.ab.delay_ns = ms(delay_ab.value_or(delay));
  o.ba.delay_ns = ms(delay_ba.value_or(delay));
  o.ab.loss = loss_ab.value_or(loss) / 100.0;
  o.ba.loss = loss_ba.value_or(loss) / 100.0;
  return o;
}

void print_stats(const char* dir, const DirStats& s) {
  std::fprintf(stderr,
               "vmp-linkemu %s: rx %llu pkts %llu B, tx %llu pkts %llu B, dropped loss %llu down "
               "%llu full %llu egress %llu\n",
               dir, static_cast<unsigned long long>(s.rx_packets.load()),
               static_cast<unsigned long long>(s.rx_bytes.load()),
               static_cast<unsigned long long>(s.tx_packets.load()),
               static_cast<unsigned long long>(s.tx_bytes.load()),
               static_cast<unsigned long long>(s.drop_loss.load()),
               static_cast<unsigned long long>(s.drop_down.load()),
               static_cast<unsigned long long>(s.drop_full.load()),
               static_cast<unsigned long long>(s.drop_egress.load()));
}

// A timed schedule entry: at `at_ns` (monotonic) set the link down or up.
struct Event {
  int64_t at_ns;
  bool down;
};

int run(const Options& o) {
  // Open everything that can fail on bad input before detaching, so errors reach the terminal.
  Fd port_a = open_port(o.if_a, o.sockbuf_bytes);
  Fd port_b = open_port(o.if_b, o.sockbuf_bytes);

  Fd ready_pipe;
  if (o.daemon) {
    std::array<int, 2> p{};
    if (::pipe2(p.data(), O_CLOEXEC) != 0) throw_errno("pipe");
    Fd rd(p[0]);
    Fd wr(p[1]);
    const pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork");
    if (pid > 0) {
      // Parent: exit 0 only once the child says it is forwarding.
      wr.reset();
      char c = 0;
      const ssize_t n = ::read(rd.get(), &c, 1);
      if (n == 1 && c == 'R') std::_Exit(0);
      std::fprintf(stderr, "vmp-linkemu: failed to start (see %s)\n",
                   o.log.empty() ? "--log" : o.log.c_str());
      std::_Exit(kExitFailure);
    }
    ::setsid();
    const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull >= 0) {
      ::dup2(devnull, STDIN_FILENO);
      ::close(devnull);
    }
    const std::string out = o.log.empty() ? "/dev/null" : o.log;
    const int logfd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (logfd < 0) throw_errno("open log " + out);
    ::dup2(logfd, STDOUT_FILENO);
    ::dup2(logfd, STDERR_FILENO);
    ::close(logfd);
    ready_pipe = std::move(wr);
  }
  if (!o.pidfile.empty()) {
    std::ofstream pf(o.pidfile, std::ios::trunc);
    pf << ::getpid() << '\n';
    if (!pf) throw_errno("write pidfile " + o.pidfile);
  }

  // Signals are taken synchronously through a signalfd; block them before any thread starts so
  // the workers inherit the mask and never see them.
  sigset_t mask;
  sigemptyset(&mask);
  for (int sig : {SIGUSR1, SIGUSR2, SIGHUP, SIGTERM, SIGINT}) sigaddset(&mask, sig);
  if (::pthread_sigmask(SIG_BLOCK, &mask, nullptr) != 0) throw_errno("sigmask");
  Fd sigfd(::signalfd(-1, &mask, SFD_CLOEXEC));
  if (sigfd.get() < 0) throw_errno("signalfd");
  Fd stop(::eventfd(0, EFD_CLOEXEC));
  if (stop.get() < 0) throw_errno("eventfd");

  // Tighter timer slack: the default 50 us is fine, but costs nothing to shrink.
  ::prctl(PR_SET_TIMERSLACK, 10'000UL, 0, 0, 0);

  LinkState link;
  link.down.store(o.start_down);
  DirStats stats_ab;
  DirStats stats_ba;
  Direction ab("A->B", port_a.get(), port_b.get(), stop.get(), o.ab, link, stats_ab, o.queue_bytes,
               o.seed);
  Direction ba("B->A", port_b.get(), port_a.get(), stop.get(), o.ba, link, stats_ba, o.queue_bytes,
               o.seed * 0x9E3779B97F4A7C15ULL + 1);

  const int64_t t0 = now_ns();
  std::vector<Event> schedule;
  for (double t : o.down_at) schedule.push_back({t0 + static_cast<int64_t>(t * 1e9), true});
  for (double t : o.up_at) schedule.push_back({t0 + static_cast<int64_t>(t * 1e9), false});
  std::sort(schedule.begin(), schedule.end(),
            [](const Event& x, const Event& y) { return x.at_ns < y.at_ns; });

  std::atomic<bool> failed{false};
  const auto guard = [&failed, &stop](Direction& d) {
    try {
      d.run();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "vmp-linkemu: %s\n", e.what());
      failed.store(true);
      const uint64_t one = 1;
      [[maybe_unused]] auto r = ::write(stop.get(), &one, sizeof one);
    }
  };
  std::jthread t_ab(guard, std::ref(ab));
  std::jthread t_ba(guard, std::ref(ba));

  std::fprintf(stderr,
               "vmp-linkemu: forwarding %s <-> %s, delay %.3f/%.3f ms, jitter %.3f ms, loss "
               "%.3f/%.3f %%, link %s\n",
               o.if_a.c_str(), o.if_b.c_str(), static_cast<double>(o.ab.delay_ns) / 1e6,
               static_cast<double>(o.ba.delay_ns) / 1e6, static_cast<double>(o.ab.jitter_ns) / 1e6,
               o.ab.loss * 100, o.ba.loss * 100, o.start_down ? "down" : "up");
  if (ready_pipe.get() >= 0) {
    const char r = 'R';
    [[maybe_unused]] auto n = ::write(ready_pipe.get(), &r, 1);
    ready_pipe.reset();
  }

  size_t next_event = 0;
  while (true) {
    const int64_t now = now_ns();
    for (; next_event < schedule.size() && schedule[next_event].at_ns <= now; ++next_event) {
      link.down.store(schedule[next_event].down);
      std::fprintf(stderr, "vmp-linkemu: schedule: link %s\n",
                   schedule[next_event].down ? "down" : "up");
    }
    std::array<pollfd, 2> fds{pollfd{sigfd.get(), POLLIN, 0}, pollfd{stop.get(), POLLIN, 0}};
    timespec ts{};
    const timespec* timeout = nullptr;
    if (next_event < schedule.size()) {
      ts = to_timespec(std::max<int64_t>(0, schedule[next_event].at_ns - now));
      timeout = &ts;
    }
    if (::ppoll(fds.data(), fds.size(), timeout, nullptr) < 0) {
      if (errno == EINTR) continue;
      throw_errno("ppoll");
    }
    if (fds[1].revents != 0) break;  // a worker failed
    if (fds[0].revents == 0) continue;
    signalfd_siginfo si{};
    if (::read(sigfd.get(), &si, sizeof si) != static_cast<ssize_t>(sizeof si)) continue;
    if (si.ssi_signo == SIGUSR1 || si.ssi_signo == SIGUSR2) {
      link.down.store(si.ssi_signo == SIGUSR1);
      std::fprintf(stderr, "vmp-linkemu: link %s\n", si.ssi_signo == SIGUSR1 ? "down" : "up");
    } else if (si.ssi_signo == SIGHUP) {
      print_stats("A->B", stats_ab);
      print_stats("B->A", stats_ba);
    } else {
      break;
    }
  }
  const uint64_t one = 1;
  [[maybe_unused]] auto w = ::write(stop.get(), &one, sizeof one);
  t_ab.join();
  t_ba.join();
  print_stats("A->B", stats_ab);
  print_stats("B->A", stats_ba);
  if (!o.pidfile.empty()) ::unlink(o.pidfile.c_str());
  return failed.load() ? kExitFailure : 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options opts;
  try {
    opts = parse(argc, argv);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "vmp-linkemu: %s (try --help)\n", e.what());
    return kExitUsage;
  }
  try {
    return run(opts);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vmp-linkemu: %s\n", e.what());
    return kExitFailure;
  }
}
