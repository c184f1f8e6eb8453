// Seals and opens the data frames of one keyed session (transmitter to receiver). The key of
// frame `seq` comes from HKDF over the pre-shared key, salted with the transmitter's random
// session salt; it changes every kFramesPerKey frames (at most 64 GiB under one key, well
// inside AES-GCM's usage limits), so nothing ever needs a rekey message. The nonce is the
// sequence number: unique within a key across every leg, and a resent frame is the same
// ciphertext. The caller passes the frame header as associated data, so a sealed frame cannot
// be moved to another place in the stream, cut, or marked last.
// With checksums, the frame checksum (XXH3 of the plaintext: unkeyed, so it would let an
// observer confirm a guess of a frame) travels masked with a pseudorandom value of the frame's
// sequence number, and the stream digest exchanged at the end with one of the session.
// Thread-safe: the workers of the sidechain share one.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <span>
#include <utility>
#include <vector>

#include "crypto/cipher.hpp"
#include "crypto/secret.hpp"

namespace vmp::crypto {

using Salt = std::array<std::byte, 32>;

class FrameKeys {
 public:
  static constexpr std::uint64_t kFramesPerKey = 4096;

  FrameKeys(const Secret& key, const Salt& session_salt, Cipher cipher);

  Cipher cipher() const { return cipher_; }
  // XORed onto frame seq's checksum on the wire (the same for a resent frame).
  std::uint64_t checksum_mask(std::uint64_t seq) const;
  // XORed onto the stream digest wherever it crosses the wire (completion ack and reply, end
  // frame): sent once per session, so it hides the digest like a one-time pad.
  std::uint64_t digest_mask() const { return digest_mask_; }
  // In place; the tag goes beside the data.
  void seal(std::uint64_t seq, std::span<const std::byte> aad, std::span<std::byte> data,
            Tag tag) const;
  // In place. False: forged, damaged, or sealed under another session.
  bool open(std::uint64_t seq, std::span<const std::byte> aad, std::span<std::byte> data,
            ConstTag tag) const;
  // open() in pieces, as the frame arrives (see AeadOpener).
  AeadOpener opener(std::uint64_t seq, std::span<const std::byte> aad) const;

 private:
  Key256 key_for(std::uint64_t seq) const;

  const Secret key_;
  const Salt salt_;
  const Cipher cipher_;
  const Key256 mask_key_;
  const std::uint64_t digest_mask_;
  mutable std::mutex mutex_;
  // The last few epochs' keys: workers seal neighbouring frames, which share an epoch.
  mutable std::vector<std::pair<std::uint64_t, Key256>> cache_;
};

}  // namespace vmp::crypto
