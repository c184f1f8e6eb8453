// Opens one leg: resolve, connect (bounded by a timeout), tune the socket, exchange
// Hello/HelloReply. Shared by data legs and by the probes that check whether a dead link has
// come back.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "crypto/cipher.hpp"
#include "crypto/frame_keys.hpp"
#include "crypto/leg_auth.hpp"
#include "tx/link_planner.hpp"
#include "util/socket_tuning.hpp"
#include "wire/protocol.hpp"

namespace vmp {

struct DialResult {
  enum class Status {
    ok,
    unresolvable,
    unreachable,
    bad_reply,
    wrong_key,  // the receiver's proof does not match our key: it holds another one
    forged,     // a keyed handshake message failed authentication (someone on the path)
  };
  Status status = Status::unreachable;
  std::optional<asio::ip::tcp::socket> socket;
  wire::HelloReply reply;  // valid when status == ok (reply.code may still be a rejection)
  std::string error;       // for the log: "connect 127.0.0.1:8834: Connection refused"
  std::optional<crypto::LegAuth> auth;  // a keyed leg: its control messages' tags
};

// A keyed transmitter's part in every leg's proofs (crypto/leg_auth.hpp).
struct DialKey {
  std::shared_ptr<const crypto::Secret> secret;
  crypto::Salt session_salt{};
  crypto::Cipher cipher = crypto::Cipher::aes_256_gcm;
};

// key: nullptr for an unkeyed session (then hello must not carry the keyed flag).
asio::awaitable<DialResult> dial(const Target& target, const wire::Hello& hello, const DialKey* key,
                                 const SocketTuning& tuning, std::chrono::seconds timeout);

}  // namespace vmp
