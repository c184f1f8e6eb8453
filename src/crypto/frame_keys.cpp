#include "crypto/frame_keys.hpp"

#include <string>

#include "crypto/primitives.hpp"

namespace vmp::crypto {
namespace {

constexpr std::size_t kCachedEpochs = 4;

Nonce nonce_of(std::uint64_t seq) {
  Nonce n{};
  for (int i = 0; i < 8; ++i) n[11 - i] = static_cast<std::byte>(seq >> (8 * i));
  return n;
}

std::uint64_t first_word(const Mac& mac) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | std::to_integer<std::uint64_t>(mac[i]);
  return v;
}

Key256 derive_mask_key(const Secret& key, const Salt& salt) {
  return hkdf(key.bytes(), salt, "viamillipede 4 checksum mask");
}

}  // namespace

FrameKeys::FrameKeys(const Secret& key, const Salt& session_salt, Cipher cipher)
    : key_(key),
      salt_(session_salt),
      cipher_(cipher),
      mask_key_(derive_mask_key(key, session_salt)),
      digest_mask_(first_word(hmac(mask_key_, {as_bytes("stream digest")}))) {}

std::uint64_t FrameKeys::checksum_mask(std::uint64_t seq) const {
  std::array<std::byte, 8> n{};
  for (int i = 0; i < 8; ++i) n[7 - i] = static_cast<std::byte>(seq >> (8 * i));
  return first_word(hmac(mask_key_, {as_bytes("frame checksum"), n}));
}

Key256 FrameKeys::key_for(std::uint64_t seq) const {
  const auto epoch = seq / kFramesPerKey;
  std::lock_guard lock(mutex_);
  for (const auto& [e, key] : cache_)
    if (e == epoch) return key;
  auto key = hkdf(
      key_.bytes(), salt_,
      "viamillipede 4 frames " + std::string(describe(cipher_)) + " key " + std::to_string(epoch));
  if (cache_.size() >= kCachedEpochs) cache_.erase(cache_.begin());
  cache_.emplace_back(epoch, key);
  return key;
}

void FrameKeys::seal(std::uint64_t seq, std::span<const std::byte> aad, std::span<std::byte> data,
                     Tag tag) const {
  aead_seal(cipher_, key_for(seq), nonce_of(seq), aad, data, tag);
}

bool FrameKeys::open(std::uint64_t seq, std::span<const std::byte> aad, std::span<std::byte> data,
                     ConstTag tag) const {
  return aead_open(cipher_, key_for(seq), nonce_of(seq), aad, data, tag);
}

AeadOpener FrameKeys::opener(std::uint64_t seq, std::span<const std::byte> aad) const {
  return AeadOpener(cipher_, key_for(seq), nonce_of(seq), aad);
}

}  // namespace vmp::crypto
