#include "tx/send_queue.hpp"

#include <algorithm>

#include "util/wakeup.hpp"

namespace vmp {

bool SendQueue::wait_for_room(std::uint64_t bytes) {
  std::unique_lock lock(mutex_);
  auto fits = [&] {
    const auto used = held_bytes_ + reserved_bytes_;
    return closed_ || used == 0 || used + bytes <= window_bytes_;
  };
  if (!fits()) {
    const auto start = std::chrono::steady_clock::now();
    reader_waiting_ = true;
    note_starved_locked();
    room_.wait(lock, fits);
    reader_waiting_ = false;
    note_starved_locked();
    stalled_ += std::chrono::steady_clock::now() - start;
  }
  return !closed_;
}

void SendQueue::reserve(std::uint64_t bytes) {
  std::lock_guard lock(mutex_);
  reserved_bytes_ += bytes;
}

void SendQueue::push(OutFramePtr frame, bool reserved) {
  std::lock_guard lock(mutex_);
  const auto seq = frame->header.seq;
  held_bytes_ += frame->header.length;
  if (frame->header.has(wire::FrameFlag::last)) source_ended_ = true;
  if (reserved) reserved_bytes_ -= std::min<std::uint64_t>(reserved_bytes_, frame->header.length);
  if (entries_.empty()) base_seq_ = seq;
  Entry e;
  e.frame = std::move(frame);
  entries_.push_back(std::move(e));
  make_pending_locked(entries_.back());
  hand_out_locked();
}

void SendQueue::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  room_.notify_all();
}

void SendQueue::set_window(std::uint64_t bytes) {
  std::lock_guard lock(mutex_);
  window_bytes_ = bytes;
  room_.notify_all();
}

SendQueue::Entry* SendQueue::entry(std::uint64_t seq) {
  if (seq < base_seq_ || seq - base_seq_ >= entries_.size()) return nullptr;
  return &entries_[seq - base_seq_];
}

void SendQueue::make_pending_locked(Entry& e) {
  e.state = FrameState::pending;
  e.since = std::chrono::steady_clock::now();
  pending_.insert(e.frame->header.seq);
  pending_bytes_ += e.frame->header.length;
}

SendQueue::Entry* SendQueue::first_pending_for_locked(std::uint32_t leg) {
  for (const auto seq : pending_) {
    Entry* e = entry(seq);
    if (e->avoid_leg != leg) return e;
  }
  return nullptr;
}

SendQueue::Entry& SendQueue::take_pending_locked(Entry& e) {
  pending_.erase(e.frame->header.seq);
  pending_bytes_ -= e.frame->header.length;
  return e;
}

bool SendQueue::may_take_locked(std::uint32_t preference) const {
  if (pending_.empty()) return false;
  const bool preferred = std::all_of(live_legs_.begin(), live_legs_.end(), [&](const auto& l) {
    return l.second >= preference || stalled_legs_.contains(l.first);
  });
  if (preferred) return true;
  const std::uint64_t backlog = std::min<std::uint64_t>(4ull << 20, window_bytes_ / 4);
  if (pending_bytes_ >= backlog) return true;
  const auto& oldest = entries_[*pending_.begin() - base_seq_];
  return std::chrono::steady_clock::now() - oldest.since >= kSpillAfter;
}

std::optional<SendQueue::Taken> SendQueue::take(std::uint32_t leg, std::uint32_t preference) {
  std::lock_guard lock(mutex_);
  live_legs_[leg] = preference;
  Entry* e = nullptr;
  if (auto it = handoff_.find(leg); it != handoff_.end()) {
    e = entry(it->second);
    handoff_.erase(it);
    if (e && !(e->state == FrameState::handed_off && e->leg == leg)) {
      e = nullptr;  // acked or requeued meanwhile
    }
  }
  if (!e && may_take_locked(preference)) {
    if (Entry* p = pick_for_locked(leg)) {
      e = &take_pending_locked(*p);
      note_busy_locked(leg, *e);  // (a frame handed off was counted then)
    }
  }
  note_starved_locked();
  if (!e) return std::nullopt;
  e->state = FrameState::on_leg;
  e->leg = leg;
  e->since = std::chrono::steady_clock::now();
  const auto speed = speeds_.find(leg);
  e->expected_seconds =
      speed == speeds_.end() ? 0 : speed->second.seconds_for(e->frame->header.length);
  const bool resend = e->sends++ > 0;
  return Taken{e->frame, resend};
}

void SendQueue::set_leg_speed(std::uint32_t leg, std::optional<LegSpeed> speed) {
  std::lock_guard lock(mutex_);
  if (speed) {
    speeds_[leg] = *speed;
  } else {
    speeds_.erase(leg);
  }
  hand_out_locked();
}

std::optional<double> SendQueue::slowest_bytes_per_second() const {
  std::lock_guard lock(mutex_);
  std::optional<double> slowest;
  for (const auto& [leg, preference] : live_legs_) {
    if (auto s = speeds_.find(leg); s != speeds_.end()) {
      slowest = std::min(slowest.value_or(s->second.bytes_per_second), s->second.bytes_per_second);
    }
  }
  return slowest;
}

std::optional<double> SendQueue::quickest_idle_seconds(std::uint64_t bytes,
                                                       std::uint32_t except) const {
  std::lock_guard lock(mutex_);
  std::optional<double> quickest;
  for (const auto& w : waiters_) {
    if (w.leg == except || stalled_legs_.contains(w.leg)) continue;
    if (auto s = speeds_.find(w.leg); s != speeds_.end()) {
      const double t = s->second.seconds_for(bytes);
      quickest = std::min(quickest.value_or(t), t);
    }
  }
  return quickest;
}

void SendQueue::note_busy_locked(std::uint32_t leg, const Entry& e) {
  const auto speed = speeds_.find(leg);
  if (speed == speeds_.end()) return;
  const auto now = std::chrono::steady_clock::now();
  auto& until = busy_until_[leg];
  until =
      std::max(until, now) +
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(e.frame->header.length / speed->second.bytes_per_second));
}

std::optional<double> SendQueue::completion_locked(
    std::uint32_t other, std::uint64_t bytes, std::chrono::steady_clock::time_point now) const {
  const auto speed = speeds_.find(other);
  if (speed == speeds_.end()) return std::nullopt;
  double free_in = 0;
  const bool waiting = std::any_of(waiters_.begin(), waiters_.end(),
                                   [other](const Waiter& w) { return w.leg == other; });
  if (auto until = busy_until_.find(other); !waiting && until != busy_until_.end()) {
    free_in = std::chrono::duration<double>(until->second - now).count();
    // Overdue by more than a few of its round trips: it is not keeping its pace.
    if (free_in < -std::max(0.2, 8 * speed->second.one_way_seconds)) return std::nullopt;
  }
  return std::max(0.0, free_in) + speed->second.seconds_for(bytes);
}

SendQueue::Entry* SendQueue::pick_for_locked(std::uint32_t leg) {
  Entry* first = first_pending_for_locked(leg);
  if (!first || first->sends > 0) return first;
  const auto mine = speeds_.find(leg);
  if (mine == speeds_.end()) return first;
  const auto now = std::chrono::steady_clock::now();
  const auto bytes = first->frame->header.length;
  const double my_time = mine->second.seconds_for(bytes);
  double best_other = my_time;
  double others_rate = 0;  // bytes/s the other legs deliver meanwhile
  for (const auto& [other, preference] : live_legs_) {
    if (other == leg || !may_take_locked(preference)) continue;
    const auto t = completion_locked(other, bytes, now);
    if (!t) continue;
    best_other = std::min(best_other, *t);
    others_rate += speeds_.at(other).bytes_per_second;
  }
  // Speeds are estimates: a leg that is only a little slower takes the lowest frame as well
  // (skipping ahead on noise would only make the receiver hold frames and write in bursts).
  if (my_time <= kSlower * best_other) return first;
  const double ahead = (my_time - best_other) * others_rate;
  double skipped = 0;
  for (const auto seq : pending_) {
    Entry* e = entry(seq);
    if (e->avoid_leg == leg) continue;
    if (skipped >= ahead) return e;
    skipped += e->frame->header.length;
  }
  return nullptr;
}

void SendQueue::note_starved_locked() {
  const bool starved = (reader_waiting_ || source_ended_) && pending_.empty() && !waiters_.empty();
  const auto now = std::chrono::steady_clock::now();
  if (starved && !starved_since_) {
    starved_since_ = now;
  } else if (!starved && starved_since_) {
    starved_ += now - *starved_since_;
    starved_since_.reset();
  }
}

bool SendQueue::starved() const {
  std::lock_guard lock(mutex_);
  return starved_since_.has_value();
}

double SendQueue::reorder_stall_seconds() const {
  std::lock_guard lock(mutex_);
  auto total = starved_;
  if (starved_since_) total += std::chrono::steady_clock::now() - *starved_since_;
  return std::chrono::duration<double>(total).count();
}

void SendQueue::wait_for_work(std::uint32_t leg, std::uint32_t preference, Wakeup* wakeup) {
  std::lock_guard lock(mutex_);
  std::erase_if(waiters_, [leg](const Waiter& w) { return w.leg == leg; });
  const Waiter w{preference, leg, wakeup};
  waiters_.insert(std::upper_bound(waiters_.begin(), waiters_.end(), w, preferred_first), w);
  live_legs_[leg] = preference;
  hand_out_locked();
}

void SendQueue::set_stalled(std::uint32_t leg, bool stalled) {
  std::lock_guard lock(mutex_);
  if (!stalled) {
    stalled_legs_.erase(leg);
  } else if (stalled_legs_.insert(leg).second) {
    hand_out_locked();  // the waiting legs of the other links may be preferred now
  }
}

void SendQueue::cancel_wait(std::uint32_t leg) {
  std::lock_guard lock(mutex_);
  std::erase_if(waiters_, [leg](const Waiter& w) { return w.leg == leg; });
  note_starved_locked();
}

void SendQueue::stop_taking(std::uint32_t leg) {
  std::lock_guard lock(mutex_);
  if (auto it = handoff_.find(leg); it != handoff_.end()) {
    if (Entry* e = entry(it->second); e && held_by(*e, leg)) make_pending_locked(*e);
  }
  forget_leg_locked(leg);
  hand_out_locked();
}

void SendQueue::hand_out_locked() {
  auto w = waiters_.begin();
  while (w != waiters_.end() && !pending_.empty()) {
    if (!may_take_locked(w->preference)) break;  // the preferred legs will take it
    Entry* p = pick_for_locked(w->leg);
    if (!p) {  // only a frame hedged away from it, or none it would deliver in time
      ++w;
      continue;
    }
    Entry& e = take_pending_locked(*p);
    e.state = FrameState::handed_off;
    e.leg = w->leg;
    e.since = std::chrono::steady_clock::now();
    handoff_[w->leg] = e.frame->header.seq;
    note_busy_locked(w->leg, e);
    w->wakeup->notify();
    w = waiters_.erase(w);
  }
  note_starved_locked();
}

void SendQueue::forget_leg_locked(std::uint32_t leg) {
  handoff_.erase(leg);
  speeds_.erase(leg);
  busy_until_.erase(leg);
  live_legs_.erase(leg);
  stalled_legs_.erase(leg);
  std::erase_if(waiters_, [leg](const Waiter& w) { return w.leg == leg; });
}

std::size_t SendQueue::park(std::uint32_t leg) {
  std::lock_guard lock(mutex_);
  forget_leg_locked(leg);
  const auto now = std::chrono::steady_clock::now();
  std::size_t n = 0;
  for (auto& e : entries_) {
    if (held_by(e, leg)) {
      e.state = FrameState::parked;
      e.since = now;
      ++n;
    }
    if (e.avoid_leg == leg) e.avoid_leg.reset();
  }
  hand_out_locked();
  return n;
}

bool SendQueue::unpark_overdue_head(std::chrono::steady_clock::duration limit) {
  std::lock_guard lock(mutex_);
  if (entries_.empty()) return false;
  Entry& e = entries_.front();
  if (e.state != FrameState::parked) return false;
  if (std::chrono::steady_clock::now() - std::max(e.since, base_since_) < limit) {
    return false;
  }
  make_pending_locked(e);
  hand_out_locked();
  return true;
}

std::size_t SendQueue::requeue(std::uint32_t leg) {
  std::lock_guard lock(mutex_);
  forget_leg_locked(leg);
  std::size_t n = 0;
  for (auto& e : entries_) {
    if (held_by(e, leg)) {
      make_pending_locked(e);
      ++n;
    }
    // Its copy of a hedged frame is gone with it; the slot may carry the frame again (it may
    // be the only leg left).
    if (e.avoid_leg == leg) e.avoid_leg.reset();
  }
  hand_out_locked();
  return n;
}

std::size_t SendQueue::outstanding(std::uint32_t leg) const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(std::count_if(entries_.begin(), entries_.end(),
                                                [leg](const Entry& e) { return held_by(e, leg); }));
}

void SendQueue::on_ack(std::uint64_t next_seq) {
  std::lock_guard lock(mutex_);
  bool freed = false;
  while (!entries_.empty() && base_seq_ < next_seq) {
    held_bytes_ -= entries_.front().frame->header.length;
    if (pending_.erase(base_seq_) > 0) pending_bytes_ -= entries_.front().frame->header.length;
    entries_.pop_front();
    ++base_seq_;
    freed = true;
  }
  if (entries_.empty() && base_seq_ < next_seq) base_seq_ = next_seq;
  if (freed) {
    base_since_ = std::chrono::steady_clock::now();
    room_.notify_all();
  }
  note_starved_locked();
}

void SendQueue::held_back(std::uint32_t leg, std::uint64_t seq,
                          std::chrono::steady_clock::duration d) {
  std::lock_guard lock(mutex_);
  Entry* e = entry(seq);
  if (!e || e->state != FrameState::on_leg || e->leg != leg) return;  // confirmed or moved
  e->since = std::min(e->since + d, std::chrono::steady_clock::now());
}

std::optional<SendQueue::Head> SendQueue::head() const {
  std::lock_guard lock(mutex_);
  if (entries_.empty()) return std::nullopt;
  const Entry& e = entries_.front();
  Head h;
  h.seq = base_seq_;
  h.length = e.frame->header.length;
  if (e.state == FrameState::handed_off || e.state == FrameState::on_leg) h.leg = e.leg;
  h.sends = e.sends;
  if (e.state == FrameState::on_leg) h.out_for = std::chrono::steady_clock::now() - e.since;
  return h;
}

bool SendQueue::window_full() const {
  std::lock_guard lock(mutex_);
  return reader_waiting_;
}

std::vector<SendQueue::Held> SendQueue::front_held(std::size_t frames) const {
  std::lock_guard lock(mutex_);
  std::vector<Held> held;
  const auto now = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < entries_.size() && i < frames; ++i) {
    const Entry& e = entries_[i];
    if (e.state == FrameState::on_leg) {
      held.push_back(
          {base_seq_ + i, e.leg, now - e.since, e.expected_seconds, e.frame->header.length});
    }
  }
  return held;
}

bool SendQueue::hedge(std::uint64_t seq, std::uint32_t from) {
  std::lock_guard lock(mutex_);
  Entry* e = entry(seq);
  if (!e || !held_by(*e, from)) return false;
  make_pending_locked(*e);
  e->avoid_leg = from;
  hand_out_locked();
  return true;
}

std::uint64_t SendQueue::held_bytes() const {
  std::lock_guard lock(mutex_);
  return held_bytes_;
}

std::uint64_t SendQueue::window_bytes() const {
  std::lock_guard lock(mutex_);
  return window_bytes_;
}

std::uint64_t SendQueue::acked_seq() const {
  std::lock_guard lock(mutex_);
  return base_seq_;
}

double SendQueue::stall_seconds() const {
  std::lock_guard lock(mutex_);
  return std::chrono::duration<double>(stalled_).count();
}

}  // namespace vmp
