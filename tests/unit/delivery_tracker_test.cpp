#include "tx/delivery_tracker.hpp"

#include <gtest/gtest.h>

namespace vmp {
namespace {

TEST(DeliveryTracker, AFrameIsInFlightUntilItsLastByteIsAcked) {
  DeliveryTracker t;
  t.reset(32);      // hello
  t.sent(7, 1000);  // bytes 32..1032
  t.sent(9, 500);   // bytes 1032..1532
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

TEST(DeliveryTracker, ANewConnectionForgetsTheOldOne) {
  DeliveryTracker t;
  t.reset(32);
  t.sent(1, 100);
  t.reset(32);
  EXPECT_FALSE(t.in_flight(1));
  t.sent(2, 100);
  t.acked(100);  // the hello and part of frame 2
  EXPECT_TRUE(t.in_flight(2));
  t.acked(132);
  EXPECT_FALSE(t.in_flight(2));
}

}  // namespace
}  // namespace vmp
