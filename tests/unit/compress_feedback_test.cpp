#include "sidechain/compress_feedback.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace vmp::sidechain {
namespace {

// A transfer whose bottleneck the test dictates, one second per step.
struct Sim {
  Stats s;
  Sim() {
    s.sidechain = SidechainStats{};
    s.sidechain->codecs = {{"none", 0, 0, 0}, {"zstd", 0, 0, 0}};
  }
  Stats tick(double stage_wait, double network_wait, std::uint64_t frames, std::uint64_t raw) {
    s.elapsed_seconds += 1;
    s.sidechain_stall_seconds += stage_wait;
    s.network_stall_seconds += network_wait;
    s.sidechain->codecs[0].frames += raw;
    s.sidechain->codecs[1].frames += frames - raw;
    return s;
  }
};

std::string run(CompressFeedback& fb, Sim& sim, int seconds, double stage, double network,
                std::uint64_t frames, std::uint64_t raw, std::string current) {
  for (int i = 0; i < seconds; ++i) {
    if (auto v = fb.step(sim.tick(stage, network, frames, raw))) current = *v;
  }
  return current;
}

TEST(CompressFeedback, ANetworkBoundTransferCompressesHarderUpToTheTop) {
  CompressFeedback fb("lz4");
  Sim sim;
  const auto c = run(fb, sim, 60, 0.0, 0.9, 100, 0, "lz4");
  EXPECT_EQ(c, kCompressChoices.back());
}

TEST(CompressFeedback, AStageBoundTransferStepsDownToNone) {
  CompressFeedback fb("zstd:6");
  Sim sim;
  EXPECT_EQ(run(fb, sim, 60, 0.8, 0.0, 100, 0, "zstd:6"), "none");
}

TEST(CompressFeedback, ChangesAreHeldBeforeTheNext) {
  CompressFeedback fb("lz4");
  Sim sim;
  std::vector<double> at;  // when each change came
  for (int i = 0; i < 12; ++i) {
    const auto now = sim.tick(0, 0.9, 100, 0);
    if (fb.step(now)) at.push_back(now.elapsed_seconds);
  }
  ASSERT_GE(at.size(), 2u);
  for (std::size_t i = 1; i < at.size(); ++i)
    EXPECT_GE(at[i] - at[i - 1], CompressFeedback::kHoldSeconds) << "change " << i;
}

TEST(CompressFeedback, IncompressibleDataGoesToNoneAndIsRetriedLater) {
  CompressFeedback fb("lz4");
  Sim sim;
  std::string c = "lz4";
  for (int i = 0; i < 10 && c != "none"; ++i) {
    if (auto v = fb.step(sim.tick(0.0, 0.9, 100, 100))) c = *v;
  }
  ASSERT_EQ(c, "none");
  // Network-bound but nothing shrinks: it stays at none until the retry time...
  c = run(fb, sim, static_cast<int>(CompressFeedback::kRetrySeconds) - 2, 0.0, 0.9, 100, 100, c);
  EXPECT_EQ(c, "none");
  // ...then tries lz4 again (and, the data still not shrinking, leaves it once more).
  bool retried = false;
  for (int i = 0; i < 5; ++i) {
    if (auto v = fb.step(sim.tick(0.0, 0.9, 100, 100))) retried = retried || *v == "lz4";
  }
  EXPECT_TRUE(retried);
}

TEST(CompressFeedback, ABalancedTransferIsLeftAlone) {
  CompressFeedback fb("zstd:1");
  Sim sim;
  EXPECT_EQ(run(fb, sim, 30, 0.1, 0.2, 100, 10, "zstd:1"), "zstd:1");
}

}  // namespace
}  // namespace vmp::sidechain
