#include "crypto/leg_auth.hpp"

#include <algorithm>

namespace vmp::crypto {
namespace {

Key256 proof_key(const Secret& key) {
  return hkdf(key.bytes(), as_bytes("viamillipede"), "viamillipede 4 leg proof");
}

}  // namespace

Mac receiver_proof(const Secret& key, Bytes transcript) {
  return hmac(proof_key(key), {as_bytes("receiver"), transcript});
}

Mac transmitter_proof(const Secret& key, Bytes transcript) {
  return hmac(proof_key(key), {as_bytes("transmitter"), transcript});
}

ControlTag MessageAuth::tag_at(std::uint64_t counter, Bytes message) const {
  std::array<std::byte, 8> c{};
  for (int i = 0; i < 8; ++i) c[7 - i] = static_cast<std::byte>(counter >> (8 * i));
  const auto mac = hmac(key_, {c, message});
  ControlTag out{};
  std::copy_n(mac.begin(), out.size(), out.begin());
  return out;
}

ControlTag MessageAuth::tag(Bytes message) {
  return tag_at(counter_++, message);
}

bool MessageAuth::verify(Bytes message, Bytes tag) {
  return equal_constant_time(tag_at(counter_++, message), tag);
}

LegAuth leg_auth(const Secret& key, Bytes transcript, Role role) {
  auto to_rx = hkdf(key.bytes(), transcript, "viamillipede 4 control to receiver");
  auto to_tx = hkdf(key.bytes(), transcript, "viamillipede 4 control to transmitter");
  if (role == Role::transmitter) return {MessageAuth(to_rx), MessageAuth(to_tx)};
  return {MessageAuth(to_tx), MessageAuth(to_rx)};
}

}  // namespace vmp::crypto
