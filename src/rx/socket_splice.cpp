#include "rx/socket_splice.hpp"

#include <fcntl.h>
#include <poll.h>

#include <asio/error.hpp>
#include <asio/use_awaitable.hpp>
#include <cerrno>
#include <system_error>

namespace vmp {
namespace {

// A pipe with no free slot: TCP pages may fill slots only partly, so "full" comes before
// `capacity` bytes and only poll() knows.
bool pipe_full(const Pipe& pipe) {
  pollfd p{pipe.write_fd(), POLLOUT, 0};
  return ::poll(&p, 1, 0) == 0;
}

}  // namespace

asio::awaitable<std::size_t> splice_from_socket(asio::ip::tcp::socket& socket, Pipe& pipe,
                                                std::size_t len) {
  if (!socket.native_non_blocking()) socket.native_non_blocking(true);
  std::size_t moved = 0;
  while (moved < len) {
    const ssize_t n = ::splice(socket.native_handle(), nullptr, pipe.write_fd(), nullptr,
                               len - moved, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n > 0) {
      moved += static_cast<std::size_t>(n);
      pipe.held += static_cast<std::size_t>(n);
    } else if (n == 0) {
      throw std::system_error(asio::error::eof);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      // Nothing received yet, or no room left in the pipe.
      if (pipe_full(pipe)) break;
      co_await socket.async_wait(asio::ip::tcp::socket::wait_read, asio::use_awaitable);
    } else if (errno != EINTR) {
      throw std::system_error(errno, std::generic_category());
    }
  }
  co_return moved;
}

}  // namespace vmp
