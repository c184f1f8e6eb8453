// Everything the transmitter needs from the command line.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "crypto/cipher.hpp"
#include "crypto/secret.hpp"
#include "knobs.hpp"
#include "sidechain/frame_transform.hpp"
#include "tx/link_planner.hpp"
#include "wire/protocol.hpp"

namespace vmp {

struct TxConfig {
  std::vector<Target> targets;  // preference order
  Knobs knobs;
  bool checksums = false;
  bool zero_copy = true;    // a regular-file stdin goes out with sendfile (see SourceReader)
  std::uint32_t chaos = 0;  // reset the leg that sends every chaos-th frame; 0 = off
  wire::Checkphrase checkphrase{};
  std::chrono::seconds outage_timeout{3600};
  std::chrono::seconds connect_timeout{5};
  bool progress = false;
  // --expect-bytes: stdin must hold exactly this many bytes (a producer that dies looks like
  // an early end of file on a pipe).
  std::optional<std::uint64_t> expect_bytes;
  // charmode: what one read of stdin returns goes out at once, instead of waiting up to 5 ms
  // for a frame to fill (interactive use: keystrokes, tunnelled ssh).
  bool charmode = false;
  // leglimit / --limit-bytes: the stream ends after this many bytes of stdin.
  std::optional<std::uint64_t> limit_bytes;
  // delayus: sleep this long at every 2 MiB of the stream (the original's crude throttle).
  std::chrono::microseconds delay_per_chunk{0};
  // --compress auto: the compress knob is chosen while the transfer runs: by the sidechain's
  // own feedback (sidechain/compress_feedback.hpp), and when `compress_tuned` (the codec and
  // workers are genes) by the tuner from its first apply() on.
  bool compress_auto = false;
  bool compress_tuned = false;
  // --filter CMD: every frame goes through `sh -c CMD` (and the receiver's --unfilter);
  // --filter-timeout bounds how long it may make no progress.
  sidechain::FilterCommand filter;
  // --key-file: every leg proves the key and every frame is sealed with `cipher`.
  std::shared_ptr<const crypto::Secret> key;
  crypto::Cipher cipher = crypto::Cipher::aes_256_gcm;
};

}  // namespace vmp
