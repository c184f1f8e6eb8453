#include "rx/reassembler.hpp"

namespace vmp {

Reassembler::Insert Reassembler::insert(InFrame frame) {
  std::lock_guard lock(mutex_);
  if (frame.seq < next_seq_ || pending_.contains(frame.seq)) {
    ++duplicates_;
    return Insert::duplicate;
  }
  if (frame.offset > next_offset_ + max_ahead_bytes_) return Insert::too_far_ahead;
  buffered_ += frame.length;
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
