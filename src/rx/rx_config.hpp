#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "knobs.hpp"
#include "wire/protocol.hpp"

namespace vmp {

struct RxConfig {
  std::string bind_address;  // empty: every address (IPv6 dual-stack, else IPv4)
  std::uint16_t port = 0;    // 0 picks a free port (tests)
  wire::Checkphrase checkphrase{};
  bool require_checksums = false;
  bool progress = false;
  // Frames further than this ahead of the writer are refused (memory bound against a bad peer).
  std::uint64_t max_ahead_bytes = kWindowRange.max;
  std::chrono::seconds handshake_timeout{10};
  // After completion: how long to wait for the transmitter to close its legs.
  std::chrono::seconds linger{30};
  std::uint32_t rcvbuf_bytes = 0;
  bool zero_copy = true;  // splice frames to stdout when it allows (see util/pipe_pool.hpp)
  // Threads running the legs. Receiving is one copy per byte out of the kernel; on a fast
  // path one core cannot keep up with several legs, so legs are spread over the cores.
  unsigned io_threads = 0;  // 0 = one per core, at most 4
};

}  // namespace vmp
