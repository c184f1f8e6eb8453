// The receiver's side of a keyed leg's proofs (crypto/leg_auth.hpp), after a keyed Hello:
// read the transmitter's KeyOffer, answer `authenticate` with a fresh nonce and our proof,
// read the transmitter's proof and check it. Nothing about the session is said or decided
// before that proof holds: a stranger without the key gets no further than here.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <optional>
#include <span>
#include <string>

#include "crypto/cipher.hpp"
#include "crypto/leg_auth.hpp"
#include "crypto/secret.hpp"
#include "wire/protocol.hpp"

namespace vmp {

struct ProvenLeg {
  crypto::LegAuth auth;  // tags our replies and acks, checks the transmitter's cancel/end
  wire::KeyOffer offer;
  crypto::Cipher cipher;
};

struct KeyCheck {
  std::optional<ProvenLeg> leg;  // set when the transmitter proved the key
  std::string failure;           // else why not, for the log
  // It got our challenge and sent a wrong proof, or none (a transmitter whose key differs
  // closes when our proof fails): an authentication failure, counted.
  bool failed_proof = false;
};

// `deadline` bounds the whole exchange (the receiver's handshake timeout).
asio::awaitable<KeyCheck> check_key(asio::ip::tcp::socket& socket, const crypto::Secret& key,
                                    std::span<const std::byte, wire::Hello::kSize> hello,
                                    asio::steady_timer& deadline);

}  // namespace vmp
