#include "crypto/cipher.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#elif defined(__aarch64__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

namespace vmp::crypto {
namespace {

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const EVP_CIPHER* evp(Cipher c) {
  return c == Cipher::aes_256_gcm ? EVP_aes_256_gcm() : EVP_chacha20_poly1305();
}

const unsigned char* u8(std::span<const std::byte> b) {
  return reinterpret_cast<const unsigned char*>(b.data());
}
unsigned char* u8(std::span<std::byte> b) {
  return reinterpret_cast<unsigned char*>(b.data());
}
const unsigned char* u8(const Key256& k) {
  return reinterpret_cast<const unsigned char*>(k.bytes.data());
}
const unsigned char* u8(const Nonce& n) {
  return reinterpret_cast<const unsigned char*>(n.data());
}

[[noreturn]] void fail(const char* what) {
  throw std::runtime_error(std::string("OpenSSL: ") + what + " failed");
}

CipherCtx new_ctx() {
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!ctx) fail("EVP_CIPHER_CTX_new");
  return ctx;
}

}  // namespace

std::string_view describe(Cipher c) {
  return c == Cipher::aes_256_gcm ? "aes-256-gcm" : "chacha20-poly1305";
}

std::optional<Cipher> parse_cipher(std::string_view name) {
  if (name == "auto") return best_cipher_for_this_cpu();
  if (name == "aes-256-gcm") return Cipher::aes_256_gcm;
  if (name == "chacha20-poly1305") return Cipher::chacha20_poly1305;
  return std::nullopt;
}

std::optional<Cipher> cipher_from_wire(std::uint8_t value) {
  if (value == static_cast<std::uint8_t>(Cipher::aes_256_gcm)) return Cipher::aes_256_gcm;
  if (value == static_cast<std::uint8_t>(Cipher::chacha20_poly1305))
    return Cipher::chacha20_poly1305;
  return std::nullopt;
}

Cipher best_cipher_for_this_cpu() {
  bool aes = false;
#if defined(__x86_64__) || defined(__i386__)
  unsigned a = 0, b = 0, c = 0, d = 0;
  aes = __get_cpuid(1, &a, &b, &c, &d) != 0 && (c & bit_AES) != 0 && (c & bit_PCLMUL) != 0;
#elif defined(__aarch64__)
  aes = (getauxval(AT_HWCAP) & HWCAP_AES) != 0 && (getauxval(AT_HWCAP) & HWCAP_PMULL) != 0;
#endif
  return aes ? Cipher::aes_256_gcm : Cipher::chacha20_poly1305;
}

void aead_seal(Cipher c, const Key256& key, const Nonce& nonce, std::span<const std::byte> aad,
               std::span<std::byte> data, Tag tag) {
  auto ctx = new_ctx();
  int len = 0;
  int last = 0;
  if (EVP_EncryptInit_ex(ctx.get(), evp(c), nullptr, u8(key), u8(nonce)) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, u8(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), u8(data), &len, u8(data), static_cast<int>(data.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), u8(data) + len, &last) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, kTagBytes,
                          u8(std::span<std::byte>(tag))) != 1)
    fail("AEAD seal");
}

bool aead_open(Cipher c, const Key256& key, const Nonce& nonce, std::span<const std::byte> aad,
               std::span<std::byte> data, ConstTag tag) {
  AeadOpener opener(c, key, nonce, aad);
  opener.update(data);
  return opener.finish(tag);
}

struct AeadOpener::Ctx {
  CipherCtx evp = new_ctx();
};

AeadOpener::AeadOpener(Cipher c, const Key256& key, const Nonce& nonce,
                       std::span<const std::byte> aad)
    : ctx_(std::make_unique<Ctx>()) {
  int len = 0;
  if (EVP_DecryptInit_ex(ctx_->evp.get(), evp(c), nullptr, u8(key), u8(nonce)) != 1 ||
      EVP_DecryptUpdate(ctx_->evp.get(), nullptr, &len, u8(aad), static_cast<int>(aad.size())) != 1)
    fail("AEAD open");
}

AeadOpener::AeadOpener(AeadOpener&&) noexcept = default;
AeadOpener& AeadOpener::operator=(AeadOpener&&) noexcept = default;
AeadOpener::~AeadOpener() = default;

void AeadOpener::update(std::span<std::byte> data) {
  int len = 0;
  // GCM and ChaCha20-Poly1305 are stream modes: every byte in comes out at once.
  if (EVP_DecryptUpdate(ctx_->evp.get(), u8(data), &len, u8(data), static_cast<int>(data.size())) !=
          1 ||
      static_cast<std::size_t>(len) != data.size())
    fail("AEAD open");
}

bool AeadOpener::finish(ConstTag tag) {
  // OpenSSL takes the expected tag through a non-const pointer; it only reads it.
  std::array<unsigned char, kTagBytes> expected{};
  std::copy_n(u8(std::span<const std::byte>(tag)), kTagBytes, expected.begin());
  if (EVP_CIPHER_CTX_ctrl(ctx_->evp.get(), EVP_CTRL_AEAD_SET_TAG, kTagBytes, expected.data()) != 1)
    fail("AEAD open");
  std::array<unsigned char, 16> tail{};  // a stream mode leaves nothing to flush
  int last = 0;
  return EVP_DecryptFinal_ex(ctx_->evp.get(), tail.data(), &last) == 1;
}

}  // namespace vmp::crypto
