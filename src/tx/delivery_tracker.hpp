// Which of the frames a leg wrote to its socket has the peer's TCP acknowledged? A leg's
// frames go out in order on one byte stream, so each frame ends at a known byte count, and the
// kernel's tcpi_bytes_acked says how far the peer got. A frame still short of that mark is in
// our socket or on the path: if the receiver's in-order output waits for it, sending it again
// on another leg helps. A frame past the mark is at the receiver, and resending it would not.
#pragma once

#include <cstdint>
#include <deque>

namespace vmp {

class DeliveryTracker {
 public:
  // A new connection: `preamble` bytes (the Hello) went out before any frame.
  void reset(std::uint64_t preamble) {
    written_ = preamble;
    frames_.clear();
  }
  // The frame `seq` was written: `bytes` on the wire, header included.
  void sent(std::uint64_t seq, std::uint64_t bytes) {
    written_ += bytes;
    frames_.push_back({seq, written_});
  }
  // The peer acknowledged the first `bytes_acked` bytes of this connection.
  void acked(std::uint64_t bytes_acked) {
    while (!frames_.empty() && frames_.front().end <= bytes_acked) frames_.pop_front();
  }
  // Written on this connection and not (yet known to be) acknowledged in full.
  bool in_flight(std::uint64_t seq) const {
    for (const auto& f : frames_) {
      if (f.seq == seq) return true;
    }
    return false;
  }
  std::size_t frames_in_flight() const { return frames_.size(); }

 private:
  struct Frame {
    std::uint64_t seq;
    std::uint64_t end;  // byte count of the connection once this frame was written
  };
  std::deque<Frame> frames_;
  std::uint64_t written_ = 0;
};

}  // namespace vmp
