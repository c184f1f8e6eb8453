// Moves a frame's payload from a leg's socket into a pipe with splice(2): the kernel hands
// over the received pages instead of copying them to user space (see util/pipe_pool.hpp).
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <cstddef>

#include "util/pipe_pool.hpp"

namespace vmp {

// Moves up to `len` bytes; returns how many. Fewer than `len` only when the pipe is full: the
// caller reads the rest of the frame the ordinary way. Throws std::system_error when the
// connection ends or fails.
asio::awaitable<std::size_t> splice_from_socket(asio::ip::tcp::socket& socket, Pipe& pipe,
                                                std::size_t len);

}  // namespace vmp
