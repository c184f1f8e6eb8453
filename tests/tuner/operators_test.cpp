#include "vmp/tuner/operators.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "vmp/tuner/change_detector.hpp"
#include "vmp/tuner/population.hpp"
#include "vmp/tuner/step_size.hpp"

namespace vmp::tuner {
namespace {

bool inside(const Eigen::VectorXd& g) {
  return (g.array() >= 0).all() && (g.array() <= 1).all();
}

TEST(Operators, ReflectFoldsBackIntoTheCube) {
  Eigen::VectorXd g(6);
  g << 1.2, -0.3, 2.4, 0.5, std::nan(""), -7.75;
  reflect_into_unit_cube(g);
  EXPECT_NEAR(g[0], 0.8, 1e-12);
  EXPECT_NEAR(g[1], 0.3, 1e-12);
  EXPECT_NEAR(g[2], 0.4, 1e-12);
  EXPECT_NEAR(g[3], 0.5, 1e-12);
  EXPECT_NEAR(g[4], 0.5, 1e-12);
  EXPECT_NEAR(g[5], 0.25, 1e-12);
}

TEST(Operators, TournamentPressure) {
  std::vector<double> f{1, 5, 3, 2};
  Rng rng(1);
  // k = 1 is uniform; a big tournament almost always finds the best.
  int best_wins = 0;
  for (int i = 0; i < 1000; ++i) best_wins += tournament_select(f, 16, rng) == 1;
  EXPECT_GT(best_wins, 990);
  std::set<std::size_t> seen;
  for (int i = 0; i < 200; ++i) seen.insert(tournament_select(f, 1, rng));
  EXPECT_EQ(seen.size(), 4u);
}

TEST(Operators, BlendCrossoverStaysNearParentsAndKeepsCategoriesWhole) {
  Rng rng(2);
  Eigen::VectorXd a(3), b(3);
  a << 0.2, 0.4, 0.125;
  b << 0.6, 0.4, 0.875;
  std::vector<GeneShape> cat{GeneShape::numeric, GeneShape::numeric, GeneShape::categorical};
  for (int i = 0; i < 1000; ++i) {
    Eigen::VectorXd c = blend_crossover(a, b, 0.3, cat, rng);
    ASSERT_TRUE(inside(c));
    EXPECT_GE(c[0], 0.2 - 0.3 * 0.4 - 1e-9);
    EXPECT_LE(c[0], 0.6 + 0.3 * 0.4 + 1e-9);
    EXPECT_NEAR(c[1], 0.4, 1e-9);  // identical parents, identical child
    EXPECT_TRUE(c[2] == a[2] || c[2] == b[2]);
  }
}

TEST(Operators, MutationStaysInCubeAndScalesWithSigma) {
  Rng rng(3);
  std::vector<GeneShape> cat{GeneShape::numeric, GeneShape::numeric, GeneShape::numeric,
                             GeneShape::categorical};
  double small = 0, large = 0;
  for (int i = 0; i < 2000; ++i) {
    Eigen::VectorXd g = Eigen::VectorXd::Constant(4, 0.5);
    gaussian_mutation(g, 0.02, cat, rng);
    ASSERT_TRUE(inside(g));
    small += std::abs(g[0] - 0.5);
    Eigen::VectorXd h = Eigen::VectorXd::Constant(4, 0.5);
    gaussian_mutation(h, 0.2, cat, rng);
    ASSERT_TRUE(inside(h));
    large += std::abs(h[0] - 0.5);
  }
  EXPECT_GT(large, 5 * small);
}

TEST(Operators, LatinHypercubeUsesEveryStratumOnce) {
  Rng rng(4);
  auto pts = latin_hypercube(7, 5, rng);
  ASSERT_EQ(pts.size(), 7u);
  for (Eigen::Index d = 0; d < 5; ++d) {
    std::set<int> strata;
    for (const auto& p : pts) strata.insert(static_cast<int>(std::floor(p[d] * 7)));
    EXPECT_EQ(strata.size(), 7u);
  }
}

TEST(Operators, SameSeedSameDraws) {
  Rng a(99), b(99);
  std::vector<GeneShape> cat{GeneShape::numeric, GeneShape::categorical};
  Eigen::VectorXd x = Eigen::VectorXd::Constant(2, 0.3), y = x;
  for (int i = 0; i < 50; ++i) {
    gaussian_mutation(x, 0.1, cat, a);
    gaussian_mutation(y, 0.1, cat, b);
  }
  EXPECT_EQ(x, y);
}

TEST(StepSize, OneFifthRule) {
  StepSize s(0.1, 0.01, 0.5);
  s.update(1, 5);
  EXPECT_NEAR(s.sigma(), 0.1, 1e-12);
  s.update(4, 4);
  EXPECT_GT(s.sigma(), 0.1);
  double up = s.sigma();
  s.update(0, 4);
  EXPECT_LT(s.sigma(), up);
  for (int i = 0; i < 100; ++i) s.update(0, 4);
  EXPECT_DOUBLE_EQ(s.sigma(), 0.01);
  for (int i = 0; i < 100; ++i) s.update(4, 4);
  EXPECT_DOUBLE_EQ(s.sigma(), 0.5);
}

TEST(ChangeDetector, OneLowSampleIsSuspicionTwoAreAChange) {
  ChangeDetector d({0.25, 2});
  using V = ChangeDetector::Verdict;
  EXPECT_EQ(d.observe(100, 95), V::steady);
  EXPECT_EQ(d.observe(100, 70), V::suspect);
  EXPECT_EQ(d.observe(100, 90), V::steady);  // noise: forgotten
  EXPECT_EQ(d.observe(100, 70), V::suspect);
  EXPECT_EQ(d.observe(100, 60), V::changed);
  EXPECT_EQ(d.observe(100, 60), V::suspect);  // starts over
}

TEST(Population, SmoothingAndElitistTruncation) {
  Individual i;
  i.add_sample(10, 0.3);
  i.add_sample(20, 0.3);
  EXPECT_DOUBLE_EQ(i.fitness, 15);  // plain mean while few
  for (int k = 0; k < 20; ++k) i.add_sample(100, 0.3);
  EXPECT_GT(i.fitness, 99);  // follows a drift

  Population p;
  for (std::uint64_t id = 1; id <= 6; ++id) {
    Individual m;
    m.id = id;
    m.knobs.legs = static_cast<std::uint32_t>(id);
    if (id != 6) m.add_sample(static_cast<double>(id * 10 % 7), 0.3);
    p.add(m);
  }
  // fitness = id * 10 % 7: 3, 6, 2, 5, 1; id 6 never measured
  ASSERT_EQ(p.best()->id, 2u);
  p.truncate(3);
  EXPECT_EQ(p.size(), 3u);
  EXPECT_NE(p.find(2), nullptr);  // fitness 6, the best, survives
  EXPECT_EQ(p.find(6), nullptr);  // never evaluated
  EXPECT_EQ(p.best()->id, 2u);
}

}  // namespace
}  // namespace vmp::tuner
