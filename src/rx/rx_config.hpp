#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "crypto/secret.hpp"
#include "knobs.hpp"
#include "sidechain/frame_transform.hpp"
#include "wire/protocol.hpp"

namespace vmp {

struct RxConfig {
  std::string bind_address;  // empty: every address (IPv6 dual-stack, else IPv4)
  std::uint16_t port = 0;    // 0 picks a free port (tests)
  wire::Checkphrase checkphrase{};
  bool require_checksums = false;
  bool progress = false;
  // The most payload held for reordering (--window on rx): frames further ahead of the writer
  // are refused and their leg dropped. Told to the transmitter, which keeps its own window
  // within it. The tuner's largest window (256 MiB) fits.
  std::uint64_t window_bytes = 256 * MiB;
  // The longest total outage a transmitter may ask us to wait for (--outage-timeout on rx);
  // a Hello asking for more gets this.
  std::chrono::seconds max_outage{3600};
  // Connections that have not completed a handshake: time allowed, and how many at once.
  std::chrono::milliseconds handshake_timeout{2000};
  std::size_t max_handshakes = 256;
  std::size_t max_handshakes_per_address = 64;  // as many as a transmitter has legs
  // After completion: how long to wait for the transmitter's end frame (its own count of the
  // stream); without it the receiver cannot know the stream was whole and exits 3.
  std::chrono::seconds linger{30};
  std::uint32_t rcvbuf_bytes = 0;
  bool zero_copy = true;  // splice frames to stdout when it allows (see util/pipe_pool.hpp)
  // Threads running the legs. Receiving is one copy per byte out of the kernel; on a fast
  // path one core cannot keep up with several legs, so legs are spread over the cores.
  unsigned io_threads = 0;  // 0 = one per core, at most 4
  // --expect-bytes: a complete stream of any other length ends with exit 8.
  std::optional<std::uint64_t> expect_bytes;
  // --unfilter CMD: undoes the transmitter's --filter, frame by frame. The receiver runs only
  // this; the wire never names a command.
  sidechain::FilterCommand unfilter;
  std::uint32_t sidechain_workers = 0;  // threads decoding frames; 0 = one per core
  // --key-file: only transmitters that prove they hold it are served (crypto/leg_auth.hpp).
  std::shared_ptr<const crypto::Secret> key;
  // What the stream is written to, as error lines name it: stdout, or a tunnel's connection.
  std::string sink_name = "stdout";
};

}  // namespace vmp
