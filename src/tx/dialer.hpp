// Opens one leg: resolve, connect (bounded by a timeout), tune the socket, exchange
// Hello/HelloReply. Shared by data legs and by the probes that check whether a dead link has
// come back.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "tx/link_planner.hpp"
#include "util/socket_tuning.hpp"
#include "wire/protocol.hpp"

namespace vmp {

struct DialResult {
  enum class Status { ok, unresolvable, unreachable, bad_reply };
  Status status = Status::unreachable;
  std::optional<asio::ip::tcp::socket> socket;
  wire::HelloReply reply;  // valid when status == ok (reply.code may still be a rejection)
  std::string error;       // for the log: "connect 127.0.0.1:8834: Connection refused"
};

asio::awaitable<DialResult> dial(const Target& target, const wire::Hello& hello,
                                 const SocketTuning& tuning, std::chrono::seconds timeout);

}  // namespace vmp
