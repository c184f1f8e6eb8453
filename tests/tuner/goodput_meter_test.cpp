// The goodput meter against a FakeTransfer on a virtual clock: it scores the genome in force by
// the TCP-acknowledged count (not the lagging receiver confirmations), dates the count's 200 ms
// steps, waits for the sockets' backlog after a change, and notices a stalled path. Also the
// backlog estimate across reconnects and the window sizing.
#include "vmp/tuner/goodput_meter.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "fake_transfer.hpp"
#include "virtual_clock.hpp"
#include "vmp/tuner/evaluation_window.hpp"
#include "vmp/tuner/socket_backlog.hpp"

namespace vmp::tuner {
namespace {

using testing::FakeTransfer;
using testing::VirtualClock;

// 1 MB/s per leg; 3 legs = a path that stalls.
double per_leg(const Knobs& k, double) {
  return k.legs == 3 ? 0.0 : 1e6 * k.legs;
}

Knobs with_legs(std::uint32_t legs) {
  Knobs k;
  k.legs = legs;
  return k;
}

MeterPlan plan(double warmup, double measure) {
  MeterPlan p;
  p.warmup_seconds = warmup;
  p.measure_seconds = measure;
  p.sample_seconds = 0.05;
  return p;
}

// Runs 1 leg for 5 s, switches to 8 legs (8x the rate), measures at once.
MeterResult after_switch(FakeTransfer& fake, VirtualClock& clock) {
  clock.sleep_for(5, {});
  (void)fake.snapshot();
  fake.apply(with_legs(8));
  GoodputMeter meter(fake, clock);
  return meter.measure(plan(0.3, 1.0), {});
}

TEST(GoodputMeter, ScoresTheGenomeInForceNotItsPredecessor) {
  VirtualClock clock;
  FakeTransfer fake(clock, with_legs(1), per_leg, 1, 0.0);
  fake.confirm_lag(3.0);  // confirmations trail by a window: 3 s
  fake.backlog(0);
  MeterResult r = after_switch(fake, clock);
  EXPECT_TRUE(r.tcp_acked);
  EXPECT_NEAR(r.goodput, 8e6, 0.08 * 8e6);
}

// Copies of frames sent twice are acknowledged too, but they are not goodput.
TEST(GoodputMeter, ResentBytesAreNotGoodput) {
  VirtualClock clock;
  FakeTransfer fake(clock, with_legs(8), per_leg, 1, 0.0);
  fake.backlog(0);
  fake.resent_share(0.25);
  clock.sleep_for(2, {});
  GoodputMeter meter(fake, clock);
  MeterResult r = meter.measure(plan(0.3, 1.0), {});
  EXPECT_TRUE(r.tcp_acked);
  EXPECT_NEAR(r.goodput, 0.75 * 8e6, 0.08 * 8e6);
}

// The same measurement by receiver confirmations credits the new genome with the old one's
// rate: the misattribution the TCP count removes. Also shows the fallback works.
TEST(GoodputMeter, ConfirmationsAloneWouldCreditThePredecessor) {
  VirtualClock clock;
  FakeTransfer fake(clock, with_legs(1), per_leg, 1, 0.0);
  fake.confirm_lag(3.0);
  fake.backlog(0);
  fake.report_tcp_acks(false);
  MeterResult r = after_switch(fake, clock);
  EXPECT_FALSE(r.tcp_acked);
  EXPECT_NEAR(r.goodput, 1e6, 0.1 * 1e6);
}

TEST(GoodputMeter, FallsBackToConfirmationsWithoutATcpCount) {
  VirtualClock clock;
  FakeTransfer fake(clock, with_legs(4), per_leg, 1, 0.0);
  fake.confirm_lag(0);
  fake.report_tcp_acks(false);
  clock.sleep_for(2, {});
  GoodputMeter meter(fake, clock);
  MeterResult r = meter.measure(plan(0, 1.0), {});
  EXPECT_FALSE(r.tcp_acked);
  EXPECT_NEAR(r.goodput, 4e6, 0.05 * 4e6);
}

// The count moves in 200 ms steps. Rates between poll times would be off by up to a step per
// end (+-25% of a 0.8 s window); dated steps keep every phase within one poll period.
TEST(GoodputMeter, DatedStepsKeepShortWindowsAccurateAtAnyPhase) {
  double worst = 0;
  for (int phase = 0; phase < 40; ++phase) {
    VirtualClock clock;
    FakeTransfer fake(clock, with_legs(10), per_leg, 1, 0.0);
    clock.sleep_for(1.0 + 0.005 * phase, {});
    GoodputMeter meter(fake, clock);
    MeterResult r = meter.measure(plan(0, 0.8), {});
    ASSERT_TRUE(r.tcp_acked);
    worst = std::max(worst, std::abs(r.goodput / 1e7 - 1));
  }
  EXPECT_LT(worst, 0.07);
}

// After a change the sockets still send what the previous genome queued (here 1.5 s of a fast
// genome's traffic); the meter waits for it, so the slow new genome is not flattered.
TEST(GoodputMeter, WaitsForTheSocketBacklogBeforeMeasuring) {
  VirtualClock clock;
  FakeTransfer fake(clock, with_legs(10), per_leg, 1, 0.0);
  fake.backlog(1.5);
  clock.sleep_for(5, {});
  (void)fake.snapshot();
  fake.apply(with_legs(2));
  GoodputMeter meter(fake, clock);
  MeterPlan p = plan(0.25, 0.8);
  p.backlog_max_seconds = 3;
  MeterResult r = meter.measure(p, {});
  EXPECT_GE(r.warmup_seconds, 1.5);
  EXPECT_LE(r.warmup_seconds, 1.5 + 0.2 + 0.1);  // a tick and two polls late at most
  EXPECT_NEAR(r.goodput, 2e6, 0.15 * 2e6);
}

TEST(GoodputMeter, BacklogWaitIsCapped) {
  VirtualClock clock;
  FakeTransfer fake(clock, with_legs(10), per_leg, 1, 0.0);
  fake.backlog(10);
  clock.sleep_for(5, {});
  (void)fake.snapshot();
  fake.apply(with_legs(2));
  GoodputMeter meter(fake, clock);
  MeterPlan p = plan(0.25, 0.8);
  p.backlog_max_seconds = 2;
  MeterResult r = meter.measure(p, {});
  EXPECT_NEAR(r.warmup_seconds, 2.0, 1e-6);
}

// With a sidechain the send queue holds ~2 s of frames the previous codec made. A heavy codec
// that delivers a quarter of the stream lz4 did must be scored by its own frames, not by the
// old ones still going out (the bias that kept the codec out of the genome before). Also: the
// stage's CPU is measured.
TEST(GoodputMeter, ANewCodecIsScoredByItsOwnFrames) {
  auto stream_rate = [](const Knobs& k, double) { return k.compress == "lz4" ? 20e6 : 5e6; };
  auto cores = [](const Knobs& k) { return k.compress == "lz4" ? 0.25 : 1.5; };
  Knobs lz4;
  lz4.compress = "lz4";
  Knobs heavy = lz4;
  heavy.compress = "zstd:9";
  for (const bool wait : {true, false}) {
    VirtualClock clock;
    FakeTransfer fake(clock, lz4, stream_rate, 1, 0.0);
    fake.sidechain(cores, 2.5);
    clock.sleep_for(5, {});
    (void)fake.snapshot();
    fake.apply(heavy);
    GoodputMeter meter(fake, clock);
    MeterPlan p = plan(0.25, 1.0);
    p.backlog_max_seconds = 2;
    p.setting_max_seconds = wait ? 4 : 0;
    MeterResult r = meter.measure(p, {});
    EXPECT_NEAR(r.sidechain_cores, 1.5, 0.01);
    if (wait) {
      EXPECT_GE(r.warmup_seconds, 2.5);
      EXPECT_LE(r.warmup_seconds, 2.5 + 0.2 + 0.1);
      EXPECT_NEAR(r.goodput, 5e6, 0.15 * 5e6);
    } else {
      EXPECT_GT(r.goodput, 15e6);  // what the wait prevents
    }
  }
}

// A genome whose congestion control makes even the old backlog crawl is abandoned during the
// backlog wait, not after it.
TEST(GoodputMeter, AGenomeUnderWhichTheBacklogCrawlsIsAbandonedEarly) {
  VirtualClock clock;
  FakeTransfer fake(clock, with_legs(10), per_leg, 1, 0.0);
  fake.backlog(1.5);
  fake.backlog_follows_new_knobs(true);
  clock.sleep_for(5, {});
  (void)fake.snapshot();
  fake.apply(with_legs(3));  // stalls
  GoodputMeter meter(fake, clock);
  MeterPlan p = plan(0.25, 0.8);
  p.backlog_max_seconds = 2;
  p.abort_below = 1e6;
  p.abort_span_seconds = 0.3;
  MeterResult r = meter.measure(p, {});
  EXPECT_TRUE(r.aborted);
  EXPECT_LT(r.goodput, 1e5);
  EXPECT_LT(r.warmup_seconds, 1.0);
}

TEST(GoodputMeter, AStalledPathReadsAsZeroAndIsAbandoned) {
  VirtualClock clock;
  FakeTransfer fake(clock, with_legs(10), per_leg, 1, 0.0);
  fake.backlog(0);
  clock.sleep_for(3, {});
  (void)fake.snapshot();
  fake.apply(with_legs(3));  // stalls
  GoodputMeter meter(fake, clock);
  MeterPlan p = plan(0.25, 3.0);
  p.abort_below = 1e6;
  p.abort_span_seconds = 0.5;
  MeterResult r = meter.measure(p, {});
  EXPECT_TRUE(r.aborted);
  EXPECT_LT(r.goodput, 1e5);
  EXPECT_LT(r.seconds, 1.0);
}

Stats one_leg(LegState state, std::uint64_t bytes, std::uint64_t frames, std::uint64_t acked,
              std::uint64_t reconnects) {
  Stats s;
  LegStats leg;
  leg.state = state;
  leg.bytes = bytes;
  leg.frames = frames;
  leg.tcp_acked_bytes = acked;
  leg.reconnects = reconnects;
  s.legs.push_back(leg);
  s.tcp_acked_bytes = acked;
  return s;
}

// Bytes a dead connection took with it are never acknowledged; they are not backlog.
TEST(SocketBacklog, CountsLiveQueuesAndForgetsWhatDeadConnectionsLost) {
  SocketBacklog b;
  constexpr std::uint64_t h = SocketBacklog::kFrameHeaderBytes;
  EXPECT_EQ(b.update(one_leg(LegState::up, 1000, 10, 400 + 10 * h, 0)), 600u);
  // The connection dies with 300 bytes unacknowledged: nothing is queued while it is down.
  EXPECT_EQ(b.update(one_leg(LegState::down, 2000, 20, 1700 + 20 * h, 0)), 0u);
  // Reconnected: only what the new connection holds counts.
  EXPECT_EQ(b.update(one_leg(LegState::up, 2500, 25, 1900 + 25 * h, 1)), 300u);
  // Another loss and reconnect between two snapshots: the deficit then is taken as lost.
  EXPECT_EQ(b.update(one_leg(LegState::up, 4000, 40, 3000 + 40 * h, 2)), 0u);
  EXPECT_EQ(b.update(one_leg(LegState::up, 5000, 50, 3800 + 50 * h, 2)), 200u);
  // No TCP count from the core: no estimate.
  EXPECT_EQ(SocketBacklog{}.update(one_leg(LegState::up, 1000, 1, 0, 0)), 0u);
}

TEST(EvaluationWindow, SizedToTheRoundTripWithinBounds) {
  WindowOptions o;
  EvaluationWindow lossy = plan_window(0.04, o);  // the rig's 40 ms path
  EXPECT_DOUBLE_EQ(lossy.warmup_seconds, 0.4);
  EXPECT_DOUBLE_EQ(lossy.measure_seconds, 0.8);
  EXPECT_DOUBLE_EQ(lossy.backlog_max_seconds, 2.0);
  EXPECT_DOUBLE_EQ(plan_window(0.001, o).measure_seconds, o.measure_min_seconds);
  EXPECT_DOUBLE_EQ(plan_window(0.5, o).measure_seconds, o.measure_max_seconds);
  EXPECT_DOUBLE_EQ(plan_window(0.5, o).warmup_seconds, o.warmup_max_seconds);
  EXPECT_DOUBLE_EQ(plan_window(0, o).measure_seconds, o.measure_rtts * o.default_rtt_seconds);
}

}  // namespace
}  // namespace vmp::tuner
