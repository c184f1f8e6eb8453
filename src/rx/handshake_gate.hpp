// Bounds what connections that have not yet proven anything may cost the receiver: at most
// `total` of them are in their handshake at once, and at most `per_address` from one address.
// A connection over either cap is closed at once, so a flood of idle connections from one
// address can neither exhaust descriptors nor crowd out the real transmitter's legs (from
// another address, or from the same one once the flood's handshakes time out).
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace vmp {

class HandshakeGate {
 public:
  HandshakeGate(std::size_t total, std::size_t per_address)
      : total_cap_(total), per_address_cap_(per_address) {}

  // A slot while a connection handshakes; released when the Pass is destroyed.
  class Pass {
   public:
    Pass(HandshakeGate& gate, std::string address) : gate_(&gate), address_(std::move(address)) {}
    Pass(Pass&& o) noexcept : gate_(o.gate_), address_(std::move(o.address_)) { o.gate_ = nullptr; }
    Pass& operator=(Pass&&) = delete;
    Pass(const Pass&) = delete;
    Pass& operator=(const Pass&) = delete;
    ~Pass() {
      if (gate_) gate_->release(address_);
    }

   private:
    HandshakeGate* gate_;
    std::string address_;
  };

  // nullopt with the reason when a cap is reached.
  std::optional<Pass> enter(const std::string& address, std::string& why);
  std::size_t in_handshake() const;

 private:
  void release(const std::string& address);

  const std::size_t total_cap_;
  const std::size_t per_address_cap_;
  mutable std::mutex mutex_;
  std::size_t total_ = 0;
  std::map<std::string, std::size_t> per_address_;
};

}  // namespace vmp
