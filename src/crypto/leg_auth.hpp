// How the two ends of one leg prove to each other that they hold the pre-shared key, and how
// the control messages on that leg are authenticated afterwards.
//
// The transcript is everything both sides said before the proofs: the transmitter's Hello and
// KeyOffer (session salt, leg nonce, cipher) and the receiver's nonce. Each side's proof is
// HMAC-SHA256 under a key derived from the pre-shared key, over its role and the transcript:
// fresh random values from both sides make every proof new (a recorded one is worth nothing),
// the role label keeps one side's proof from serving as the other's, and HMAC tells an
// observer nothing about the key. The receiver proves first; a transmitter sends its proof
// only after checking the receiver's, so a fake receiver learns nothing it could replay.
//
// Control messages (acks, aborts, the reply to the Hello; cancel and end frames) carry a
// 16-byte tag: HMAC-SHA256 under a key of this leg and direction (HKDF over the pre-shared
// key, salted with the transcript) over a message counter and the message. A forged message,
// one replayed on this leg or taken from another leg or session fails.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "crypto/primitives.hpp"
#include "crypto/secret.hpp"

namespace vmp::crypto {

inline constexpr std::size_t kControlTagBytes = 16;
using ControlTag = std::array<std::byte, kControlTagBytes>;

Mac receiver_proof(const Secret& key, Bytes transcript);
Mac transmitter_proof(const Secret& key, Bytes transcript);

// One direction of one leg: each message gets the next counter.
class MessageAuth {
 public:
  explicit MessageAuth(const Key256& key) : key_(key) {}
  ControlTag tag(Bytes message);
  bool verify(Bytes message, Bytes tag);

 private:
  ControlTag tag_at(std::uint64_t counter, Bytes message) const;
  Key256 key_;
  std::uint64_t counter_ = 0;
};

enum class Role { transmitter, receiver };

struct LegAuth {
  MessageAuth outgoing;
  MessageAuth incoming;
};
LegAuth leg_auth(const Secret& key, Bytes transcript, Role role);

}  // namespace vmp::crypto
