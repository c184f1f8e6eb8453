// Puts frames arriving on many legs back in stream order for the writer thread. Duplicates
// (a frame resent after its first copy did arrive) are dropped here.
//
// It is also the receiver's guard against a peer that lies in frame headers:
// - memory: a frame is admitted only while it ends within `window` bytes of the next byte
//   the writer needs, and while what is held (payload plus a per-frame overhead) stays within
//   the window plus 1/32; check() says so from the header alone, before the payload is read;
// - consistency: a frame's offset must be the sum of the lengths before it, as far as the
//   frames around it tell (the nearest held before and after, the writer's position: held
//   frames never overlap, so their payload is at most the window); nothing follows a frame
//   flagged last; a copy of a held frame must have the same header.
// Frames that break the second rule cannot come from an honest transmitter: the caller ends
// the transfer (exit 8) rather than write a stream that is not the one sent.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>

#include "util/buffer_pool.hpp"
#include "util/pipe_pool.hpp"

namespace vmp {

struct InFrame {
  std::uint64_t seq = 0;
  std::uint64_t offset = 0;
  std::uint32_t length = 0;
  bool last = false;
  std::optional<std::uint64_t> checksum;  // verified against the payload, when the frame had one
  // The first pipe.held payload bytes wait in a pipe (spliced from the socket, zero-copy);
  // the remaining length - pipe.held bytes are in `payload`.
  Pipe pipe;
  Buffer payload;
};

class Reassembler {
 public:
  explicit Reassembler(std::uint64_t window_bytes)
      : window_(window_bytes), budget_(window_bytes + window_bytes / 32) {}

  // Memory the reassembler charges per held frame on top of its payload (map node, buffers).
  static constexpr std::uint64_t kFrameCost = 64;

  enum class Insert {
    accepted,
    duplicate,      // already held or written: dropped
    too_far_ahead,  // beyond the window: refuse the frame, drop its leg
    inconsistent,   // offset/length/last contradict the frames around it
    conflicting,    // a copy of a held frame with a different header
  };
  // What insert() would say of a frame with this header, without taking it: lets a leg refuse
  // a frame before it reads (and allocates) the payload.
  Insert check(std::uint64_t seq, std::uint64_t offset, std::uint32_t length, bool last) const;
  Insert insert(InFrame frame);

  // Writer side: blocks for the next frame in order. nullopt after close() or after the
  // frame flagged last was handed out.
  std::optional<InFrame> next();
  void close();

  std::uint64_t next_seq() const;        // first seq not yet handed to the writer
  std::uint64_t buffered_bytes() const;  // payload held
  std::uint64_t held_cost() const;       // payload plus kFrameCost per frame held
  std::uint64_t duplicates() const;
  double stall_seconds() const;  // writer time spent waiting for a missing frame
  // While the writer waits for a missing frame: which one, for how long, and what arrived
  // behind it meanwhile.
  struct Gap {
    std::uint64_t seq = 0;
    std::chrono::steady_clock::duration waited{};
    std::size_t frames_behind = 0;
    std::uint64_t bytes_behind = 0;
  };
  std::optional<Gap> gap() const;

 private:
  Insert check_locked(std::uint64_t seq, std::uint64_t offset, std::uint32_t length,
                      bool last) const;

  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::map<std::uint64_t, InFrame> pending_;
  std::uint64_t next_seq_ = 0;
  std::uint64_t next_offset_ = 0;
  std::uint64_t buffered_ = 0;
  std::uint64_t cost_ = 0;
  std::uint64_t duplicates_ = 0;
  const std::uint64_t window_;
  const std::uint64_t budget_;
  std::optional<std::uint64_t> last_seq_;  // seq of the frame flagged last, once seen
  bool closed_ = false;
  bool saw_last_ = false;
  std::chrono::steady_clock::duration stalled_{};
  std::optional<std::chrono::steady_clock::time_point> waiting_since_;
};

}  // namespace vmp
