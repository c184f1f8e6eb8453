// Writes one frame (header + payload) to a leg's socket. A frame whose payload is in memory
// goes out with one gathered write; a frame that refers to stdin's file goes out as the header
// (sent with MSG_MORE so it shares a segment with the payload) followed by sendfile(2), which
// hands page-cache pages to TCP without copying them through user space.
//
// This is the one place a leg writes a frame's bytes, so the rate limits pace here: with a
// limit, the frame goes out in pieces of at most pacer.piece() bytes, each after its tokens
// (header and payload alike; plain, sealed and sendfile frames alike).
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <stdexcept>

#include "tx/out_frame.hpp"
#include "tx/rate_limiter.hpp"

namespace vmp {

// stdin's file failed us (it shrank, or reading it fails): not a network failure, and
// resending the frame on another leg would fail the same way.
struct SourceError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws std::system_error on a socket error, SourceError when stdin's file does.
asio::awaitable<void> send_frame(asio::ip::tcp::socket& socket, const OutFrame& frame,
                                 LinkPacer& pacer);

}  // namespace vmp
