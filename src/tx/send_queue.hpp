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
#include <tuple>
#include <vector>

#include "tx/leg_speed.hpp"
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
  // A frame on its way through the sidechain stage counts against the window from the moment
  // it is read (else the stage's frames would push the queue past the receiver's window).
  void reserve(std::uint64_t bytes);
  // `reserved`: the frame's bytes were reserve()d and now move into the queue.
  void push(OutFramePtr frame, bool reserved = false);
  void close();
  void set_window(std::uint64_t bytes);

  // --- leg side (I/O thread) ---
  struct Taken {
    OutFramePtr frame;
    bool resend;
  };
  // The frame handed to this leg, else the pending frame it will deliver in time (see
  // pick_for_locked); nullopt when there is none, or when the leg is on a less preferred link
  // and the pending work is not spill-over yet.
  std::optional<Taken> take(std::uint32_t leg, std::uint32_t preference);
  // What the leg's meter says about its speed now (nullopt: not known yet). Called every tick;
  // it also gives waiting legs another look at the pending frames.
  void set_leg_speed(std::uint32_t leg, std::optional<LegSpeed> speed);
  // The slowest known speed among the live legs (nullopt: none known).
  std::optional<double> slowest_bytes_per_second() const;
  // What the quickest leg waiting for work, other than `except` and not stalled, would need to
  // deliver `bytes` (nullopt: no such leg's speed is known).
  std::optional<double> quickest_idle_seconds(std::uint64_t bytes, std::uint32_t except) const;
  // Registers the leg as idle. Legs with a lower `preference` (link index) get work first:
  // this is how the first `tx` target is filled before later ones take the spill-over.
  // Spill-over is work the preferred link's legs cannot take in time: a backlog of at least
  // min(4 MiB, window / 4), or a frame pending for kSpillAfter. A short burst that arrives
  // while those legs are busy for a moment waits for them instead of going the slow way.
  void wait_for_work(std::uint32_t leg, std::uint32_t preference, Wakeup* wakeup);
  static constexpr std::chrono::milliseconds kSpillAfter{250};
  // A leg skips ahead (see pick_for_locked) only when another leg would deliver the lowest
  // pending frame in less than 1/kSlower of its own time.
  static constexpr double kSlower = 1.5;
  // Whether the leg is stalled (nothing acknowledged for stall_after(), leg_speed.hpp): its path
  // may have gone dark, and TCP_USER_TIMEOUT ends it only after 15 s. Until it moves again it
  // does not make its link the preferred one: were it the last live leg of the first link, the
  // legs of every other link would take only spill-over (rig, first path blackholed: the
  // stream ran at the slowest path's rate until the leg timed out). Called every tick.
  void set_stalled(std::uint32_t leg, bool stalled);
  void cancel_wait(std::uint32_t leg);
  // The leg takes no more work (it drains before closing): it stops waiting, no longer counts
  // as a live leg of its link, and a frame handed to it while it slept, which it will never
  // send, goes back to pending for another leg. Without the last part that frame would sit on
  // the draining leg until the drain limit, holding the whole stream up at the receiver.
  void stop_taking(std::uint32_t leg);
  // The leg is gone: every frame it held and the receiver has not confirmed goes back to the
  // front of the queue. Returns how many.
  std::size_t requeue(std::uint32_t leg);
  // The leg closed gracefully (it half-closed, the receiver read everything and closed its
  // side): its unconfirmed frames are in the receiver's reorder buffer, waiting for earlier
  // ones. They are parked, not resent; unpark_overdue_head() is the safety net. Returns how
  // many.
  std::size_t park(std::uint32_t leg);
  // The oldest unconfirmed frame is parked, and has been the oldest for longer than `limit`
  // (since it was parked, or since the frame before it was confirmed): the receiver cannot have
  // it after all (it dropped the leg's data on an error), so it is resent. True if it was.
  bool unpark_overdue_head(std::chrono::steady_clock::duration limit);
  // The leg held frame `seq` back this long for a rate limit while writing it. Held back on
  // purpose is not late: the frame's age (Head::out_for, Held::out_for), which decides when a
  // frame is sent again on another leg, leaves that time out.
  void held_back(std::uint32_t leg, std::uint64_t seq, std::chrono::steady_clock::duration d);
  // Frames assigned to this leg and not yet confirmed.
  std::size_t outstanding(std::uint32_t leg) const;

  // --- acks ---
  // Every frame below next_seq was written by the receiver.
  void on_ack(std::uint64_t next_seq);

  // The oldest unconfirmed frame: the one the receiver's in-order output waits for.
  struct Head {
    std::uint64_t seq = 0;
    std::uint32_t length = 0;
    std::optional<std::uint32_t> leg;               // nullopt while pending
    std::chrono::steady_clock::duration out_for{};  // since a leg took it (0 if not sent)
    std::uint32_t sends = 0;
  };
  std::optional<Head> head() const;

  // --- hedging (I/O thread) ---
  // The reader waits for window room: the stream now goes only as fast as its oldest
  // unconfirmed frames reach the receiver.
  bool window_full() const;
  // Head-of-line: the reader waits for room (or stdin has ended), nothing is left to hand out,
  // and a leg is idle. The window is spent on frames the receiver holds until earlier ones
  // arrive; the stream now goes only as fast as the frames at its front. The only time a
  // copy can help.
  bool starved() const;
  // Total time the queue was starved (Stats::reorder_stall_seconds).
  double reorder_stall_seconds() const;
  struct Held {
    std::uint64_t seq;
    std::uint32_t leg;
    std::chrono::steady_clock::duration out_for;
    // How long its leg should need for it, from the leg's speed when it took the frame (0:
    // the speed was not known).
    double expected_seconds;
    std::uint32_t length;
  };
  // Unconfirmed frames a leg is carrying, lowest seq first, among the first `frames` of the
  // window.
  std::vector<Held> front_held(std::size_t frames) const;
  // Sends frame `seq` once more, on another leg than `from`, which keeps its copy (it is in the
  // socket already). The receiver drops whichever copy comes second. False when `from` no
  // longer holds the frame (confirmed, or given back meanwhile).
  bool hedge(std::uint64_t seq, std::uint32_t from);

  std::uint64_t held_bytes() const;
  std::uint64_t window_bytes() const;
  std::uint64_t acked_seq() const;
  // Total time the reader waited for window room.
  double stall_seconds() const;

 private:
  // Where an unconfirmed frame is; each is in exactly one state until the receiver confirms it.
  enum class FrameState {
    pending,     // waiting for a leg: new, given back by a dead leg, unparked or hedged
    handed_off,  // given to an idle leg (handoff_) that has not woken up to take it yet
    on_leg,      // a leg took it: in its socket or on the way
    parked,      // its leg closed gracefully: the receiver holds it (see park())
  };
  struct Entry {
    OutFramePtr frame;
    FrameState state = FrameState::pending;
    std::uint32_t leg = 0;  // who holds it, while handed_off or on_leg
    std::uint32_t sends = 0;
    std::chrono::steady_clock::time_point since;  // when it entered `state`
    std::optional<std::uint32_t> avoid_leg;       // hedged away from this leg
    double expected_seconds = 0;                  // on_leg: see Held
  };
  static bool held_by(const Entry& e, std::uint32_t leg) {
    return (e.state == FrameState::handed_off || e.state == FrameState::on_leg) && e.leg == leg;
  }
  struct Waiter {
    std::uint32_t preference;
    std::uint32_t leg;
    Wakeup* wakeup;
  };
  static bool preferred_first(const Waiter& a, const Waiter& b) {
    return std::tie(a.preference, a.leg) < std::tie(b.preference, b.leg);
  }
  Entry* entry(std::uint64_t seq);
  void hand_out_locked();  // matches pending frames with idle legs
  void make_pending_locked(Entry& e);
  void forget_leg_locked(std::uint32_t leg);  // it takes no more work
  // The lowest pending frame this leg may send (not one hedged away from it).
  Entry* first_pending_for_locked(std::uint32_t leg);
  // The pending frame for this leg, earliest completion first (as multipath schedulers do):
  // the lowest, unless another leg that may take work would have it at the receiver sooner
  // (counting the frame it is busy with). Then the lowest would arrive late and hold the
  // stream behind it, so this leg takes a frame far enough ahead that the others carry the
  // pending frames before it in the time it is behind; nullptr when the window does not
  // reach that far (the leg waits; at the end of the stream, the faster legs take the last
  // frames). Resends go to whoever is free: they are needed now.
  Entry* pick_for_locked(std::uint32_t leg);
  // When leg `other` could have `bytes` at the receiver, in seconds from `now`, after the
  // frames it is busy with; nullopt when its speed is unknown or it is behind its own
  // schedule (stuck in loss recovery: nothing to count on).
  std::optional<double> completion_locked(std::uint32_t other, std::uint64_t bytes,
                                          std::chrono::steady_clock::time_point now) const;
  void note_starved_locked();                                // keeps reorder_stall_seconds()
  void note_busy_locked(std::uint32_t leg, const Entry& e);  // the leg took frame e
  Entry& take_pending_locked(Entry& e);                      // e is pending: no longer
  // May a leg on a link of this preference take pending work now?
  bool may_take_locked(std::uint32_t preference) const;

  mutable std::mutex mutex_;
  std::condition_variable room_;
  bool reader_waiting_ = false;
  std::deque<Entry> entries_;  // entries_[i] has seq base_seq_ + i
  std::uint64_t base_seq_ = 0;
  std::chrono::steady_clock::time_point base_since_;  // when base_seq_ last moved
  std::set<std::uint64_t> pending_;                   // not on any leg, lowest first
  std::map<std::uint32_t, std::uint64_t> handoff_;    // leg -> seq given to it while it slept
  std::uint64_t pending_bytes_ = 0;
  // Live legs (they took or waited for work since they last lost their connection) and the
  // preference of their link: the lowest is the link being filled first.
  std::map<std::uint32_t, std::uint32_t> live_legs_;
  std::set<std::uint32_t> stalled_legs_;  // see set_stalled()
  std::vector<Waiter> waiters_;           // preferred_first order (insertion keeps it)
  std::uint64_t held_bytes_ = 0;
  std::uint64_t reserved_bytes_ = 0;  // read, still in the sidechain stage
  std::uint64_t window_bytes_;
  bool closed_ = false;
  std::chrono::steady_clock::duration stalled_{};
  std::map<std::uint32_t, LegSpeed> speeds_;  // legs whose speed is known
  // When each leg will have written what it took (from its speed at the time it took it).
  std::map<std::uint32_t, std::chrono::steady_clock::time_point> busy_until_;
  bool source_ended_ = false;  // the frame flagged `last` was pushed
  std::optional<std::chrono::steady_clock::time_point> starved_since_;
  std::chrono::steady_clock::duration starved_{};
};

}  // namespace vmp
