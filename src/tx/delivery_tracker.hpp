// Which of the frames a leg wrote to its socket has the peer's TCP acknowledged? A leg's
// frames go out in order on one byte stream, so each frame ends at a known byte count, and the
// kernel's tcpi_bytes_acked says how far the peer got. A frame still short of that mark is in
// our socket or on the path: if the receiver's in-order output waits for it, sending it again
// on another leg helps. A frame past the mark is at the receiver, and resending it would not.
//
// It also counts what the acknowledged bytes are worth to the user: the stream bytes (before
// the sidechain compressed them) the frames carry, so that a codec is credited for the stream
// it delivers, not for the wire bytes (the tuner's fitness; see Stats::tcp_acked_raw_bytes).
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>

namespace vmp {

class DeliveryTracker {
 public:
  // A new connection: `preamble` bytes (the Hello) went out before any frame.
  void reset(std::uint64_t preamble) {
    written_ = preamble;
    frames_.clear();
    acked_ = 0;
    raw_acked_ = 0;
    front_raw_ = 0;
    seq_acked_ = 0;
  }
  // The frame `seq` is about to be written: `bytes` on the wire, header included, carrying `raw`
  // stream bytes (0 for a copy of a frame sent before: its bytes count once). Recorded before
  // the write, because TCP acknowledges a large frame's first bytes long before a slow leg's
  // socket takes its last ones: recorded after, its stream bytes would count in one lump, late.
  void writing(std::uint64_t seq, std::uint64_t bytes, std::uint64_t raw = 0) {
    frames_.push_back({seq, written_, written_ + bytes, raw, false});
    written_ += bytes;
  }
  // ... and now it is all in the socket.
  void sent(std::uint64_t seq) {
    for (auto& f : frames_) {
      if (f.seq == seq) f.written = true;
    }
  }
  // The peer acknowledged the first `bytes_acked` bytes of this connection.
  void acked(std::uint64_t bytes_acked) {
    acked_ = std::max(acked_, bytes_acked);
    while (!frames_.empty() && frames_.front().end <= bytes_acked) {
      const auto& f = frames_.front();
      raw_acked_ += f.raw - front_raw_;
      front_raw_ = 0;
      seq_acked_ = std::max(seq_acked_, f.seq + 1);
      frames_.pop_front();
    }
    // The frame under way counts in proportion to its acknowledged share, so the count moves
    // smoothly (a 1 MiB frame is a twelfth of a second at 100 Mbit/s) and never goes back.
    if (!frames_.empty() && bytes_acked > frames_.front().begin) {
      const auto& f = frames_.front();
      const double share =
          static_cast<double>(bytes_acked - f.begin) / static_cast<double>(f.end - f.begin);
      const auto part = std::max(front_raw_, static_cast<std::uint64_t>(share * f.raw));
      raw_acked_ += part - front_raw_;
      front_raw_ = part;
    }
  }
  // Written on this connection (all of it) and not (yet known to be) acknowledged in full.
  bool in_flight(std::uint64_t seq) const {
    for (const auto& f : frames_) {
      if (f.seq == seq) return f.written;
    }
    return false;
  }
  // The bytes of this connection, up to the end of frame `seq`, its peer has not acknowledged
  // yet: what the leg still has to deliver before the receiver has all of the frame. nullopt
  // when the frame is not (or no longer) on this connection.
  std::optional<std::uint64_t> unacked_through(std::uint64_t seq) const {
    for (const auto& f : frames_) {
      if (f.seq == seq) return f.end > acked_ ? f.end - acked_ : 0;
    }
    return std::nullopt;
  }
  // Frames being written or in flight.
  std::size_t frames_in_flight() const { return frames_.size(); }
  // Stream bytes of this connection's frames the peer acknowledged.
  std::uint64_t raw_acked() const { return raw_acked_; }
  // One past the highest frame sequence acknowledged in full (0 = none yet).
  std::uint64_t seq_acked() const { return seq_acked_; }

 private:
  struct Frame {
    std::uint64_t seq;
    std::uint64_t begin;  // byte count of the connection before this frame was written
    std::uint64_t end;    // ... and after
    std::uint64_t raw;
    bool written;  // all of it is in the socket
  };
  std::deque<Frame> frames_;
  std::uint64_t written_ = 0;
  std::uint64_t acked_ = 0;  // the peer's count, as of the last acked()
  std::uint64_t raw_acked_ = 0;
  std::uint64_t front_raw_ = 0;  // part of the front frame's raw bytes already counted
  std::uint64_t seq_acked_ = 0;
};

}  // namespace vmp
