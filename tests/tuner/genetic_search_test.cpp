// The search on its own (ask/tell), on landscapes with known optima: convergence within a
// stated number of evaluations, determinism, elitism, confirmation, re-exploration.
#include "vmp/tuner/genetic_search.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <iostream>

#include "knobs_printer.hpp"
#include "landscapes.hpp"
#include "path_model.hpp"

namespace vmp::tuner {
namespace {

using testing::bump_landscape;
using testing::Noise;
using testing::PathLink;
using testing::PathModel;

// The poor start the rig tests use: one leg, small frames.
Knobs poor_start(std::size_t links) {
  Knobs k;
  k.legs = 1;
  k.frame_bytes = 16 * KiB;
  k.window_bytes = 4 * MiB;
  if (links >= 2) k.link_weights.assign(links, 1.0);
  return k;
}

GeneticSearch make(std::size_t links, std::uint64_t seed, SearchOptions o = {}) {
  return GeneticSearch(
      GenomeCodec(poor_start(links), opt_in_genes(), links, available_congestion_controls()), o,
      seed, poor_start(links));
}

// Runs the search until the true fitness of its best genome reaches `target`; returns the
// number of evaluations that took (or `limit` + 1).
int evaluations_to_reach(GeneticSearch& s, const std::function<double(const Knobs&)>& truth,
                         Noise& noise, double target, int limit) {
  for (int n = 1; n <= limit; ++n) {
    Evaluation e = s.next();
    s.tell(e, noise(truth(e.knobs)));
    if (s.best() && truth(s.best()->knobs) >= target) return n;
  }
  return limit + 1;
}

struct Convergence {
  int median = 0;
  int worst = 0;
};

Convergence converge_over_seeds(std::size_t links, const std::function<double(const Knobs&)>& truth,
                                double target, int limit, int seeds, double noise_sigma) {
  std::vector<int> n;
  for (int seed = 1; seed <= seeds; ++seed) {
    GeneticSearch s = make(links, static_cast<std::uint64_t>(seed));
    Noise noise(static_cast<std::uint64_t>(seed) * 7919, noise_sigma);
    n.push_back(evaluations_to_reach(s, truth, noise, target, limit));
  }
  std::sort(n.begin(), n.end());
  return {n[n.size() / 2], n.back()};
}

PathModel lossy_path() {
  return PathModel{{PathLink{12.5e6, 0.04, 0.01}}};
}
PathModel three_unequal_paths() {
  return PathModel{
      {PathLink{12.5e6, 0.02, 0.001}, PathLink{6.25e6, 0.04, 0.01}, PathLink{2.5e6, 0.08, 0.02}}};
}

// Stated bounds (tuner/README.md). Noise is 10% per measurement (lognormal sigma), more than a
// multi-second goodput window shows on a steady path. Target: the true (noise-free) fitness of
// the search's best genome reaches 90% of the optimum. The runs are deterministic (seeded), so
// these are not flaky; the bounds leave room for changes to the search that keep it as good.
TEST(GeneticSearchConvergence, BumpLandscapeWithin250Evaluations) {
  auto c = converge_over_seeds(1, bump_landscape, 0.9e8, 400, 20, 0.1);
  std::cout << "[ convergence ] bump landscape to 90%: median " << c.median << ", worst " << c.worst
            << " evaluations (20 seeds)\n";
  EXPECT_LE(c.median, 100);
  EXPECT_LE(c.worst, 250);
}

TEST(GeneticSearchConvergence, LossyPathWithin60Evaluations) {
  PathModel m = lossy_path();
  const double cost = kDefaultLegCost;
  double opt = m.fitness(m.grid_optimum(cost, poor_start(1)), cost);
  auto truth = [&](const Knobs& k) { return m.fitness(k, cost); };
  auto c = converge_over_seeds(1, truth, 0.9 * opt, 400, 20, 0.1);
  std::cout << "[ convergence ] lossy 100 Mbit/s 40 ms 1% path to 90% of grid optimum ("
            << to_string(m.grid_optimum(cost, poor_start(1))) << "): median " << c.median
            << ", worst " << c.worst << " evaluations (20 seeds)\n";
  EXPECT_LE(c.median, 20);
  EXPECT_LE(c.worst, 60);
}

TEST(GeneticSearchConvergence, ThreeUnequalPathsWithin60Evaluations) {
  PathModel m = three_unequal_paths();
  const double cost = kDefaultLegCost;
  Knobs best = m.grid_optimum(cost, poor_start(3));
  double opt = m.fitness(best, cost);
  auto truth = [&](const Knobs& k) { return m.fitness(k, cost); };
  auto c = converge_over_seeds(3, truth, 0.9 * opt, 600, 20, 0.1);
  std::cout << "[ convergence ] three unequal paths to 90% of grid optimum (" << to_string(best)
            << "): median " << c.median << ", worst " << c.worst << " evaluations (20 seeds)\n";
  EXPECT_LE(c.median, 30);
  EXPECT_LE(c.worst, 60);
}

TEST(GeneticSearch, DeterministicForASeed) {
  auto run = [](std::uint64_t seed) {
    GeneticSearch s = make(3, seed);
    Noise noise(5, 0.1);
    PathModel m = three_unequal_paths();
    std::vector<Knobs> seq;
    for (int i = 0; i < 200; ++i) {
      Evaluation e = s.next();
      seq.push_back(e.knobs);
      s.tell(e, noise(m.fitness(e.knobs, kDefaultLegCost)));
    }
    return seq;
  };
  EXPECT_EQ(run(42), run(42));
  EXPECT_NE(run(42), run(43));
}

TEST(GeneticSearch, StartGenomeIsMeasuredFirst) {
  GeneticSearch s = make(1, 1);
  Evaluation e = s.next();
  EXPECT_EQ(e.knobs, poor_start(1));
  EXPECT_EQ(e.purpose, Purpose::explore);
}

// After the engine's codec feedback picked zstd:9 for a slow link, generation 0 looks around
// that start: no drawn candidate goes back to `none` (5 sigma away), where a Latin hypercube
// puts one in every seed's generation 0; and the population is still full.
TEST(GeneticSearch, AroundTheStartGenerationZeroStaysNearIt) {
  Knobs start;
  start.compress = "zstd:9";
  start.sidechain_workers = 2;
  auto count_none = [&](FirstDraw draw) {
    int none = 0;
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
      GeneticSearch s(GenomeCodec(start, {}, 1, available_congestion_controls()), {}, seed, start,
                      {}, draw);
      EXPECT_EQ(s.population().size(), SearchOptions{}.population) << "seed " << seed;
      for (const auto& m : s.population().members()) {
        if (!s.is_seed(m.id) && m.knobs.compress == "none") ++none;
      }
    }
    return none;
  };
  EXPECT_EQ(count_none(FirstDraw::around_start), 0);
  EXPECT_GE(count_none(FirstDraw::latin_hypercube), 10);
}

TEST(GeneticSearch, ALuckyChallengerIsMeasuredAgainBeforeItCounts) {
  GeneticSearch s = make(1, 1);
  Evaluation start = s.next();
  s.tell(start, 100);
  Evaluation challenger = s.next();
  s.tell(challenger, 1000);
  Evaluation again = s.next();
  EXPECT_EQ(again.id, challenger.id);
  EXPECT_EQ(again.purpose, Purpose::confirm);
  s.tell(again, 50);  // it was luck: mean 525 still wins here, but a worse one would not
  EXPECT_EQ(s.best()->id, challenger.id);
  EXPECT_DOUBLE_EQ(s.best()->fitness, 525);
  Evaluation next = s.next();
  EXPECT_NE(next.id, challenger.id);
}

// Elitism: with exact measurements the best fitness never falls, the incumbent is re-measured
// at the end of every generation, and it survives every truncation.
TEST(GeneticSearch, ElitismKeepsTheBestAndRunsItBetweenGenerations) {
  GeneticSearch s = make(1, 3);
  double best = 0;
  std::uint64_t gens = 0;
  for (int i = 0; i < 400; ++i) {
    Evaluation e = s.next();
    bool done = s.tell(e, bump_landscape(e.knobs));
    if (done) {
      ++gens;
      EXPECT_EQ(e.purpose, Purpose::incumbent);
      EXPECT_GE(s.best()->fitness, best);
      best = s.best()->fitness;
      EXPECT_EQ(s.population().size(), SearchOptions{}.population);
      EXPECT_FALSE(s.changed());
    }
  }
  EXPECT_EQ(s.generation(), gens);
  EXPECT_GT(gens, 40u);
}

TEST(GeneticSearch, OneLowIncumbentSampleIsRecheckedNotActedOn) {
  GeneticSearch t = make(1, 4);
  for (;;) {
    Evaluation x = t.next();
    if (t.tell(x, bump_landscape(x.knobs))) break;
  }
  Evaluation y = t.next();
  while (y.purpose != Purpose::incumbent) {
    t.tell(y, bump_landscape(y.knobs));
    y = t.next();
  }
  double f = t.best()->fitness;
  EXPECT_FALSE(t.tell(y, 0.5 * f));  // suspect: generation not over
  Evaluation recheck = t.next();
  EXPECT_EQ(recheck.purpose, Purpose::incumbent);
  EXPECT_TRUE(t.tell(recheck, f));  // it was noise
  EXPECT_FALSE(t.changed());
}

// Generation 0 with genome 2 at 94 (measured twice: it beat the incumbent, so confirmed),
// genome 3 once at 84 (below 2: no confirmation), the rest at 10; returns the incumbent's
// re-measurement that ends it.
Evaluation to_first_incumbent(GeneticSearch& s) {
  auto gen0 = [](std::uint64_t id) { return id == 2 ? 94.0 : id == 3 ? 84.0 : 10.0; };
  Evaluation e = s.next();
  while (e.purpose != Purpose::incumbent) {
    s.tell(e, gen0(e.id));
    e = s.next();
  }
  return e;
}

// The rig case (tuner_recovery loss_3to1, a fresh-clone CI run): the incumbent (two windows at
// 94) measured 63 once; folded in, that ranked it below a genome with a single 84 window, which
// ran as the re-check and truly did 5. Counted as the second strike, that was a "change" on an
// unchanged path, and the search threw its population away. A genome with one window to its
// name is no witness: the re-check goes on with the incumbent, which measures 94 again.
TEST(GeneticSearch, AOneWindowRecordCannotCompleteAChange) {
  GeneticSearch s = make(1, 3);
  Evaluation e = to_first_incumbent(s);
  ASSERT_EQ(e.id, 2u);
  ASSERT_EQ(s.population().members().size(), 8u);
  EXPECT_FALSE(s.tell(e, 63));  // suspect
  Evaluation lucky = s.next();
  ASSERT_EQ(lucky.id, 3u);  // the low sample ranked the incumbent (83.7) below the 84 window
  EXPECT_FALSE(s.tell(lucky, 5)) << "one window's record is not a witness";
  Evaluation again = s.next();
  EXPECT_EQ(again.id, 2u);
  EXPECT_EQ(again.purpose, Purpose::incumbent);
  EXPECT_TRUE(s.tell(again, 94));
  EXPECT_FALSE(s.changed());
  EXPECT_EQ(s.best()->id, 2u);
}

// The same re-check when the path did change (the fast path died): the suspect is low again,
// and the witness is whichever of the strikes measured best fresh (here the one-window genome:
// on the rig it did 88 Mbit/s after the death, the new best, and the suspect far less).
TEST(GeneticSearch, AConfirmedChangeIsWitnessedByTheBestFreshStrike) {
  GeneticSearch s = make(1, 3);
  Evaluation e = to_first_incumbent(s);
  ASSERT_EQ(e.id, 2u);
  EXPECT_FALSE(s.tell(e, 60));  // suspect
  Evaluation stand_in = s.next();
  ASSERT_EQ(stand_in.id, 3u);
  EXPECT_FALSE(s.tell(stand_in, 55));  // no strike: one window's record
  Evaluation again = s.next();
  ASSERT_EQ(again.id, 2u);
  EXPECT_TRUE(s.tell(again, 45));  // low again: the path changed
  EXPECT_TRUE(s.changed());
  ASSERT_NE(s.best(), nullptr);
  EXPECT_EQ(s.best()->id, 3u);
  EXPECT_DOUBLE_EQ(s.best()->fitness, 55);
  EXPECT_EQ(s.best()->samples, 1u);
}

// After a change only measurements taken on the new path count: the re-exploring generation
// starts with the witness (the incumbent whose drop was seen) as its only evaluated member, so
// no genome runs as the incumbent on a record from before the change (on the rig: a 2 MiB
// window measured at 1 % loss ran for 4 s at 1 Mbit/s when loss rose to 3 %).
TEST(GeneticSearch, AfterAChangeNoGenomeRunsOnItsRecordFromBefore) {
  // Noise-free, so a fitness measured after the change is exactly after(knobs), and any trace
  // of a record from before it shows as a difference.
  auto after = [](const Knobs& k) { return 0.2 * bump_landscape(k); };  // a fifth of before
  auto only_new = [&](const Individual& m) {
    return std::abs(m.fitness - after(m.knobs)) <= 1e-9 * after(m.knobs);
  };
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    GeneticSearch s = make(1, seed);
    for (int i = 0; i < 40; ++i) {
      Evaluation e = s.next();
      s.tell(e, bump_landscape(e.knobs));
    }
    bool changed = false;
    for (int i = 0; i < 20 && !changed; ++i) {
      Evaluation e = s.next();
      changed = s.tell(e, after(e.knobs)) && s.changed();
    }
    ASSERT_TRUE(changed) << "seed " << seed;
    for (const auto& m : s.population().members()) {
      if (!m.evaluated()) continue;
      EXPECT_TRUE(only_new(m)) << "seed " << seed << ": individual " << m.id << " has fitness "
                               << m.fitness << ", measured after the change " << after(m.knobs);
    }
    // And nothing runs as the incumbent on an old record later either.
    for (int i = 0; i < 40; ++i) {
      Evaluation e = s.next();
      if (e.purpose == Purpose::incumbent) {
        EXPECT_TRUE(only_new(*s.best())) << "seed " << seed << ", incumbent " << e.id;
      }
      s.tell(e, after(e.knobs));
    }
  }
}

// A path dies mid-run: the incumbent's measurements drop, the search notices, re-explores, and
// finds the new optimum.
TEST(GeneticSearch, ReexploresWhenAPathDiesAndRecovers) {
  std::vector<int> recovery;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    PathModel m = three_unequal_paths();
    const double cost = kDefaultLegCost;
    GeneticSearch s = make(3, seed);
    Noise noise(seed, 0.1);
    for (int i = 0; i < 200; ++i) {
      Evaluation e = s.next();
      s.tell(e, noise(m.fitness(e.knobs, cost)));
    }
    m.links[0].capacity = 0;  // the fast path dies
    double opt = m.fitness(m.grid_optimum(cost, poor_start(3)), cost);
    bool changed = false;
    int n = 1;
    for (; n <= 400; ++n) {
      Evaluation e = s.next();
      if (s.tell(e, noise(m.fitness(e.knobs, cost)))) changed = changed || s.changed();
      if (changed && m.fitness(s.best()->knobs, cost) >= 0.9 * opt) break;
    }
    EXPECT_TRUE(changed) << "seed " << seed;
    recovery.push_back(n);
  }
  std::sort(recovery.begin(), recovery.end());
  std::cout << "[ convergence ] after the fast path dies, back to 90% of the new grid optimum: "
            << "median " << recovery[recovery.size() / 2] << ", worst " << recovery.back()
            << " evaluations (10 seeds)\n";
  EXPECT_LE(recovery.back(), 30);
}

}  // namespace
}  // namespace vmp::tuner
