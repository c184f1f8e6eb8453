#include "rx/handshake_gate.hpp"

namespace vmp {

std::optional<HandshakeGate::Pass> HandshakeGate::enter(const std::string& address,
                                                        std::string& why) {
  std::lock_guard lock(mutex_);
  if (total_ >= total_cap_) {
    why = "too many connections in their handshake (" + std::to_string(total_cap_) + ")";
    return std::nullopt;
  }
  auto& mine = per_address_[address];
  if (mine >= per_address_cap_) {
    why = "too many connections in their handshake from this address (" +
          std::to_string(per_address_cap_) + ")";
    return std::nullopt;
  }
  ++mine;
  ++total_;
  return Pass(*this, address);
}

void HandshakeGate::release(const std::string& address) {
  std::lock_guard lock(mutex_);
  --total_;
  if (auto it = per_address_.find(address); it != per_address_.end() && --it->second == 0)
    per_address_.erase(it);
}

std::size_t HandshakeGate::in_handshake() const {
  std::lock_guard lock(mutex_);
  return total_;
}

}  // namespace vmp
