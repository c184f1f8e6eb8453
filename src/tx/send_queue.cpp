#include "tx/send_queue.hpp"

#include <algorithm>

#include "util/wakeup.hpp"

namespace vmp {

bool SendQueue::wait_for_room(std::uint64_t bytes) {
  std::unique_lock lock(mutex_);
  auto fits = [&] { return closed_ || held_bytes_ == 0 || held_bytes_ + bytes <= window_bytes_; };
  if (!fits()) {
    const auto start = std::chrono::steady_clock::now();
    room_.wait(lock, fits);
    stalled_ += std::chrono::steady_clock::now() - start;
  }
  return !closed_;
}

void SendQueue::push(OutFramePtr frame) {
  std::lock_guard lock(mutex_);
  const auto seq = frame->header.seq;
  held_bytes_ += frame->header.length;
  if (entries_.empty()) base_seq_ = seq;
  entries_.push_back({std::move(frame), std::nullopt, 0, {}});
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
  e.leg.reset();
  e.pending_since = std::chrono::steady_clock::now();
  pending_.insert(e.frame->header.seq);
  pending_bytes_ += e.frame->header.length;
}

SendQueue::Entry& SendQueue::take_pending_locked() {
  Entry& e = *entry(*pending_.begin());
  pending_.erase(pending_.begin());
  pending_bytes_ -= e.frame->header.length;
  return e;
}

bool SendQueue::may_take_locked(std::uint32_t preference) const {
  if (pending_.empty()) return false;
  const bool preferred = std::all_of(live_legs_.begin(), live_legs_.end(),
                                     [&](const auto& l) { return l.second >= preference; });
  if (preferred) return true;
  const std::uint64_t backlog = std::min<std::uint64_t>(4ull << 20, window_bytes_ / 4);
  if (pending_bytes_ >= backlog) return true;
  const auto& oldest = entries_[*pending_.begin() - base_seq_];
  return std::chrono::steady_clock::now() - oldest.pending_since >= kSpillAfter;
}

std::optional<SendQueue::Taken> SendQueue::take(std::uint32_t leg, std::uint32_t preference) {
  std::lock_guard lock(mutex_);
  live_legs_[leg] = preference;
  Entry* e = nullptr;
  if (auto it = handoff_.find(leg); it != handoff_.end()) {
    e = entry(it->second);
    handoff_.erase(it);
    if (e && e->leg != leg) e = nullptr;  // acked or requeued meanwhile
  }
  if (!e && may_take_locked(preference)) e = &take_pending_locked();
  if (!e) return std::nullopt;
  e->leg = leg;
  const bool resend = e->sends++ > 0;
  return Taken{e->frame, resend};
}

void SendQueue::wait_for_work(std::uint32_t leg, std::uint32_t preference, Wakeup* wakeup) {
  std::lock_guard lock(mutex_);
  std::erase_if(waiters_, [leg](const Waiter& w) { return w.leg == leg; });
  waiters_.push_back({preference, leg, wakeup});
  live_legs_[leg] = preference;
  hand_out_locked();
}

void SendQueue::cancel_wait(std::uint32_t leg) {
  std::lock_guard lock(mutex_);
  std::erase_if(waiters_, [leg](const Waiter& w) { return w.leg == leg; });
}

void SendQueue::hand_out_locked() {
  while (!pending_.empty() && !waiters_.empty()) {
    auto best =
        std::min_element(waiters_.begin(), waiters_.end(), [](const auto& a, const auto& b) {
          return std::tie(a.preference, a.leg) < std::tie(b.preference, b.leg);
        });
    if (!may_take_locked(best->preference)) return;  // the preferred legs will take it
    Entry& e = take_pending_locked();
    e.leg = best->leg;
    handoff_[best->leg] = e.frame->header.seq;
    best->wakeup->notify();
    waiters_.erase(best);
  }
}

std::size_t SendQueue::requeue(std::uint32_t leg) {
  std::lock_guard lock(mutex_);
  handoff_.erase(leg);
  live_legs_.erase(leg);
  std::erase_if(waiters_, [leg](const Waiter& w) { return w.leg == leg; });
  std::size_t n = 0;
  for (auto& e : entries_) {
    if (e.leg == leg) {
      make_pending_locked(e);
      ++n;
    }
  }
  hand_out_locked();
  return n;
}

std::size_t SendQueue::outstanding(std::uint32_t leg) const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(std::count_if(entries_.begin(), entries_.end(),
                                                [leg](const Entry& e) { return e.leg == leg; }));
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
  if (freed) room_.notify_all();
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
