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

TEST(SendQueue, FramesStillInTheSidechainCountAgainstTheWindow) {
  BufferPool pool(0);
  SendQueue q(200);
  q.push(frame(pool, 0, 100));
  q.reserve(100);  // frame 1 is being compressed
  std::atomic<bool> got_room{false};
  std::thread reader([&] { got_room = q.wait_for_room(100); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(got_room.load());  // 100 held + 100 on the way: no room for a third
  q.push(frame(pool, 1, 100), /*reserved=*/true);
  EXPECT_EQ(q.held_bytes(), 200u);
  q.on_ack(1);
  reader.join();
  EXPECT_TRUE(got_room.load());
  EXPECT_EQ(q.held_bytes(), 100u);
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

TEST(SendQueue, AFrameHandedToALegThatStopsTakingGoesToAnother) {
  asio::io_context io;
  BufferPool pool(0);
  SendQueue q(1000);
  Wakeup w3(io.get_executor()), w4(io.get_executor());
  q.wait_for_work(/*leg=*/3, /*preference=*/0, &w3);
  q.push(frame(pool, 0, 10));  // handed to leg 3 while it sleeps
  EXPECT_EQ(q.outstanding(3), 1u);
  q.stop_taking(3);  // ...which wakes up to drain instead of sending it
  EXPECT_EQ(q.outstanding(3), 0u);
  q.wait_for_work(/*leg=*/4, /*preference=*/0, &w4);
  auto t = q.take(4, 0);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->frame->header.seq, 0u);
  EXPECT_FALSE(t->resend);  // it never left
}

TEST(SendQueue, AHedgedFrameGoesOutOnAnotherLeg) {
  BufferPool pool(0);
  SendQueue q(1000);
  q.push(frame(pool, 0, 100));
  q.push(frame(pool, 1, 100));
  ASSERT_TRUE(q.take(1, 0));  // frame 0 on leg 1
  ASSERT_TRUE(q.take(2, 0));  // frame 1 on leg 2
  auto held = q.front_held(8);
  ASSERT_EQ(held.size(), 2u);
  EXPECT_EQ(held[0].seq, 0u);
  EXPECT_EQ(held[0].leg, 1u);
  EXPECT_TRUE(q.hedge(0, 1));
  EXPECT_FALSE(q.hedge(0, 1));  // leg 1 no longer holds it
  EXPECT_EQ(q.outstanding(1), 0u);
  EXPECT_FALSE(q.take(1, 0));  // leg 1 has its copy in the socket already
  auto t = q.take(3, 0);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->frame->header.seq, 0u);
  EXPECT_TRUE(t->resend);
  q.on_ack(1);
  EXPECT_FALSE(q.hedge(1, 1));  // not leg 1's
  EXPECT_EQ(q.front_held(8).size(), 1u);
}

// A frame a rate limit held back is not late: the wait leaves its age (which decides hedging).
TEST(SendQueue, TimeHeldBackForARateLimitIsNotAge) {
  using namespace std::chrono_literals;
  BufferPool pool(0);
  SendQueue q(1000);
  q.push(frame(pool, 0, 100));
  ASSERT_TRUE(q.take(1, 0));
  std::this_thread::sleep_for(20ms);  // the frame's age has to be real time to be taken away
  q.held_back(2, 0, 1h);              // not leg 2's frame: nothing changes
  EXPECT_GE(q.front_held(1).at(0).out_for, 20ms);
  q.held_back(1, 0, 1h);  // more than its age: the age starts again from 0, never negative
  const auto age = q.front_held(1).at(0).out_for;
  EXPECT_GE(age, std::chrono::steady_clock::duration::zero());
  EXPECT_LT(age, 20ms);
  EXPECT_LT(q.head()->out_for, 20ms);
}

TEST(SendQueue, TheLegAHedgeAvoidedMayTakeItOnceItReconnected) {
  BufferPool pool(0);
  SendQueue q(1000);
  q.push(frame(pool, 0, 100));
  ASSERT_TRUE(q.take(1, 0));
  ASSERT_TRUE(q.hedge(0, 1));
  EXPECT_EQ(q.requeue(1), 0u);  // its copy died with the connection
  auto t = q.take(1, 0);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->frame->header.seq, 0u);
}

TEST(SendQueue, AFrameHandedOverButNotSentIsNotHeld) {
  asio::io_context io;
  BufferPool pool(0);
  SendQueue q(1000);
  Wakeup w(io.get_executor());
  q.wait_for_work(4, 0, &w);
  q.push(frame(pool, 0, 100));  // handed to leg 4, which has not woken up yet
  EXPECT_TRUE(q.front_held(8).empty());
  ASSERT_TRUE(q.head());
  EXPECT_EQ(q.head()->out_for, std::chrono::steady_clock::duration{});
  ASSERT_TRUE(q.take(4, 0));
  EXPECT_EQ(q.front_held(8).size(), 1u);
}

TEST(SendQueue, WindowFullWhileTheReaderWaits) {
  BufferPool pool(0);
  SendQueue q(150);
  q.push(frame(pool, 0, 100));
  EXPECT_FALSE(q.window_full());
  std::thread reader([&] { q.wait_for_room(100); });
  while (!q.window_full()) std::this_thread::yield();
  q.on_ack(1);
  reader.join();
  EXPECT_FALSE(q.window_full());
}

TEST(SendQueue, AGracefullyClosedLegsFramesAreParkedNotResent) {
  BufferPool pool(0);
  SendQueue q(1000);
  for (std::uint64_t s = 0; s < 3; ++s) q.push(frame(pool, s, 100));
  ASSERT_TRUE(q.take(1, 0));  // 0
  ASSERT_TRUE(q.take(2, 0));  // 1
  ASSERT_TRUE(q.take(2, 0));  // 2
  EXPECT_EQ(q.park(2), 2u);
  EXPECT_EQ(q.outstanding(2), 0u);
  EXPECT_FALSE(q.take(3, 0));                 // nothing to resend
  EXPECT_TRUE(q.front_held(8).size() == 1u);  // frame 0, still on leg 1
  q.on_ack(3);
  EXPECT_EQ(q.held_bytes(), 0u);
}

TEST(SendQueue, AParkedHeadTheReceiverDoesNotWriteIsResent) {
  BufferPool pool(0);
  SendQueue q(1000);
  q.push(frame(pool, 0, 100));
  q.push(frame(pool, 1, 100));
  ASSERT_TRUE(q.take(1, 0));
  ASSERT_TRUE(q.take(1, 0));
  EXPECT_EQ(q.park(1), 2u);
  EXPECT_FALSE(q.unpark_overdue_head(std::chrono::hours(1)));
  EXPECT_TRUE(q.unpark_overdue_head(std::chrono::steady_clock::duration{}));
  auto t = q.take(2, 0);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->frame->header.seq, 0u);
  EXPECT_TRUE(t->resend);
  EXPECT_FALSE(q.take(2, 0));  // frame 1 stays parked: only the head is in doubt
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

TEST_F(FirstLinkBusy, AStalledPreferredLegDoesNotHoldTheOtherLinksBack) {
  q.set_stalled(9, true);  // its path may have gone dark: the next link is preferred
  EXPECT_EQ(q.take(5, 2)->frame->header.seq, 1u);
  q.set_stalled(9, false);  // it moves again: a small burst waits for it once more
  q.push(frame(pool, 2, 100));
  EXPECT_FALSE(q.take(5, 2));
}

TEST_F(FirstLinkBusy, AStalledLegsWaitingPeersGetItsWorkAtOnce) {
  asio::io_context io;
  Wakeup w(io.get_executor());
  q.wait_for_work(5, 2, &w);
  q.set_stalled(9, true);   // frame 1 is handed to leg 5 now, not at its next look
  q.set_stalled(9, false);  // (so it keeps it even though leg 9 moves again)
  EXPECT_EQ(q.take(5, 2)->frame->header.seq, 1u);
}

// Two legs on one link: leg 0 carries 1000 B/s, leg 1 only 120 B/s (both one-way 0).
class UnequalLegs : public ::testing::Test {
 protected:
  void SetUp() override {
    for (std::uint64_t s = 0; s < 12; ++s) q.push(frame(pool, s, 100));
    q.set_leg_speed(0, LegSpeed{1000, 0});
    q.set_leg_speed(1, LegSpeed{120, 0});
  }
  BufferPool pool{0};
  SendQueue q{100000};
};

TEST_F(UnequalLegs, TheSlowLegTakesAFrameFarEnoughAhead) {
  ASSERT_EQ(q.take(0, 0)->frame->header.seq, 0u);  // the fast leg: the lowest
  // The slow leg needs 0.83 s for a frame; the fast one, busy for 0.1 s, has frame 1 there at
  // 0.2 s. 0.63 s behind at 1000 B/s: 633 bytes of pending frames go to the fast leg first.
  auto slow = q.take(1, 0);
  ASSERT_TRUE(slow);
  EXPECT_EQ(slow->frame->header.seq, 8u);  // frames 1-7 skipped
  EXPECT_EQ(q.take(0, 0)->frame->header.seq, 1u);
}

TEST(SendQueue, ASlowLegWaitsWhenTheWindowDoesNotReachFarEnough) {
  BufferPool pool(0);
  SendQueue q(100000);
  for (std::uint64_t s = 0; s < 8; ++s) q.push(frame(pool, s, 100));
  q.set_leg_speed(0, LegSpeed{1000, 0});
  q.set_leg_speed(1, LegSpeed{90, 0});
  ASSERT_EQ(q.take(0, 0)->frame->header.seq, 0u);
  EXPECT_FALSE(q.take(1, 0));  // 700 pending bytes < the 911 it would need to skip
  EXPECT_EQ(q.take(0, 0)->frame->header.seq, 1u);
}

TEST_F(UnequalLegs, SpeedsWithinTheMarginTakeTheLowest) {
  q.set_leg_speed(1, LegSpeed{1000 / SendQueue::kSlower * 1.05, 0});
  ASSERT_EQ(q.take(1, 0)->frame->header.seq, 0u);
  ASSERT_EQ(q.take(0, 0)->frame->header.seq, 1u);
}

TEST_F(UnequalLegs, ResendsGoToWhoeverIsFree) {
  ASSERT_EQ(q.take(0, 0)->frame->header.seq, 0u);
  ASSERT_EQ(q.requeue(0), 1u);
  auto again = q.take(1, 0);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->frame->header.seq, 0u);
  EXPECT_TRUE(again->resend);
}

TEST_F(UnequalLegs, ALegOfUnknownSpeedTakesTheLowest) {
  ASSERT_EQ(q.take(7, 0)->frame->header.seq, 0u);
}

TEST_F(UnequalLegs, WhatTheLegShouldNeedTravelsWithTheFrame) {
  ASSERT_TRUE(q.take(0, 0));
  const auto held = q.front_held(8);
  ASSERT_EQ(held.size(), 1u);
  EXPECT_DOUBLE_EQ(held[0].expected_seconds, 0.1);
  EXPECT_EQ(q.slowest_bytes_per_second(), 1000.0);  // leg 1 never asked for work: not live
  ASSERT_TRUE(q.take(1, 0));
  EXPECT_EQ(q.slowest_bytes_per_second(), 120.0);
}

TEST_F(UnequalLegs, TheQuickestIdleLegIsAWaitingOneOfKnownSpeed) {
  asio::io_context io;
  Wakeup w0(io.get_executor()), w1(io.get_executor()), w7(io.get_executor());
  EXPECT_FALSE(q.quickest_idle_seconds(100, 9));                         // nobody waits
  for (std::uint64_t s = 0; s < 12; ++s) ASSERT_TRUE(q.take(s % 2, 0));  // nothing left
  q.wait_for_work(1, 0, &w1);
  q.wait_for_work(7, 0, &w7);  // speed unknown: not counted
  ASSERT_TRUE(q.quickest_idle_seconds(120, 9));
  EXPECT_DOUBLE_EQ(*q.quickest_idle_seconds(120, 9), 1.0);
  q.wait_for_work(0, 0, &w0);
  EXPECT_DOUBLE_EQ(*q.quickest_idle_seconds(120, 9), 0.12);
  EXPECT_DOUBLE_EQ(*q.quickest_idle_seconds(120, 0), 1.0);  // not the frame's own leg
  q.set_stalled(0, true);
  EXPECT_DOUBLE_EQ(*q.quickest_idle_seconds(120, 9), 1.0);
}

// A window of 150 bytes; frame 0 (100 bytes) is out on leg 1 and leg 2 waits for work.
class ALegWaitsForWork : public ::testing::Test {
 protected:
  void hand_out(std::uint8_t flags) {
    auto f = std::make_shared<OutFrame>();
    f->header.length = 100;
    f->header.flags = flags;
    f->payload = pool.get(100);
    q.push(f);
    ASSERT_TRUE(q.take(1, 0));
    q.wait_for_work(2, 0, &wakeup);
  }
  BufferPool pool{0};
  SendQueue q{150};
  asio::io_context io;
  Wakeup wakeup{io.get_executor()};
};

TEST_F(ALegWaitsForWork, StarvedWhenTheReaderWaitsForRoom) {
  hand_out(0);
  EXPECT_FALSE(q.starved());  // the reader does not wait: there is room for more
  std::thread reader([&] { q.wait_for_room(100); });
  while (!q.starved()) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  q.on_ack(1);
  reader.join();
  EXPECT_FALSE(q.starved());
  EXPECT_GE(q.reorder_stall_seconds(), 0.02);
}

TEST_F(ALegWaitsForWork, StarvedAtTheEndOfTheStreamWhileTheLastFramesAreOut) {
  hand_out(static_cast<std::uint8_t>(wire::FrameFlag::last));
  EXPECT_TRUE(q.starved());
  q.on_ack(1);
  q.cancel_wait(2);
  EXPECT_FALSE(q.starved());
}

}  // namespace
}  // namespace vmp
