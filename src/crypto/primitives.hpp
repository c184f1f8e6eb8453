// The few OpenSSL primitives keyed sessions are built from, as plain functions: random bytes,
// HKDF-SHA256, HMAC-SHA256 and a constant-time comparison. Each throws std::runtime_error
// when OpenSSL fails (it does not, short of running out of memory).
#pragma once

#include <array>
#include <cstddef>
#include <initializer_list>
#include <span>
#include <string_view>

#include "crypto/secret.hpp"

namespace vmp::crypto {

using Bytes = std::span<const std::byte>;
using Mac = std::array<std::byte, 32>;

void random_bytes(std::span<std::byte> out);
// HKDF (RFC 5869) with SHA-256: extract with `salt` (must not be empty), expand with `info`.
Key256 hkdf(Bytes ikm, Bytes salt, std::string_view info);
// HMAC-SHA256 over the concatenation of `parts`.
Mac hmac(const Key256& key, std::initializer_list<Bytes> parts);
bool equal_constant_time(Bytes a, Bytes b);

inline Bytes as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

}  // namespace vmp::crypto
