// Seals and opens the data frames of one keyed session (transmitter to receiver). The key of
// frame `seq` comes from HKDF over the pre-shared key, salted with the transmitter's random
// session salt; it changes every kFramesPerKey frames (at most 64 GiB under one key, well
// inside AES-GCM's usage limits), so nothing ever needs a rekey message. The nonce is the
// sequence number: unique within a key across every leg, and a resent frame is the same
// ciphertext. The caller passes the frame header as associated data, so a sealed frame cannot
// be moved to another place in the stream, cut, or marked last.
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

  FrameKeys(const Secret& key, const Salt& session_salt, Cipher cipher)
      : key_(key), salt_(session_salt), cipher_(cipher) {}

  Cipher cipher() const { return cipher_; }
  // In place; the tag goes beside the data.
  void seal(std::uint64_t seq, std::span<const std::byte> aad, std::span<std::byte> data,
            Tag tag) const;
  // In place. False: forged, damaged, or sealed under another session.
  bool open(std::uint64_t seq, std::span<const std::byte> aad, std::span<std::byte> data,
            ConstTag tag) const;

 private:
  Key256 key_for(std::uint64_t seq) const;

  const Secret key_;
  const Salt salt_;
  const Cipher cipher_;
  mutable std::mutex mutex_;
  // The last few epochs' keys: workers seal neighbouring frames, which share an epoch.
  mutable std::vector<std::pair<std::uint64_t, Key256>> cache_;
};

}  // namespace vmp::crypto
