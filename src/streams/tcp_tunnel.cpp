#include "streams/tcp_tunnel.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace vmp::streams {
namespace {

std::string errno_text() {
  return std::strerror(errno);
}

void no_delay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

struct AddrInfo {
  addrinfo* list = nullptr;
  ~AddrInfo() {
    if (list) ::freeaddrinfo(list);
  }
};

// One connect attempt within `timeout`; errno-style text on failure.
std::variant<UniqueFd, std::string> connect_one(const addrinfo& a, std::chrono::seconds timeout) {
  UniqueFd fd(::socket(a.ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, a.ai_protocol));
  if (!fd) return errno_text();
  if (::connect(fd.get(), a.ai_addr, a.ai_addrlen) != 0) {
    if (errno != EINPROGRESS) return errno_text();
    pollfd p{fd.get(), POLLOUT, 0};
    int n = 0;
    do {
      n = ::poll(&p, 1, static_cast<int>(timeout.count() * 1000));
    } while (n < 0 && errno == EINTR);
    if (n == 0) return std::string("timed out after ") + std::to_string(timeout.count()) + " s";
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return std::string(std::strerror(err));
  }
  // Back to blocking: the engines read and write it with plain blocking calls and poll().
  ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  no_delay(fd.get());
  return fd;
}

}  // namespace

TunnelListener::TunnelListener(const std::string& address, std::uint16_t port) {
  endpoint_ = (address.find(':') != std::string::npos ? "[" + address + "]" : address) + ":" +
              std::to_string(port);
  const std::string prefix = "terminate: cannot listen on " + endpoint_ + ": ";
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  AddrInfo res;
  if (int rc = ::getaddrinfo(address.c_str(), std::to_string(port).c_str(), &hints, &res.list);
      rc != 0 || !res.list)
    throw std::runtime_error(prefix + ::gai_strerror(rc));
  const addrinfo& a = *res.list;
  fd_.reset(::socket(a.ai_family, SOCK_STREAM | SOCK_CLOEXEC, a.ai_protocol));
  if (!fd_) throw std::runtime_error(prefix + errno_text());
  int one = 1;
  ::setsockopt(fd_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd_.get(), a.ai_addr, a.ai_addrlen) != 0 || ::listen(fd_.get(), 1) != 0)
    throw std::runtime_error(prefix + errno_text());
}

UniqueFd TunnelListener::accept_one() {
  for (;;) {
    UniqueFd client(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (client) {
      fd_.reset();  // one connection per run
      no_delay(client.get());
      return client;
    }
    if (errno == EINTR || errno == ECONNABORTED) continue;
    throw std::runtime_error("terminate: accepting on " + endpoint_ + ": " + errno_text());
  }
}

std::variant<UniqueFd, std::string> dial_tunnel(const Target& target,
                                                std::chrono::seconds timeout) {
  const std::string prefix = "initiate: cannot connect to " + target.label() + ": ";
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  AddrInfo res;
  if (int rc = ::getaddrinfo(target.host.c_str(), std::to_string(target.port).c_str(), &hints,
                             &res.list);
      rc != 0 || !res.list)
    return prefix + ::gai_strerror(rc);
  std::string why;
  for (const addrinfo* a = res.list; a; a = a->ai_next) {
    auto fd = connect_one(*a, timeout);
    if (auto* ok = std::get_if<UniqueFd>(&fd)) return std::move(*ok);
    why = std::get<std::string>(fd);
  }
  return prefix + why;
}

std::string pump_to_socket(int pipe_fd, int socket_fd, const std::string& label) {
  bool use_splice = true;
  std::vector<char> buffer;
  for (;;) {
    ssize_t n = 0;
    if (use_splice) {
      n = ::splice(pipe_fd, nullptr, socket_fd, nullptr, 1 << 20, SPLICE_F_MOVE);
      if (n < 0 && errno == EINVAL) {
        use_splice = false;
        continue;
      }
    } else {
      if (buffer.empty()) buffer.resize(1 << 16);
      n = ::read(pipe_fd, buffer.data(), buffer.size());
      for (ssize_t done = 0; n > 0 && done < n;) {
        const ssize_t w =
            ::write(socket_fd, buffer.data() + done, static_cast<std::size_t>(n - done));
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return "writing to " + label + ": " + errno_text();
        done += w;
      }
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return "writing to " + label + ": " + errno_text();
    if (n == 0) break;
  }
  ::shutdown(socket_fd, SHUT_WR);
  return "";
}

void drain(int fd) {
  std::vector<char> sink(1 << 16);
  for (;;) {
    const ssize_t n = ::read(fd, sink.data(), sink.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
  }
}

}  // namespace vmp::streams
