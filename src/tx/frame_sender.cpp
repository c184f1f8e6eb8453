#include "tx/frame_sender.hpp"

#include <sys/sendfile.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

namespace vmp {
namespace {

std::system_error errno_error() {
  return std::system_error(errno, std::generic_category());
}

// sendfile's errors that are about the file, not the socket.
bool is_file_error(int e) {
  return e == EIO || e == EBADF || e == EINVAL || e == EOVERFLOW || e == ESPIPE;
}

asio::awaitable<void> wait_writable(asio::ip::tcp::socket& socket) {
  co_await socket.async_wait(asio::ip::tcp::socket::wait_write, asio::use_awaitable);
}

asio::awaitable<void> send_header_more(
    asio::ip::tcp::socket& socket, const std::array<std::byte, wire::FrameHeader::kSize>& header) {
  std::size_t sent = 0;
  while (sent < header.size()) {
    const ssize_t n = ::send(socket.native_handle(), header.data() + sent, header.size() - sent,
                             MSG_MORE | MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<std::size_t>(n);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      co_await wait_writable(socket);
    } else if (errno != EINTR) {
      throw errno_error();
    }
  }
}

asio::awaitable<void> send_file_payload(asio::ip::tcp::socket& socket, const FileSpan& file,
                                        std::size_t length, LinkPacer& pacer) {
  auto offset = static_cast<off_t>(file.offset);
  std::size_t left = length;
  std::size_t granted = 0;  // bytes of `left` whose tokens we hold
  while (left > 0) {
    if (granted == 0) {
      granted = std::min(left, pacer.piece());
      co_await pacer.acquire(granted);
    }
    const ssize_t n = ::sendfile(socket.native_handle(), file.fd, &offset, granted);
    if (n > 0) {
      left -= static_cast<std::size_t>(n);
      granted -= static_cast<std::size_t>(n);
    } else if (n == 0) {
      throw SourceError("stdin (a file) became shorter while it was being sent");
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      co_await wait_writable(socket);
    } else if (is_file_error(errno)) {
      throw SourceError(std::string("reading stdin: ") + std::strerror(errno));
    } else if (errno != EINTR) {
      throw errno_error();
    }
  }
}

using Gather = std::array<asio::const_buffer, 3>;  // header, payload, tag (or empty)

// Writes the gathered buffers: in one write without a limit, else in paced pieces.
asio::awaitable<void> write_paced(asio::ip::tcp::socket& socket, const Gather& bufs,
                                  LinkPacer& pacer) {
  if (!pacer.limited()) {
    co_await asio::async_write(socket, bufs, asio::use_awaitable);
    co_return;
  }
  const std::size_t total = asio::buffer_size(bufs);
  for (std::size_t done = 0; done < total;) {
    const std::size_t n = std::min(pacer.piece(), total - done);
    co_await pacer.acquire(n);
    // The bytes [done, done + n) of the gathered sequence.
    Gather part{};
    std::size_t skip = done;
    std::size_t want = n;
    std::size_t used = 0;
    for (const auto& b : bufs) {
      if (want == 0) break;
      if (skip >= b.size()) {
        skip -= b.size();
        continue;
      }
      part[used] = asio::buffer(b + skip, std::min(b.size() - skip, want));
      want -= part[used++].size();
      skip = 0;
    }
    co_await asio::async_write(socket, part, asio::use_awaitable);
    done += n;
  }
}

}  // namespace

asio::awaitable<void> send_frame(asio::ip::tcp::socket& socket, const OutFrame& frame,
                                 LinkPacer& pacer) {
  const auto header = frame.header.encode();
  if (frame.header.has(wire::FrameFlag::sealed)) {
    const Gather bufs{
        asio::buffer(header),
        asio::buffer(frame.payload.data(), frame.header.payload_on_wire() - wire::kTagSize),
        asio::buffer(frame.tag)};
    co_await write_paced(socket, bufs, pacer);
    co_return;
  }
  if (!frame.file) {
    const Gather bufs{asio::buffer(header),
                      asio::buffer(frame.payload.data(), frame.header.payload_on_wire()),
                      asio::const_buffer{}};
    co_await write_paced(socket, bufs, pacer);
    co_return;
  }
  // Raw non-blocking calls beside Asio's reactor, as in Asio's own sendfile example.
  if (!socket.native_non_blocking()) socket.native_non_blocking(true);
  co_await pacer.acquire(header.size());  // a few bytes, but on the wire like the rest
  co_await send_header_more(socket, header);
  co_await send_file_payload(socket, *frame.file, frame.header.length, pacer);
}

}  // namespace vmp
