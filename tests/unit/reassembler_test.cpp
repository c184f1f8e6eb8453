#include "rx/reassembler.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace vmp {
namespace {

InFrame make(BufferPool& pool, std::uint64_t seq, std::uint32_t len, bool last = false) {
  InFrame f;
  f.seq = seq;
  f.offset = seq * len;
  f.length = len;
  f.last = last;
  f.payload = pool.get(len);
  return f;
}

// A header only (no payload): what the checks look at.
InFrame at(std::uint64_t seq, std::uint64_t offset, std::uint32_t length) {
  InFrame f;
  f.seq = seq;
  f.offset = offset;
  f.length = length;
  return f;
}

TEST(Reassembler, ReordersAndDropsDuplicates) {
  BufferPool pool(0);
  Reassembler r(1 << 20);
  EXPECT_EQ(r.insert(make(pool, 2, 10, true)), Reassembler::Insert::accepted);
  EXPECT_EQ(r.insert(make(pool, 1, 10)), Reassembler::Insert::accepted);
  EXPECT_EQ(r.insert(make(pool, 1, 10)), Reassembler::Insert::duplicate);
  EXPECT_EQ(r.insert(make(pool, 0, 10)), Reassembler::Insert::accepted);
  EXPECT_EQ(r.buffered_bytes(), 30u);
  for (std::uint64_t s = 0; s < 3; ++s) {
    auto f = r.next();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->seq, s);
  }
  EXPECT_FALSE(r.next());  // after the last frame
  EXPECT_EQ(r.insert(make(pool, 0, 10)), Reassembler::Insert::duplicate);
  EXPECT_EQ(r.duplicates(), 2u);
}

TEST(Reassembler, RefusesFramesBeyondTheWindow) {
  BufferPool pool(0);
  Reassembler r(1000);
  EXPECT_EQ(r.insert(make(pool, 20, 100)), Reassembler::Insert::too_far_ahead);  // ends at 2100
  EXPECT_EQ(r.insert(make(pool, 10, 100)), Reassembler::Insert::too_far_ahead);  // ends at 1100
  EXPECT_EQ(r.insert(make(pool, 9, 100)), Reassembler::Insert::accepted);        // ends at 1000
}

// Issue 16: frames with far-ahead sequence numbers and offset 0 were admitted by offset alone.
TEST(Reassembler, FarAheadSequenceNumbersAreRefusedByTheHeaderAlone) {
  BufferPool pool(0);
  Reassembler r(1 << 20);
  for (std::uint64_t i = 0; i < 128; ++i) {
    EXPECT_EQ(r.check((1ULL << 40) + i, 0, 16 << 20, false), Reassembler::Insert::inconsistent);
    EXPECT_EQ(r.check((1ULL << 40) + i, 1ULL << 41, 1000, false),
              Reassembler::Insert::too_far_ahead);
  }
  EXPECT_EQ(r.buffered_bytes(), 0u);
}

TEST(Reassembler, HoldsAtMostTheWindowWhateverItIsSent) {
  BufferPool pool(0);
  const std::uint64_t window = 1 << 20;
  Reassembler r(window);
  // Frame 0 never comes; everything else a stranger could claim fills at most the window.
  std::uint64_t accepted = 0;
  for (std::uint64_t seq = 1; seq < 10000; ++seq) {
    if (r.insert(at(seq, seq * 1000, 1000)) == Reassembler::Insert::accepted) ++accepted;
  }
  EXPECT_GT(accepted, 0u);
  EXPECT_LE(r.buffered_bytes(), window);
  EXPECT_LE(r.held_cost(), window + window / 32);
}

TEST(Reassembler, OffsetsMustAddUp) {
  BufferPool pool(0);
  Reassembler r(1 << 20);
  EXPECT_EQ(r.insert(make(pool, 0, 10)), Reassembler::Insert::accepted);
  // The next frame must start where frame 0 ends.
  EXPECT_EQ(r.insert(at(1, 11, 10)), Reassembler::Insert::inconsistent);
  // Frame 3 at 30 is plausible; frame 2 must then end exactly there.
  EXPECT_EQ(r.insert(make(pool, 3, 10)), Reassembler::Insert::accepted);
  EXPECT_EQ(r.insert(at(2, 20, 5)), Reassembler::Insert::inconsistent);
  // Fewer bytes ahead than frames ahead: impossible.
  EXPECT_EQ(r.check(100, 50, 10, false), Reassembler::Insert::inconsistent);
  // Only the end of a stream may be empty.
  EXPECT_EQ(r.check(5, 50, 0, false), Reassembler::Insert::inconsistent);
}

// Found by fuzz_reassembler: frames that are not neighbours could claim overlapping bytes, so
// together they held more than the window.
TEST(Reassembler, HeldFramesNeverOverlapSoTheyFitTheWindow) {
  Reassembler r(5855);
  auto frame = [](std::uint64_t seq, std::uint64_t offset, std::uint32_t length) {
    InFrame f;
    f.seq = seq;
    f.offset = offset;
    f.length = length;
    return f;
  };
  EXPECT_EQ(r.insert(frame(7, 7, 2313)), Reassembler::Insert::accepted);
  EXPECT_EQ(r.insert(frame(3, 3, 3591)), Reassembler::Insert::inconsistent);  // ends past 7
  EXPECT_EQ(r.insert(frame(3, 3, 1)), Reassembler::Insert::accepted);         // room for 4, 5, 6
  EXPECT_LE(r.buffered_bytes(), 5855u);
}

TEST(Reassembler, NothingFollowsTheLastFrame) {
  BufferPool pool(0);
  Reassembler r(1 << 20);
  EXPECT_EQ(r.insert(make(pool, 2, 10, true)), Reassembler::Insert::accepted);
  EXPECT_EQ(r.check(3, 30, 10, false), Reassembler::Insert::inconsistent);
  EXPECT_EQ(r.insert(make(pool, 4, 10)), Reassembler::Insert::inconsistent);
  // And a frame flagged last cannot come before frames already held.
  Reassembler r2(1 << 20);
  EXPECT_EQ(r2.insert(make(pool, 5, 10)), Reassembler::Insert::accepted);
  EXPECT_EQ(r2.check(3, 30, 10, true), Reassembler::Insert::inconsistent);
}

TEST(Reassembler, ACopyUnlikeTheHeldFrameConflicts) {
  BufferPool pool(0);
  Reassembler r(1 << 20);
  EXPECT_EQ(r.insert(make(pool, 1, 10)), Reassembler::Insert::accepted);
  EXPECT_EQ(r.insert(make(pool, 1, 10)), Reassembler::Insert::duplicate);
  EXPECT_EQ(r.insert(make(pool, 1, 10, true)), Reassembler::Insert::conflicting);
  EXPECT_EQ(r.check(1, 10, 9, false), Reassembler::Insert::conflicting);
}

TEST(Reassembler, WriterWaitsForTheMissingFrame) {
  BufferPool pool(0);
  Reassembler r(1 << 20);
  r.insert(make(pool, 1, 10, true));
  std::optional<InFrame> got;
  std::thread writer([&] { got = r.next(); });
  // Until the writer thread is scheduled there is no gap; a loaded machine may take a while.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!r.gap() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  // Its wait began before we saw it, so it has waited at least as long as we sleep now.
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  const auto gap = r.gap();  // the writer waits for frame 0, frame 1 is there
  ASSERT_TRUE(gap);
  EXPECT_EQ(gap->seq, 0u);
  EXPECT_EQ(gap->frames_behind, 1u);
  EXPECT_EQ(gap->bytes_behind, 10u);
  EXPECT_GE(gap->waited, std::chrono::milliseconds(30));
  r.insert(make(pool, 0, 10));
  writer.join();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->seq, 0u);
  EXPECT_FALSE(r.gap());
}

TEST(Reassembler, CloseReleasesTheWriter) {
  Reassembler r(100);
  std::thread writer([&] { EXPECT_FALSE(r.next()); });
  r.close();
  writer.join();
}

}  // namespace
}  // namespace vmp
