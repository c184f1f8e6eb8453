// The delay line of vmp-linkemu, in its own header so it can be unit-tested.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace vmp::rig {

// The delay line: a FIFO of variable-sized records in one preallocated ring of bytes.
// Records are 16-byte aligned and never wrap; a record that does not fit before the end of the
// ring leaves a wrap marker and starts again at offset 0. FIFO order is what a real link does
// with constant delay, and it lets sendmmsg send straight out of the ring.
class DelayLine {
 public:
  struct Header {
    int64_t due_ns;
    uint32_t len;  // payload bytes; kWrap marks "continue at offset 0"
    uint32_t reserved;
  };
  static_assert(sizeof(Header) == 16);
  static constexpr uint32_t kWrap = UINT32_MAX;

  explicit DelayLine(size_t capacity) : buf_(round_up(capacity)) {}

  // Reserves room for a packet of len bytes due at due_ns; nullptr when the line is full.
  std::byte* push(int64_t due_ns, uint32_t len) {
    const size_t need = round_up(sizeof(Header) + len);
    if (need > buf_.size()) return nullptr;
    if (count_ == 0) head_ = tail_ = 0;  // empty: start over for maximal contiguous room
    if (count_ > 0 && tail_ <= head_) {
      // Wrapped: the only free bytes are [tail_, head_).
      if (tail_ + need > head_) return nullptr;
    } else if (tail_ + need > buf_.size()) {
      // Not enough room before the end: continue at offset 0 if the reader has moved past it.
      if (need > head_) return nullptr;
      if (tail_ < buf_.size()) write_header(tail_, Header{0, kWrap, 0});
      tail_ = 0;
    }
    write_header(tail_, Header{due_ns, len, 0});
    std::byte* data = buf_.data() + tail_ + sizeof(Header);
    tail_ += need;
    ++count_;
    return data;
  }

  [[nodiscard]] bool empty() const { return count_ == 0; }
  [[nodiscard]] size_t size() const { return count_; }

  // Header of the record at position `pos` (pos from begin()/next()).
  [[nodiscard]] Header header_at(size_t pos) const {
    Header h{};
    std::memcpy(&h, buf_.data() + pos, sizeof h);
    return h;
  }
  std::byte* data_at(size_t pos) { return buf_.data() + pos + sizeof(Header); }

  // Position of the oldest record (skipping a wrap marker). Only valid when !empty().
  [[nodiscard]] size_t begin() const { return normalise(head_); }
  // Position of the record after the one at pos. Only valid if that record exists.
  [[nodiscard]] size_t next(size_t pos) const {
    return normalise(pos + round_up(sizeof(Header) + header_at(pos).len));
  }

  void pop() {
    head_ = next(begin());
    --count_;
  }

 private:
  static size_t round_up(size_t n) { return (n + 15) & ~size_t{15}; }
  void write_header(size_t pos, const Header& h) { std::memcpy(buf_.data() + pos, &h, sizeof h); }
  [[nodiscard]] size_t normalise(size_t pos) const {
    if (pos >= buf_.size() || header_at(pos).len == kWrap) return 0;
    return pos;
  }

  std::vector<std::byte> buf_;
  size_t head_ = 0;   // oldest record (or wrap marker before it)
  size_t tail_ = 0;   // where the next record goes
  size_t count_ = 0;  // records held
};

}  // namespace vmp::rig
