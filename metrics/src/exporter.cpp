#include "vmp/metrics/exporter.hpp"

#include <CivetServer.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <prometheus/exposer.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "vmp/metrics/bind_address.hpp"
#include "vmp/metrics/stats_collector.hpp"

namespace vmp::metrics {
namespace {

// Two threads: one for the Prometheus server, one spare for a person with curl.
constexpr std::size_t kServerThreads = 2;

struct Resolved {
  sockaddr_storage addr{};
  socklen_t len = 0;
  int family = AF_UNSPEC;
  std::string host;  // numeric
};

std::string lower_first(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

Resolved resolve(const BindAddress& b) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(b.port);
  if (int rc = getaddrinfo(b.host.c_str(), port.c_str(), &hints, &res); rc != 0 || !res) {
    throw std::runtime_error("metrics: cannot resolve '" + b.host +
                             "': " + lower_first(gai_strerror(rc)));
  }
  // Prefer an address family the HTTP server can listen on ("localhost" may list ::1 first).
  const addrinfo* pick = res;
  for (const addrinfo* a = res; a; a = a->ai_next) {
    if (a->ai_family == AF_INET || (a->ai_family == AF_INET6 && mg_check_feature(8) != 0)) {
      pick = a;
      break;
    }
  }
  Resolved r;
  std::memcpy(&r.addr, pick->ai_addr, pick->ai_addrlen);
  r.len = pick->ai_addrlen;
  r.family = pick->ai_family;
  freeaddrinfo(res);
  char host[NI_MAXHOST];
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&r.addr), r.len, host, sizeof host, nullptr, 0,
                  NI_NUMERICHOST) != 0) {
    throw std::runtime_error("metrics: cannot resolve '" + b.host + "'");
  }
  r.host = host;
  return r;
}

std::string with_port(const Resolved& r, int port) {
  return (r.family == AF_INET6 ? "[" + r.host + "]" : r.host) + ":" + std::to_string(port);
}

// civetweb reports a failed bind only as "null context ... Possible problem binding to port";
// binding a probe socket the same way (SO_REUSEADDR, like civetweb) recovers the errno.
std::string why_bind_fails(const Resolved& r) {
  int fd = ::socket(r.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return lower_first(std::strerror(errno));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  std::string why;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&r.addr), r.len) != 0 || ::listen(fd, 1) != 0) {
    why = lower_first(std::strerror(errno));
  }
  ::close(fd);
  return why;
}

// civetweb's listener thread polls with a 2 s timeout and only looks at its stop flag between
// polls, so destroying an idle server takes up to 2 s -- at the end of every transfer. While
// the server stops, this pokes the listener with a throw-away loopback connection every 20 ms,
// which wakes the poll at once; stopping then takes milliseconds.
class ListenerPoker {
 public:
  ListenerPoker(const Resolved& r, int port) : target_(loopback_of(r, port)) {
    thread_ = std::thread([this] { run(); });
  }
  ~ListenerPoker() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  ListenerPoker(const ListenerPoker&) = delete;
  ListenerPoker& operator=(const ListenerPoker&) = delete;

 private:
  static Resolved loopback_of(const Resolved& r, int port) {
    Resolved t = r;
    if (r.family == AF_INET6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&t.addr);
      if (IN6_IS_ADDR_UNSPECIFIED(&a->sin6_addr)) a->sin6_addr = in6addr_loopback;
      a->sin6_port = htons(static_cast<std::uint16_t>(port));
    } else {
      auto* a = reinterpret_cast<sockaddr_in*>(&t.addr);
      if (a->sin_addr.s_addr == htonl(INADDR_ANY)) a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a->sin_port = htons(static_cast<std::uint16_t>(port));
    }
    return t;
  }

  void run() {
    std::unique_lock lock(mutex_);
    while (!done_) {
      int fd = ::socket(target_.family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (fd >= 0) {
        ::connect(fd, reinterpret_cast<const sockaddr*>(&target_.addr), target_.len);
        ::close(fd);
      }
      wake_.wait_for(lock, std::chrono::milliseconds(20), [this] { return done_; });
    }
  }

  Resolved target_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::thread thread_;
};

// civetweb prints its own errors to stderr; ours are the one line thrown from the constructor.
int quiet_log(const mg_connection*, const char*) {
  return 1;
}

}  // namespace

struct Exporter::Impl {
  Impl(const Resolved& r, int port, std::vector<const StatsSource*> sources)
      : resolved(r),
        collector(std::make_shared<StatsCollector>(std::move(sources))),
        exposer(make_exposer(with_port(r, port))),
        port_in_use(exposer->GetListeningPorts().at(0)),
        endpoint(with_port(r, port_in_use)) {
    exposer->RegisterCollectable(collector);
  }

  ~Impl() {
    ListenerPoker poker(resolved, port_in_use);
    exposer.reset();
  }

  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  static std::unique_ptr<prometheus::Exposer> make_exposer(const std::string& listen) {
    CivetCallbacks callbacks;
    callbacks.log_message = quiet_log;
    return std::make_unique<prometheus::Exposer>(listen, kServerThreads, &callbacks);
  }

  Resolved resolved;
  // Declared before the exposer so that the server threads stop before the collector goes.
  std::shared_ptr<StatsCollector> collector;
  std::unique_ptr<prometheus::Exposer> exposer;
  int port_in_use;
  std::string endpoint;
};

Exporter::Exporter(const std::string& bind, const StatsSource& source)
    : Exporter(bind, std::vector<const StatsSource*>{&source}) {}

Exporter::Exporter(const std::string& bind, std::vector<const StatsSource*> sources) {
  const BindAddress b = parse_bind_address(bind);
  const Resolved r = resolve(b);
  if (r.family == AF_INET6 && mg_check_feature(8) == 0) {
    throw std::runtime_error("metrics: cannot listen on " + with_port(r, b.port) +
                             ": the HTTP server library (civetweb) was built without IPv6");
  }
  try {
    impl_ = std::make_unique<Impl>(r, b.port, std::move(sources));
  } catch (const std::exception& e) {
    std::string why = why_bind_fails(r);
    if (why.empty()) why = e.what();
    throw std::runtime_error("metrics: cannot listen on " + with_port(r, b.port) + ": " + why);
  }
}

Exporter::~Exporter() = default;

std::string Exporter::endpoint() const {
  return impl_->endpoint;
}

}  // namespace vmp::metrics
