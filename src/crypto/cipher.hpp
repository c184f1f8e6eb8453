// The AEADs a keyed session may seal frames with, both from OpenSSL's EVP interface with a
// 256-bit key, a 96-bit nonce and a 128-bit tag. AES-256-GCM is the default where the CPU
// has AES instructions (several GB/s per core); ChaCha20-Poly1305 elsewhere (it is faster in
// software), or when chosen with --cipher.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "crypto/secret.hpp"

namespace vmp::crypto {

enum class Cipher : std::uint8_t { aes_256_gcm = 1, chacha20_poly1305 = 2 };

inline constexpr std::size_t kTagBytes = 16;
using Nonce = std::array<std::byte, 12>;

std::string_view describe(Cipher c);  // "aes-256-gcm", "chacha20-poly1305"
// "auto" is the best for this CPU.
std::optional<Cipher> parse_cipher(std::string_view name);
std::optional<Cipher> cipher_from_wire(std::uint8_t value);
Cipher best_cipher_for_this_cpu();

using Tag = std::span<std::byte, kTagBytes>;
using ConstTag = std::span<const std::byte, kTagBytes>;

// In place (a second buffer would cost a pass over memory per frame): encrypts data and
// writes the tag. Throws only when OpenSSL fails.
void aead_seal(Cipher c, const Key256& key, const Nonce& nonce, std::span<const std::byte> aad,
               std::span<std::byte> data, Tag tag);
// In place: decrypts data; false when the tag does not match (data then holds nothing usable).
bool aead_open(Cipher c, const Key256& key, const Nonce& nonce, std::span<const std::byte> aad,
               std::span<std::byte> data, ConstTag tag);

// aead_open in pieces, in place, for a message that arrives in pieces: each piece is decrypted
// while it is still in the cache from being received (decrypting a whole 1 MiB frame after it
// arrived read it from memory a second time). Nothing decrypted may be used before finish()
// returned true.
class AeadOpener {
 public:
  AeadOpener(Cipher c, const Key256& key, const Nonce& nonce, std::span<const std::byte> aad);
  AeadOpener(AeadOpener&&) noexcept;
  AeadOpener& operator=(AeadOpener&&) noexcept;
  ~AeadOpener();

  void update(std::span<std::byte> data);  // the next bytes of the message, in order
  bool finish(ConstTag tag);               // false: forged or damaged; once only

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

}  // namespace vmp::crypto
