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
  entries_.push_back({std::move(frame), std::nullopt, 0});
  pending_.insert(seq);
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

std::optional<SendQueue::Taken> SendQueue::take(std::uint32_t leg) {
  std::lock_guard lock(mutex_);
  Entry* e = nullptr;
  if (auto it = handoff_.find(leg); it != handoff_.end()) {
    e = entry(it->second);
    handoff_.erase(it);
    if (e && e->leg != leg) e = nullptr;  // acked or requeued meanwhile
  }
  if (!e && !pending_.empty()) {
    e = entry(*pending_.begin());
    pending_.erase(pending_.begin());
  }
  if (!e) return std::nullopt;
  e->leg = leg;
  const bool resend = e->sends++ > 0;
  return Taken{e->frame, resend};
}

void SendQueue::wait_for_work(std::uint32_t leg, std::uint32_t preference, Wakeup* wakeup) {
  std::lock_guard lock(mutex_);
  std::erase_if(waiters_, [leg](const Waiter& w) { return w.leg == leg; });
  waiters_.push_back({preference, leg, wakeup});
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
    const auto seq = *pending_.begin();
    pending_.erase(pending_.begin());
    entry(seq)->leg = best->leg;
    handoff_[best->leg] = seq;
    best->wakeup->notify();
    waiters_.erase(best);
  }
}

std::size_t SendQueue::requeue(std::uint32_t leg) {
  std::lock_guard lock(mutex_);
  handoff_.erase(leg);
  std::erase_if(waiters_, [leg](const Waiter& w) { return w.leg == leg; });
  std::size_t n = 0;
  for (auto& e : entries_) {
    if (e.leg == leg) {
      e.leg.reset();
      pending_.insert(e.frame->header.seq);
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
    pending_.erase(base_seq_);
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
