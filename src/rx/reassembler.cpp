#include "rx/reassembler.hpp"

#include <iterator>

namespace vmp {

Reassembler::Insert Reassembler::check(std::uint64_t seq, std::uint64_t offset,
                                       std::uint32_t length, bool last) const {
  std::lock_guard lock(mutex_);
  return check_locked(seq, offset, length, last);
}

Reassembler::Insert Reassembler::check_locked(std::uint64_t seq, std::uint64_t offset,
                                              std::uint32_t length, bool last) const {
  if (seq < next_seq_) return Insert::duplicate;
  if (auto held = pending_.find(seq); held != pending_.end()) {
    const InFrame& f = held->second;
    const bool same = f.offset == offset && f.length == length && f.last == last;
    return same ? Insert::duplicate : Insert::conflicting;
  }
  if (last_seq_ && seq > *last_seq_) return Insert::inconsistent;
  if (last && !pending_.empty() && pending_.rbegin()->first > seq) return Insert::inconsistent;
  if (length == 0 && !last) return Insert::inconsistent;  // only an empty stream's end is empty
  // Every frame between the writer and this one holds at least one byte.
  if (offset < next_offset_ || offset - next_offset_ < seq - next_seq_) return Insert::inconsistent;
  if (seq == next_seq_ && offset != next_offset_) return Insert::inconsistent;
  // Ends beyond the window, or would hold more than the window allows: a transmitter that
  // keeps to the window it was told never sends this (seq is bounded by the offset rule).
  if (offset - next_offset_ > window_ || offset - next_offset_ + length > window_)
    return Insert::too_far_ahead;
  if (cost_ + length + kFrameCost > budget_) return Insert::too_far_ahead;
  // Against the nearest frames held on either side: the bytes claimed must leave at least one
  // byte for every frame in between (exactly none when they are neighbours). So held frames
  // never overlap, and all of them fit in the window together.
  const auto after = pending_.upper_bound(seq);
  if (after != pending_.end()) {
    const auto between = after->first - seq - 1;
    const auto end = offset + length + between;
    if (between == 0 ? end != after->second.offset : end > after->second.offset)
      return Insert::inconsistent;
  }
  if (after != pending_.begin()) {
    const auto before = std::prev(after);
    const auto between = seq - before->first - 1;
    const auto end = before->second.offset + before->second.length + between;
    if (between == 0 ? end != offset : end > offset) return Insert::inconsistent;
  }
  return Insert::accepted;
}

Reassembler::Insert Reassembler::insert(InFrame frame) {
  std::lock_guard lock(mutex_);
  const auto verdict = check_locked(frame.seq, frame.offset, frame.length, frame.last);
  if (verdict == Insert::duplicate) ++duplicates_;
  if (verdict != Insert::accepted) return verdict;
  buffered_ += frame.length;
  cost_ += frame.length + kFrameCost;
  if (frame.last) last_seq_ = frame.seq;
  const bool wakes_writer = frame.seq == next_seq_;
  pending_.emplace(frame.seq, std::move(frame));
  if (wakes_writer) ready_.notify_one();
  return Insert::accepted;
}

std::optional<InFrame> Reassembler::next() {
  std::unique_lock lock(mutex_);
  auto available = [&] {
    return closed_ || saw_last_ || (!pending_.empty() && pending_.begin()->first == next_seq_);
  };
  if (!available()) {
    const auto start = std::chrono::steady_clock::now();
    waiting_since_ = start;
    ready_.wait(lock, available);
    waiting_since_.reset();
    stalled_ += std::chrono::steady_clock::now() - start;
  }
  if (closed_ || saw_last_) return std::nullopt;
  auto node = pending_.extract(pending_.begin());
  InFrame f = std::move(node.mapped());
  buffered_ -= f.length;
  cost_ -= f.length + kFrameCost;
  ++next_seq_;
  next_offset_ += f.length;
  saw_last_ = f.last;
  return f;
}

void Reassembler::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  ready_.notify_all();
}

std::uint64_t Reassembler::next_seq() const {
  std::lock_guard lock(mutex_);
  return next_seq_;
}

std::uint64_t Reassembler::buffered_bytes() const {
  std::lock_guard lock(mutex_);
  return buffered_;
}

std::uint64_t Reassembler::held_cost() const {
  std::lock_guard lock(mutex_);
  return cost_;
}

std::uint64_t Reassembler::duplicates() const {
  std::lock_guard lock(mutex_);
  return duplicates_;
}

std::optional<Reassembler::Gap> Reassembler::gap() const {
  std::lock_guard lock(mutex_);
  if (!waiting_since_) return std::nullopt;
  return Gap{next_seq_, std::chrono::steady_clock::now() - *waiting_since_, pending_.size(),
             buffered_};
}

double Reassembler::stall_seconds() const {
  std::lock_guard lock(mutex_);
  return std::chrono::duration<double>(stalled_).count();
}

}  // namespace vmp
