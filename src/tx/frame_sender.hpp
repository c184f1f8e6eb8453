// Writes one frame (header + payload) to a leg's socket. A frame whose payload is in memory
// goes out with one gathered write; a frame that refers to stdin's file goes out as the header
// (sent with MSG_MORE so it shares a segment with the payload) followed by sendfile(2), which
// hands page-cache pages to TCP without copying them through user space.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <stdexcept>

#include "tx/out_frame.hpp"

namespace vmp {

// stdin's file failed us (it shrank, or reading it fails): not a network failure, and
// resending the frame on another leg would fail the same way.
struct SourceError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws std::system_error on a socket error, SourceError when stdin's file does.
asio::awaitable<void> send_frame(asio::ip::tcp::socket& socket, const OutFrame& frame);

}  // namespace vmp
