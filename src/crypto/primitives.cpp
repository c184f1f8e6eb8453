#include "crypto/primitives.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <memory>
#include <stdexcept>
#include <vector>

namespace vmp::crypto {
namespace {

const unsigned char* u8(Bytes b) {
  return reinterpret_cast<const unsigned char*>(b.data());
}

[[noreturn]] void fail(const char* what) {
  throw std::runtime_error(std::string("OpenSSL: ") + what + " failed");
}

}  // namespace

Secret::~Secret() {
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
}

Key256::~Key256() {
  OPENSSL_cleanse(bytes.data(), bytes.size());
}

void random_bytes(std::span<std::byte> out) {
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size())) != 1)
    fail("RAND_bytes");
}

Key256 hkdf(Bytes ikm, Bytes salt, std::string_view info) {
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr), &EVP_PKEY_CTX_free);
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_hkdf_md(ctx.get(), EVP_sha256()) <= 0 ||
      EVP_PKEY_CTX_set1_hkdf_salt(ctx.get(), u8(salt), static_cast<int>(salt.size())) <= 0 ||
      EVP_PKEY_CTX_set1_hkdf_key(ctx.get(), u8(ikm), static_cast<int>(ikm.size())) <= 0 ||
      EVP_PKEY_CTX_add1_hkdf_info(ctx.get(), u8(as_bytes(info)), static_cast<int>(info.size())) <=
          0)
    fail("HKDF setup");
  Key256 out;
  std::size_t len = out.bytes.size();
  if (EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(out.bytes.data()), &len) <= 0 ||
      len != out.bytes.size())
    fail("HKDF");
  return out;
}

Mac hmac(const Key256& key, std::initializer_list<Bytes> parts) {
  std::vector<unsigned char> message;
  for (auto part : parts) message.insert(message.end(), u8(part), u8(part) + part.size());
  Mac out{};
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.bytes.data(), static_cast<int>(key.bytes.size()), message.data(),
            message.size(), reinterpret_cast<unsigned char*>(out.data()), &len) ||
      len != out.size())
    fail("HMAC");
  return out;
}

bool equal_constant_time(Bytes a, Bytes b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace vmp::crypto
