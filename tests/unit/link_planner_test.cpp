#include "tx/link_planner.hpp"

#include <gtest/gtest.h>

#include <map>

namespace vmp {
namespace {

std::vector<Target> three() {
  return {{"a", 1}, {"b", 2}, {"c", 3}};
}

std::map<std::size_t, int> count(const LinkPlanner& p) {
  std::map<std::size_t, int> m;
  for (std::uint32_t s = 0; s < p.slots(); ++s) {
    if (auto l = p.link_for(s)) ++m[*l];
  }
  return m;
}

TEST(LinkPlanner, SpreadsLegsOverLinksPreferringTheFirst) {
  LinkPlanner p(three(), 1);
  p.set_shape(8, 64, {});
  auto m = count(p);
  EXPECT_EQ(m[0], 3);
  EXPECT_EQ(m[1], 3);
  EXPECT_EQ(m[2], 2);
}

TEST(LinkPlanner, WeightsAndCapsShapeTheSplit) {
  LinkPlanner p(three(), 1);
  p.set_shape(10, 64, {3, 1, 1});
  auto m = count(p);
  EXPECT_EQ(m[0], 6);
  EXPECT_EQ(m[1], 2);
  EXPECT_EQ(m[2], 2);
  p.set_shape(10, 4, {3, 1, 1});  // link 0 capped at 4: its overflow goes to the next links
  m = count(p);
  EXPECT_EQ(m[0], 4);
  EXPECT_EQ(m[1], 4);
  EXPECT_EQ(m[2], 2);
}

TEST(LinkPlanner, DeadLinkIsBypassedAndComesBack) {
  LinkPlanner p(three(), 1);
  p.set_shape(6, 64, {});
  const auto t0 = LinkPlanner::Clock::now();
  const auto before = p.link_for(0);
  p.mark_down(1, t0);
  auto m = count(p);
  EXPECT_EQ(m[1], 0);
  EXPECT_EQ(m[0] + m[2], 6);
  EXPECT_EQ(p.link_for(0), before);  // sticky: slots on live links stay put
  EXPECT_TRUE(p.probes_due(t0).empty());
  auto due = p.probes_due(t0 + std::chrono::seconds(1));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0], 1u);
  p.mark_up(1);
  EXPECT_EQ(count(p)[1], 2);
}

TEST(LinkPlanner, BackoffGrowsButStaysCapped) {
  LinkPlanner p({{"a", 1}}, 7);
  p.set_shape(1, 64, {});
  auto t = LinkPlanner::Clock::now();
  p.mark_down(0, t);
  EXPECT_FALSE(p.link_for(0));
  EXPECT_FALSE(p.any_up());
  int probes = 0;
  for (int ms = 0; ms <= 20000; ms += 50) {
    probes += static_cast<int>(p.probes_due(t + std::chrono::milliseconds(ms)).size());
  }
  // 250 ms doubling to a 2 s cap (+-25% jitter): about 11 probes in 20 s, never one per tick.
  EXPECT_GE(probes, 8);
  EXPECT_LE(probes, 16);
}

TEST(LinkPlanner, AllWeightsZeroStillUsesLiveLinks) {
  LinkPlanner p(three(), 1);
  p.set_shape(3, 64, {0, 0, 0});
  EXPECT_EQ(count(p).size(), 3u);
}

}  // namespace
}  // namespace vmp
