// Puts frames arriving on many legs back in stream order for the writer thread. Duplicates
// (a frame resent after its first copy did arrive) are dropped here. Frames too far ahead of
// the writer are refused, which bounds memory even against a misbehaving peer.
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
  // The first pipe.held payload bytes wait in a pipe (spliced from the socket, zero-copy);
  // the remaining length - pipe.held bytes are in `payload`.
  Pipe pipe;
  Buffer payload;
};

class Reassembler {
 public:
  explicit Reassembler(std::uint64_t max_ahead_bytes) : max_ahead_bytes_(max_ahead_bytes) {}

  enum class Insert { accepted, duplicate, too_far_ahead };
  Insert insert(InFrame frame);

  // Writer side: blocks for the next frame in order. nullopt after close() or after the
  // frame flagged last was handed out.
  std::optional<InFrame> next();
  void close();

  std::uint64_t next_seq() const;  // first seq not yet handed to the writer
  std::uint64_t buffered_bytes() const;
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
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::map<std::uint64_t, InFrame> pending_;
  std::uint64_t next_seq_ = 0;
  std::uint64_t next_offset_ = 0;
  std::uint64_t buffered_ = 0;
  std::uint64_t duplicates_ = 0;
  std::uint64_t max_ahead_bytes_;
  bool closed_ = false;
  bool saw_last_ = false;
  std::chrono::steady_clock::duration stalled_{};
  std::optional<std::chrono::steady_clock::time_point> waiting_since_;
};

}  // namespace vmp
