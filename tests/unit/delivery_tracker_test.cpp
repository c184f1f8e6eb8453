#include "tx/delivery_tracker.hpp"

#include <gtest/gtest.h>

namespace vmp {
namespace {

// writing() then sent(): the frame went into the socket whole.
void put(DeliveryTracker& t, std::uint64_t seq, std::uint64_t bytes, std::uint64_t raw = 0) {
  t.writing(seq, bytes, raw);
  t.sent(seq);
}

TEST(DeliveryTracker, AFrameIsInFlightUntilItsLastByteIsAcked) {
  DeliveryTracker t;
  t.reset(32);      // hello
  put(t, 7, 1000);  // bytes 32..1032
  put(t, 9, 500);   // bytes 1032..1532
  t.acked(1031);
  EXPECT_TRUE(t.in_flight(7));
  EXPECT_TRUE(t.in_flight(9));
  t.acked(1032);
  EXPECT_FALSE(t.in_flight(7));
  EXPECT_TRUE(t.in_flight(9));
  EXPECT_EQ(t.frames_in_flight(), 1u);
  t.acked(5000);
  EXPECT_FALSE(t.in_flight(9));
}

TEST(DeliveryTracker, WhatIsLeftToDeliverUpToAFrame) {
  DeliveryTracker t;
  t.reset(32);
  put(t, 7, 1000);                         // bytes 32..1032
  put(t, 9, 500);                          // bytes 1032..1532
  EXPECT_EQ(t.unacked_through(7), 1032u);  // the hello is not acknowledged yet either
  t.acked(32);
  EXPECT_EQ(t.unacked_through(7), 1000u);
  EXPECT_EQ(t.unacked_through(9), 1500u);  // frame 7 goes first on this connection
  t.acked(532);
  EXPECT_EQ(t.unacked_through(7), 500u);
  EXPECT_EQ(t.unacked_through(9), 1000u);
  t.acked(1032);
  EXPECT_FALSE(t.unacked_through(7));  // acknowledged in full: no longer on the leg
  EXPECT_EQ(t.unacked_through(9), 500u);
  EXPECT_FALSE(t.unacked_through(8));
  t.reset(32);
  put(t, 9, 500);  // a new connection counts from its own start
  t.acked(32);
  EXPECT_EQ(t.unacked_through(9), 500u);
}

TEST(DeliveryTracker, ANewConnectionForgetsTheOldOne) {
  DeliveryTracker t;
  t.reset(32);
  put(t, 1, 100, 100);
  t.acked(132);
  EXPECT_EQ(t.raw_acked(), 100u);
  t.reset(32);
  EXPECT_FALSE(t.in_flight(1));
  EXPECT_EQ(t.raw_acked(), 0u);
  EXPECT_EQ(t.seq_acked(), 0u);
  put(t, 2, 100);
  t.acked(100);  // the hello and part of frame 2
  EXPECT_TRUE(t.in_flight(2));
  t.acked(132);
  EXPECT_FALSE(t.in_flight(2));
}

// A frame still being written is not "in flight" (hedging looks only at written frames), but
// what TCP acknowledged of it counts already.
TEST(DeliveryTracker, AFrameBeingWrittenCountsAsItsBytesAreAcked) {
  DeliveryTracker t;
  t.reset(0);
  t.writing(3, 1000, 4000);  // compressed 4:1
  EXPECT_FALSE(t.in_flight(3));
  EXPECT_EQ(t.frames_in_flight(), 1u);
  t.acked(250);
  EXPECT_EQ(t.raw_acked(), 1000u);
  t.acked(500);
  EXPECT_EQ(t.raw_acked(), 2000u);
  t.sent(3);
  EXPECT_TRUE(t.in_flight(3));
  EXPECT_EQ(t.seq_acked(), 0u);
  t.acked(1000);
  EXPECT_EQ(t.raw_acked(), 4000u);
  EXPECT_EQ(t.seq_acked(), 4u);
}

// Stream bytes count once: a copy carries none, and the count never goes back or overshoots.
TEST(DeliveryTracker, StreamBytesCountOnceAndOnlyForward) {
  DeliveryTracker t;
  t.reset(48);
  put(t, 5, 300, 900);
  put(t, 5, 300, 0);  // a copy of frame 5 (hedged) on the same connection
  put(t, 6, 200, 200);
  std::uint64_t last = 0;
  for (std::uint64_t acked = 0; acked <= 900; acked += 7) {
    t.acked(acked);
    EXPECT_GE(t.raw_acked(), last);
    last = t.raw_acked();
  }
  t.acked(848);
  EXPECT_EQ(t.raw_acked(), 1100u);
  EXPECT_EQ(t.seq_acked(), 7u);
}

}  // namespace
}  // namespace vmp
