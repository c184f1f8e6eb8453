#include "rx/reassembler.hpp"

#include <gtest/gtest.h>

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
  Reassembler r(100);
  EXPECT_EQ(r.insert(make(pool, 20, 10)), Reassembler::Insert::too_far_ahead);  // offset 200
  EXPECT_EQ(r.insert(make(pool, 10, 10)), Reassembler::Insert::accepted);       // offset 100
}

TEST(Reassembler, WriterWaitsForTheMissingFrame) {
  BufferPool pool(0);
  Reassembler r(1 << 20);
  r.insert(make(pool, 1, 10, true));
  std::optional<InFrame> got;
  std::thread writer([&] { got = r.next(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  const auto gap = r.gap();  // the writer waits for frame 0, frame 1 is there
  ASSERT_TRUE(gap);
  EXPECT_EQ(gap->seq, 0u);
  EXPECT_EQ(gap->frames_behind, 1u);
  EXPECT_EQ(gap->bytes_behind, 10u);
  EXPECT_GE(gap->waited, std::chrono::milliseconds(20));
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
