#include "tx/leg_speed.hpp"

#include <gtest/gtest.h>

namespace vmp {
namespace {

using namespace std::chrono_literals;

TcpInfoSample tcp(std::uint64_t acked, double rtt = 0.04, std::uint32_t unacked = 0) {
  TcpInfoSample s;
  s.valid = true;
  s.bytes_acked = acked;
  s.unacked_segments = unacked;
  s.rtt_seconds = rtt;
  s.delivery_rate_bytes_per_second = 5e9;  // a burst's rate: never the leg's speed
  return s;
}

TEST(LegSpeedMeter, UnknownUntilABusyInterval) {
  LegSpeedMeter m;
  const auto t0 = std::chrono::steady_clock::time_point{} + 1s;
  m.sample(t0, tcp(0), false);
  m.sample(t0 + 200ms, tcp(1000), true);  // idle at the start of the interval
  EXPECT_FALSE(m.speed());
  m.sample(t0 + 400ms, tcp(201000), true);
  ASSERT_TRUE(m.speed());
  EXPECT_NEAR(m.speed()->bytes_per_second, 1e6, 1);
  EXPECT_NEAR(m.speed()->one_way_seconds, 0.02, 1e-9);
  EXPECT_NEAR(m.speed()->seconds_for(1000000), 1.02, 1e-9);
}

TEST(LegSpeedMeter, SmoothsAndSkipsIdleIntervals) {
  LegSpeedMeter m;
  const auto t0 = std::chrono::steady_clock::time_point{} + 1s;
  m.sample(t0, tcp(0), true);
  m.sample(t0 + 200ms, tcp(200000), true);  // 1 MB/s
  m.sample(t0 + 400ms, tcp(200000), false);
  m.sample(t0 + 600ms, tcp(200000), false);  // idle: says nothing
  EXPECT_NEAR(m.speed()->bytes_per_second, 1e6, 1);
  m.sample(t0 + 800ms, tcp(200000), true);
  m.sample(t0 + 1000ms, tcp(600000), true);  // 2 MB/s
  EXPECT_NEAR(m.speed()->bytes_per_second, 1e6 + LegSpeedMeter::kGain * 1e6, 1);
}

TEST(LegSpeedMeter, AStuckLegIsSlowNotUnknown) {
  LegSpeedMeter m;
  const auto t0 = std::chrono::steady_clock::time_point{} + 1s;
  m.sample(t0, tcp(0), true);
  m.sample(t0 + 200ms, tcp(0), true);
  ASSERT_TRUE(m.speed());
  EXPECT_GT(m.speed()->bytes_per_second, 0);
  EXPECT_LT(m.speed()->bytes_per_second, 10000);
  m.reset();
  EXPECT_FALSE(m.speed());
}

TEST(LegSpeedMeter, StalledWhileSegmentsAreOutAndNoneIsAcknowledged) {
  LegSpeedMeter m;
  const auto t0 = std::chrono::steady_clock::time_point{} + 1s;
  m.sample(t0, tcp(0, 0.04, 10), true);
  EXPECT_EQ(m.stalled_for(), 0s);
  m.sample(t0 + 200ms, tcp(5000, 0.04, 10), true);  // progress
  m.sample(t0 + 400ms, tcp(5000, 0.04, 10), true);
  m.sample(t0 + 600ms, tcp(5000, 0.04, 10), true);
  EXPECT_EQ(m.stalled_for(), 400ms);
  m.sample(t0 + 800ms, tcp(5000, 0.04, 0), false);  // nothing out: idle, not stalled
  EXPECT_EQ(m.stalled_for(), 0s);
  m.sample(t0 + 1000ms, tcp(5000, 0.04, 3), true);
  m.sample(t0 + 1200ms, tcp(5000, 0.04, 3), true);
  EXPECT_EQ(m.stalled_for(), 400ms);  // from the last sample with nothing out
  m.sample(t0 + 1400ms, tcp(6000, 0.04, 3), true);
  EXPECT_EQ(m.stalled_for(), 0s);
}

TEST(StallAfter, AtLeastASecondAndEightRoundTrips) {
  EXPECT_DOUBLE_EQ(stall_after(0.04).count(), 1.0);
  EXPECT_DOUBLE_EQ(stall_after(0.3).count(), 2.4);
}

TEST(LateAfter, FromTheLegsOwnPaceWithRoomForALossRepair) {
  EXPECT_DOUBLE_EQ(late_after(0, 0.01).count(), 0.5);    // unknown: 500 ms
  EXPECT_DOUBLE_EQ(late_after(0, 0.2).count(), 0.8);     // or 4 RTT
  EXPECT_DOUBLE_EQ(late_after(1.0, 0.04).count(), 2.2);  // 2 x 1 s + 200 ms
  EXPECT_DOUBLE_EQ(late_after(0.1, 0.1).count(), 0.6);   // 0.2 + 4 x 100 ms
}

// The 40 ms path: repair_seconds() = 200 ms.
TEST(CopyReason, LateAgainstItsOwnLeg) {
  WaitedForFrame f;
  f.expected_seconds = 0.5;
  f.rtt_seconds = 0.04;
  f.out_for = 1.1;
  EXPECT_EQ(copy_reason(f), CopyReason::none);
  f.out_for = 1.2;  // 2 x 0.5 s + 200 ms
  EXPECT_EQ(copy_reason(f), CopyReason::late);
}

TEST(CopyReason, ALegThatSlowedDownIsOvertakenByAnIdleOne) {
  WaitedForFrame f;
  f.expected_seconds = 0.5;  // as fast as it was when it took the frame
  f.rtt_seconds = 0.04;
  f.out_for = 0.3;
  f.holder_seconds = 5.0;  // crawling now
  f.idle_seconds = 0.1;
  EXPECT_EQ(copy_reason(f), CopyReason::overtaken);
  f.out_for = 0.19;  // its TCP still has the time of a fast retransmit
  EXPECT_EQ(copy_reason(f), CopyReason::none);
  f.out_for = 0.3;
  f.holder_seconds = kOvertake * 0.1;  // not enough quicker elsewhere
  EXPECT_EQ(copy_reason(f), CopyReason::none);
  f.holder_seconds = 5.0;
  f.idle_seconds.reset();  // no idle leg's speed known: its own pace decides
  EXPECT_EQ(copy_reason(f), CopyReason::none);
  f.idle_seconds = 0.1;
  f.holder_seconds.reset();
  EXPECT_EQ(copy_reason(f), CopyReason::none);
}

}  // namespace
}  // namespace vmp
