// The transmitter's book of unacknowledged frames. It bounds memory (the window), hands frames
// to legs in link-preference order, takes them back when a leg dies (so they are resent on
// live legs) and forgets them once the receiver confirms they were written. Thread-safe: the
// stdin reader pushes, the I/O thread takes, acks and requeues.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

#include "tx/out_frame.hpp"

namespace vmp {

class Wakeup;

class SendQueue {
 public:
  explicit SendQueue(std::uint64_t window_bytes) : window_bytes_(window_bytes) {}

  // --- reader side ---
  // Blocks until `bytes` more fit in the window (or one frame always fits when nothing is held).
  // Returns false once close() was called.
  bool wait_for_room(std::uint64_t bytes);
  void push(OutFramePtr frame);
  void close();
  void set_window(std::uint64_t bytes);

  // --- leg side (I/O thread) ---
  struct Taken {
    OutFramePtr frame;
    bool resend;
  };
  // The frame handed to this leg, else the lowest pending one; nullopt when there is none, or
  // when the leg is on a less preferred link and the pending work is not spill-over yet.
  std::optional<Taken> take(std::uint32_t leg, std::uint32_t preference);
  // Registers the leg as idle. Legs with a lower `preference` (link index) get work first:
  // this is how the first `tx` target is filled before later ones take the spill-over.
  // Spill-over is work the preferred link's legs cannot take in time: a backlog of at least
  // min(4 MiB, window / 4), or a frame pending for kSpillAfter. A short burst that arrives
  // while those legs are busy for a moment waits for them instead of going the slow way.
  void wait_for_work(std::uint32_t leg, std::uint32_t preference, Wakeup* wakeup);
  static constexpr std::chrono::milliseconds kSpillAfter{250};
  void cancel_wait(std::uint32_t leg);
  // The leg is gone: every frame it held and the receiver has not confirmed goes back to the
  // front of the queue. Returns how many.
  std::size_t requeue(std::uint32_t leg);
  // Frames assigned to this leg and not yet confirmed.
  std::size_t outstanding(std::uint32_t leg) const;

  // --- acks ---
  // Every frame below next_seq was written by the receiver.
  void on_ack(std::uint64_t next_seq);

  std::uint64_t held_bytes() const;
  std::uint64_t window_bytes() const;
  std::uint64_t acked_seq() const;
  // Total time the reader waited for window room.
  double stall_seconds() const;

 private:
  struct Entry {
    OutFramePtr frame;
    std::optional<std::uint32_t> leg;  // who holds it; nullopt while pending
    std::uint32_t sends = 0;
    std::chrono::steady_clock::time_point pending_since;
  };
  struct Waiter {
    std::uint32_t preference;
    std::uint32_t leg;
    Wakeup* wakeup;
  };
  Entry* entry(std::uint64_t seq);
  void hand_out_locked();  // matches pending frames with idle legs
  void make_pending_locked(Entry& e);
  Entry& take_pending_locked();  // the lowest pending frame, no longer pending
  // May a leg on a link of this preference take pending work now?
  bool may_take_locked(std::uint32_t preference) const;

  mutable std::mutex mutex_;
  std::condition_variable room_;
  std::deque<Entry> entries_;  // entries_[i] has seq base_seq_ + i
  std::uint64_t base_seq_ = 0;
  std::set<std::uint64_t> pending_;                 // not on any leg, lowest first
  std::map<std::uint32_t, std::uint64_t> handoff_;  // leg -> seq given to it while it slept
  std::uint64_t pending_bytes_ = 0;
  // Live legs (they took or waited for work since they last lost their connection) and the
  // preference of their link: the lowest is the link being filled first.
  std::map<std::uint32_t, std::uint32_t> live_legs_;
  std::vector<Waiter> waiters_;
  std::uint64_t held_bytes_ = 0;
  std::uint64_t window_bytes_;
  bool closed_ = false;
  std::chrono::steady_clock::duration stalled_{};
};

}  // namespace vmp
