// Key material: wiped from memory when it goes (OPENSSL_cleanse, which the compiler may not
// optimise away), never printed. A Secret is the pre-shared key of --key-file or a key
// derived from it.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <vector>

namespace vmp::crypto {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::span<const std::byte> bytes) : bytes_(bytes.begin(), bytes.end()) {}
  Secret(const Secret&) = default;
  Secret& operator=(const Secret&) = default;
  Secret(Secret&&) noexcept = default;
  Secret& operator=(Secret&&) noexcept = default;
  ~Secret();

  std::span<const std::byte> bytes() const { return bytes_; }
  std::size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }

 private:
  std::vector<std::byte> bytes_;
};

// A 256-bit derived key (HKDF output, HMAC key, AEAD key).
struct Key256 {
  std::array<std::byte, 32> bytes{};
  Key256() = default;
  Key256(const Key256&) = default;
  Key256& operator=(const Key256&) = default;
  ~Key256();
};

}  // namespace vmp::crypto
