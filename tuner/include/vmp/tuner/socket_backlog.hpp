// Bytes the transmitter's legs have written into their sockets that the peer's TCP has not
// acknowledged yet. Right after a genome is applied these bytes still go out the way the
// previous genome queued them (a leg that is drained keeps sending what its socket holds), so
// the goodput meter waits for them before it credits anything to the new genome.
//
// Per leg: queued = bytes written (payload + frame headers) - tcp_acked_bytes, minus what the
// slot lost with earlier connections (a connection that dies takes its unacknowledged bytes
// with it; those were counted as written but will never be acknowledged). The loss is read off
// whenever the slot is seen without a connection (down, connecting): then nothing of it is
// queued, so its whole deficit is loss. A reconnect that happened between two snapshots is
// caught by the reconnect counter, and the deficit then is taken as loss too (underestimating
// the backlog for one new connection errs towards the shorter warm-up the tuner had before).
#pragma once

#include <cstdint>
#include <vector>

#include "stats.hpp"

namespace vmp::tuner {

class SocketBacklog {
 public:
  // The wire's data-frame header (src/wire/protocol.hpp, FrameHeader::kSize): it is in
  // tcp_acked_bytes but not in LegStats::bytes. Without it the estimate would drift below the
  // truth by 0.2% of everything sent with 16 KiB frames.
  static constexpr std::uint64_t kFrameHeaderBytes = 32;

  // Reads one snapshot; returns the bytes queued in the legs' live connections now (0 when the
  // core does not report tcp_acked_bytes).
  std::uint64_t update(const Stats& stats);

 private:
  struct Slot {
    bool seen = false;
    bool was_down = false;  // last seen without a connection
    std::uint64_t reconnects = 0;
    std::int64_t lost = 0;  // deficit left behind by the slot's earlier connections
  };
  std::vector<Slot> slots_;  // by LegStats::id
};

}  // namespace vmp::tuner
