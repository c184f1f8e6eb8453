#include "tx/send_queue.hpp"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <thread>

#include "util/wakeup.hpp"

namespace vmp {
namespace {

OutFramePtr frame(BufferPool& pool, std::uint64_t seq, std::uint32_t len) {
  auto f = std::make_shared<OutFrame>();
  f->header.seq = seq;
  f->header.offset = seq * len;
  f->header.length = len;
  f->payload = pool.get(len);
  return f;
}

TEST(SendQueue, TakesInOrderAndFreesOnAck) {
  BufferPool pool(0);
  SendQueue q(1000);
  for (std::uint64_t s = 0; s < 3; ++s) q.push(frame(pool, s, 100));
  EXPECT_EQ(q.held_bytes(), 300u);
  auto a = q.take(0, 0);
  auto b = q.take(1, 0);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->frame->header.seq, 0u);
  EXPECT_EQ(b->frame->header.seq, 1u);
  EXPECT_FALSE(a->resend);
  q.on_ack(2);
  EXPECT_EQ(q.held_bytes(), 100u);
  EXPECT_EQ(q.acked_seq(), 2u);
}

TEST(SendQueue, DeadLegFramesAreResentFirst) {
  BufferPool pool(0);
  SendQueue q(1000);
  for (std::uint64_t s = 0; s < 4; ++s) q.push(frame(pool, s, 10));
  ASSERT_EQ(q.take(7, 0)->frame->header.seq, 0u);
  ASSERT_EQ(q.take(8, 0)->frame->header.seq, 1u);
  ASSERT_EQ(q.take(7, 0)->frame->header.seq, 2u);
  EXPECT_EQ(q.outstanding(7), 2u);
  EXPECT_EQ(q.requeue(7), 2u);
  auto again = q.take(8, 0);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->frame->header.seq, 0u);  // lowest first
  EXPECT_TRUE(again->resend);
  EXPECT_EQ(q.take(8, 0)->frame->header.seq, 2u);
  EXPECT_EQ(q.take(8, 0)->frame->header.seq, 3u);
  EXPECT_FALSE(q.take(8, 0));
}

TEST(SendQueue, AckedFramesAreNotRequeued) {
  BufferPool pool(0);
  SendQueue q(1000);
  for (std::uint64_t s = 0; s < 2; ++s) q.push(frame(pool, s, 10));
  q.take(1, 0);
  q.take(1, 0);
  q.on_ack(1);
  EXPECT_EQ(q.requeue(1), 1u);
  EXPECT_EQ(q.take(2, 0)->frame->header.seq, 1u);
}

TEST(SendQueue, WindowBlocksTheReaderUntilAcked) {
  BufferPool pool(0);
  SendQueue q(200);
  q.push(frame(pool, 0, 100));
  q.push(frame(pool, 1, 100));
  std::atomic<bool> got_room{false};
  std::thread reader([&] { got_room = q.wait_for_room(100); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(got_room.load());  // still blocked: window full
  q.on_ack(1);
  reader.join();
  EXPECT_TRUE(got_room.load());
}

TEST(SendQueue, CloseReleasesABlockedReader) {
  BufferPool pool(0);
  SendQueue q(100);
  q.push(frame(pool, 0, 100));
  std::thread reader([&] { EXPECT_FALSE(q.wait_for_room(100)); });
  q.close();
  reader.join();
}

TEST(SendQueue, IdleLegsOfThePreferredLinkGetWorkFirst) {
  asio::io_context io;
  BufferPool pool(0);
  SendQueue q(1000);
  Wakeup w_late(io.get_executor()), w_early(io.get_executor());
  q.wait_for_work(/*leg=*/5, /*preference=*/2, &w_late);
  q.wait_for_work(/*leg=*/9, /*preference=*/0, &w_early);
  q.push(frame(pool, 0, 10));
  // Handed to leg 9 (link 0), not to leg 5 which waited longer on link 2.
  auto t = q.take(9, 0);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->frame->header.seq, 0u);
  EXPECT_FALSE(q.take(5, 2));
}

// Leg 9 (link 0) is busy sending frame 0; frame 1 is pending, and leg 5 (link 2) may not take
// it yet: a small burst waits for the preferred link.
class FirstLinkBusy : public ::testing::Test {
 protected:
  void SetUp() override {
    q.push(frame(pool, 0, 100));
    ASSERT_TRUE(q.take(9, 0));
    q.push(frame(pool, 1, 100));
    ASSERT_FALSE(q.take(5, 2));
  }
  BufferPool pool{0};
  SendQueue q{1000};
};

TEST_F(FirstLinkBusy, ABacklogOfAQuarterWindowIsSpillOver) {
  q.push(frame(pool, 2, 100));
  q.push(frame(pool, 3, 100));  // 300 bytes pending >= 1000 / 4
  EXPECT_EQ(q.take(5, 2)->frame->header.seq, 1u);
}

TEST_F(FirstLinkBusy, WorkThatWaitedTooLongIsSpillOver) {
  std::this_thread::sleep_for(SendQueue::kSpillAfter + std::chrono::milliseconds(20));
  EXPECT_EQ(q.take(5, 2)->frame->header.seq, 1u);
}

TEST_F(FirstLinkBusy, WhenThePreferredLegsAreGoneTheNextLinkIsPreferred) {
  EXPECT_EQ(q.requeue(9), 1u);  // leg 9 died; frame 0 is pending again
  EXPECT_EQ(q.take(5, 2)->frame->header.seq, 0u);
}

}  // namespace
}  // namespace vmp
