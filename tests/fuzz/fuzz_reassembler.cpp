// Fuzz target: the reassembler (rx/reassembler.hpp), driven as legs and the writer drive it.
//
// The input is a window size followed by a list of operations: insert a frame near the
// writer's position (what an honest transmitter, a resend or a slightly lying peer sends),
// insert a frame with arbitrary header fields (a hostile peer), or hand the next frame to the
// writer. next() blocks while the next frame is missing, so the target keeps its own list of
// the frames it knows are held and calls next() only when the next one is among them.
//
// Invariants checked after every operation (__builtin_trap on violation):
// - check() and insert() give the same verdict for the same header;
// - what is held stays within the bounds the header documents: held_cost() <= window +
//   window/32, and buffered_bytes() is exactly the payload of the frames accepted and not yet
//   handed out (so it is bounded by the same budget);
// - buffered_bytes() <= window, as issue 16 words "holds at most --window bytes";
// - frames come out of next() in sequence order, each with its own payload, offsets
//   contiguous (a frame's offset is the sum of the lengths before it);
// - nothing is accepted after the frame flagged last has been handed out or beyond it, and
//   next() then returns nullopt at once.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

#include "rx/reassembler.hpp"
#include "util/buffer_pool.hpp"

namespace {

using vmp::InFrame;
using vmp::Reassembler;

void require(bool ok) {
  if (!ok) __builtin_trap();
}

constexpr std::uint32_t kMaxLength = 4096;

// VMP_FUZZ_TRACE=1 in the environment: print every operation (to read a reproducer).
const bool kTrace = std::getenv("VMP_FUZZ_TRACE") != nullptr;

const char* name(Reassembler::Insert v) {
  switch (v) {
    case Reassembler::Insert::accepted:
      return "accepted";
    case Reassembler::Insert::duplicate:
      return "duplicate";
    case Reassembler::Insert::too_far_ahead:
      return "too_far_ahead";
    case Reassembler::Insert::inconsistent:
      return "inconsistent";
    case Reassembler::Insert::conflicting:
      return "conflicting";
  }
  return "?";
}

vmp::BufferPool& pool() {
  static vmp::BufferPool p(0);
  return p;
}

struct Held {
  std::uint64_t offset;
  std::uint32_t length;
  bool last;
};

// A byte that ties a payload to its frame, to see that next() hands out the right one.
std::byte mark(std::uint64_t seq, std::size_t i) {
  return static_cast<std::byte>((seq * 131 + i) & 0xFF);
}

struct Model {
  explicit Model(std::uint64_t window) : r(window), window(window) {}

  Reassembler r;
  const std::uint64_t window;
  std::map<std::uint64_t, Held> held;  // accepted, not yet handed to the writer
  std::uint64_t next_seq = 0;
  std::uint64_t next_offset = 0;  // sum of the lengths handed out
  std::uint64_t held_bytes = 0;
  bool last_out = false;                  // the frame flagged last was handed out
  std::optional<std::uint64_t> last_seq;  // seq of an accepted frame flagged last

  void insert(std::uint64_t seq, std::uint64_t offset, std::uint32_t length, bool last,
              bool with_checksum) {
    const auto checked = r.check(seq, offset, length, last);
    InFrame f;
    f.seq = seq;
    f.offset = offset;
    f.length = length;
    f.last = last;
    if (with_checksum) f.checksum = seq ^ offset;
    f.payload = pool().get(length);
    for (std::size_t i = 0; i < length; ++i) f.payload.data()[i] = mark(seq, i);
    const auto verdict = r.insert(std::move(f));
    if (kTrace) {
      std::fprintf(stderr, "insert seq %llu offset %llu length %u%s: %s\n",
                   static_cast<unsigned long long>(seq), static_cast<unsigned long long>(offset),
                   length, last ? " last" : "", name(verdict));
    }
    require(verdict == checked);

    switch (verdict) {
      case Reassembler::Insert::accepted: {
        require(!last_out);
        require(seq >= next_seq);
        require(held.find(seq) == held.end());
        require(!last_seq || seq <= *last_seq);
        require(length > 0 || last);
        // Within the window, counted from the writer's position.
        require(offset >= next_offset);
        require(offset - next_offset <= window && offset - next_offset + length <= window);
        if (seq == next_seq) require(offset == next_offset);
        // Consistent with its neighbours.
        if (auto before = held.find(seq - 1); seq > 0 && before != held.end())
          require(before->second.offset + before->second.length == offset);
        if (auto after = held.find(seq + 1); after != held.end())
          require(offset + length == after->second.offset);
        if (last) {
          require(held.empty() || held.rbegin()->first < seq);
          last_seq = seq;
        }
        held.emplace(seq, Held{offset, length, last});
        held_bytes += length;
        break;
      }
      case Reassembler::Insert::duplicate: {
        if (seq >= next_seq) {
          auto it = held.find(seq);
          require(it != held.end());
          require(it->second.offset == offset && it->second.length == length &&
                  it->second.last == last);
        }
        break;
      }
      case Reassembler::Insert::conflicting: {
        auto it = held.find(seq);
        require(seq >= next_seq && it != held.end());
        break;
      }
      case Reassembler::Insert::too_far_ahead:
      case Reassembler::Insert::inconsistent:
        require(seq >= next_seq);
        require(held.find(seq) == held.end());
        break;
    }
    invariants();
  }

  void pop() {
    if (last_out) {
      require(!r.next().has_value());  // does not block after the last frame
      return;
    }
    auto it = held.find(next_seq);
    if (it == held.end()) return;  // next() would wait for a frame nobody sends
    require(r.next_seq() == next_seq);
    auto f = r.next();
    require(f.has_value());
    if (kTrace) {
      std::fprintf(stderr, "next -> seq %llu offset %llu length %u%s\n",
                   static_cast<unsigned long long>(f->seq),
                   static_cast<unsigned long long>(f->offset), f->length, f->last ? " last" : "");
    }
    require(f->seq == next_seq);
    require(f->offset == next_offset);
    require(f->offset == it->second.offset && f->length == it->second.length &&
            f->last == it->second.last);
    require(f->payload.capacity() == f->length);
    for (std::size_t i = 0; i < f->length; ++i) require(f->payload.data()[i] == mark(f->seq, i));
    held_bytes -= f->length;
    next_offset += f->length;
    ++next_seq;
    last_out = f->last;
    held.erase(it);
    require(r.next_seq() == next_seq);
    if (last_out) require(held.empty());
    invariants();
  }

  void invariants() const {
    if (kTrace) {
      std::fprintf(stderr, "  held %zu frames, buffered %llu, cost %llu\n", held.size(),
                   static_cast<unsigned long long>(r.buffered_bytes()),
                   static_cast<unsigned long long>(r.held_cost()));
    }
    const std::uint64_t budget = window + window / 32;
    require(r.held_cost() <= budget);
    require(r.held_cost() == held_bytes + held.size() * Reassembler::kFrameCost);
    require(r.buffered_bytes() == held_bytes);
    require(r.buffered_bytes() <= budget);
    require(r.buffered_bytes() <= window);  // issue 16: "at most --window bytes"
    require(r.next_seq() == next_seq);
    require(!r.gap().has_value());  // nobody waits in next()
  }

  // Where the frame after the held ones would start, as an honest transmitter would send it.
  std::uint64_t expected_offset(std::uint64_t seq) const {
    std::uint64_t off = next_offset;
    for (std::uint64_t s = next_seq; s < seq; ++s) {
      auto it = held.find(s);
      off += it != held.end() ? it->second.length : 1;
    }
    return off;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const std::uint64_t window = in.ConsumeIntegralInRange<std::uint32_t>(0, 64 * 1024);
  Model m(window);
  if (kTrace) std::fprintf(stderr, "window %llu\n", static_cast<unsigned long long>(window));
  m.invariants();
  int ops = 0;
  while (in.remaining_bytes() > 0 && ++ops < 2000) {
    switch (in.ConsumeIntegralInRange<int>(0, 7)) {
      case 0:
      case 1:
      case 2: {  // near the writer: the honest shape, with small lies
        const std::uint64_t seq = m.next_seq + in.ConsumeIntegralInRange<std::uint64_t>(0, 8);
        std::uint64_t offset = m.expected_offset(seq);
        if (in.ConsumeBool()) offset += in.ConsumeIntegralInRange<std::int64_t>(-16, 16);
        const auto length = in.ConsumeIntegralInRange<std::uint32_t>(0, kMaxLength);
        const bool last = in.ConsumeIntegralInRange<int>(0, 7) == 0;
        m.insert(seq, offset, length, last, in.ConsumeBool());
        break;
      }
      case 3: {  // resend of a held frame, possibly altered
        if (m.held.empty()) break;
        auto it = m.held.begin();
        std::advance(it, in.ConsumeIntegralInRange<std::size_t>(0, m.held.size() - 1));
        Held h = it->second;
        if (in.ConsumeBool()) h.length = in.ConsumeIntegralInRange<std::uint32_t>(0, kMaxLength);
        if (in.ConsumeBool()) h.last = !h.last;
        m.insert(it->first, h.offset, h.length, h.last, false);
        break;
      }
      case 4: {  // anything at all
        const auto seq = in.ConsumeIntegral<std::uint64_t>();
        const auto offset = in.ConsumeIntegral<std::uint64_t>();
        const auto length = in.ConsumeIntegralInRange<std::uint32_t>(0, kMaxLength);
        m.insert(seq, offset, length, in.ConsumeBool(), false);
        break;
      }
      default:
        m.pop();
        break;
    }
  }
  // Hand out whatever is in order, then close: next() returns nullopt and does not block.
  while (!m.last_out && m.held.count(m.next_seq)) m.pop();
  m.r.close();
  require(!m.r.next().has_value());
  return 0;
}
