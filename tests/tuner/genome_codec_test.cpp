#include "vmp/tuner/genome_codec.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "knobs_printer.hpp"

namespace vmp::tuner {
namespace {

std::vector<std::string> kernel_ccs() {
  return available_congestion_controls();
}

GenomeCodec codec_for(std::size_t links, KnobSet pinned = opt_in_genes(), Knobs base = {}) {
  return GenomeCodec(base, pinned, links, kernel_ccs());
}

TEST(GenomeCodec, GenesPerLinkCount) {
  std::size_t cc = kernel_ccs().empty() ? 0 : 1;
  // legs, frame, window, sndbuf, rcvbuf (+ congestion)
  EXPECT_EQ(codec_for(1).dimension(), 5 + cc);
  // + legs_per_link_max share + one weight per link
  EXPECT_EQ(codec_for(3).dimension(), 5 + cc + 1 + 3);
}

TEST(GenomeCodec, PinnedKnobsAreNotGenesAndKeepTheirValues) {
  KnobSet pinned = opt_in_genes();
  set(pinned, KnobId::legs);
  set(pinned, KnobId::frame_bytes);
  set(pinned, KnobId::congestion);
  Knobs base;
  base.legs = 3;
  base.frame_bytes = 64 * KiB;
  base.congestion = "reno";
  GenomeCodec c = codec_for(1, pinned, base);
  EXPECT_EQ(c.dimension(), 3u);  // window, sndbuf, rcvbuf
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  for (int i = 0; i < 1000; ++i) {
    Eigen::VectorXd g(c.dimension());
    for (Eigen::Index j = 0; j < g.size(); ++j) g[j] = u(rng);
    Knobs k = c.decode(g);
    EXPECT_EQ(k.legs, 3u);
    EXPECT_EQ(k.frame_bytes, 64 * KiB);
    EXPECT_EQ(k.congestion, "reno");
  }
}

// Rate limits are ceilings the user set: even unpinned they are no genes, and every genome
// keeps them (the tuner can neither raise nor lift them to win goodput).
TEST(GenomeCodec, RateLimitsAreNeverGenes) {
  Knobs base;
  base.rate_limit = 20 * MiB;
  base.link_rates = {5 * MiB, 0};
  GenomeCodec c = codec_for(2, opt_in_genes(), base);
  EXPECT_EQ(c.dimension(), codec_for(2).dimension());
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0, 1);
  for (int i = 0; i < 1000; ++i) {
    Eigen::VectorXd g(c.dimension());
    for (Eigen::Index j = 0; j < g.size(); ++j) g[j] = u(rng);
    const Knobs k = c.decode(g);
    EXPECT_EQ(k.rate_limit, 20 * MiB);
    EXPECT_EQ(k.link_rates, base.link_rates);
  }
  Knobs unlimited = base;
  unlimited.rate_limit = 0;
  unlimited.link_rates.clear();
  EXPECT_EQ(c.decode(c.encode(unlimited)).rate_limit, 20 * MiB);  // e.g. from a profile
}

TEST(GenomeCodec, RoundTripsRepresentableKnobs) {
  GenomeCodec c = codec_for(2);
  Knobs k;
  k.legs = 12;
  k.legs_per_link_max = 9;
  k.frame_bytes = 256 * KiB;
  k.window_bytes = 48 * MiB;
  k.sndbuf_bytes = 0;
  k.rcvbuf_bytes = 2 * MiB;
  k.congestion = kernel_ccs().empty() ? "" : kernel_ccs().back();
  k.link_weights = {100, 37.5};
  EXPECT_EQ(c.decode(c.encode(k)), k) << to_string(c.decode(c.encode(k)));
}

TEST(GenomeCodec, CanonicalIsIdempotent) {
  GenomeCodec c = codec_for(3);
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0, 1);
  for (int i = 0; i < 500; ++i) {
    Eigen::VectorXd g(c.dimension());
    for (Eigen::Index j = 0; j < g.size(); ++j) g[j] = u(rng);
    Eigen::VectorXd once = c.canonical(g);
    EXPECT_EQ(c.decode(once), c.decode(g));
    EXPECT_EQ(c.decode(c.canonical(once)), c.decode(once));
  }
}

TEST(GenomeCodec, LegsAreLogScaled) {
  GenomeCodec c = codec_for(1);
  Eigen::VectorXd g = Eigen::VectorXd::Constant(c.dimension(), 0.5);
  EXPECT_EQ(c.decode(g).legs, 8u);  // sqrt(1 * 64)
  g[0] = 0;
  EXPECT_EQ(c.decode(g).legs, 1u);
  g[0] = 1;
  EXPECT_EQ(c.decode(g).legs, 64u);
}

TEST(GenomeCodec, LegsPerLinkSpansEvenSpreadToAllOnOne) {
  GenomeCodec c = codec_for(3);
  ASSERT_EQ(c.gene_name(1), "legs_per_link_max");
  Eigen::VectorXd g = Eigen::VectorXd::Constant(c.dimension(), 0.5);
  g[0] = 1;  // 64 legs
  g[1] = 0;
  EXPECT_EQ(c.decode(g).legs_per_link_max, 22u);  // ceil(64 / 3)
  g[1] = 1;
  EXPECT_EQ(c.decode(g).legs_per_link_max, 64u);
}

TEST(GenomeCodec, PinnedPerLinkCapBoundsLegs) {
  KnobSet pinned = opt_in_genes();
  set(pinned, KnobId::legs_per_link_max);
  Knobs base;
  base.legs_per_link_max = 5;
  GenomeCodec c = codec_for(2, pinned, base);
  Eigen::VectorXd g = Eigen::VectorXd::Ones(c.dimension());
  EXPECT_EQ(c.decode(g).legs, 10u);  // more could never run
}

TEST(GenomeCodec, PinnedWindowBoundsFrame) {
  KnobSet pinned = opt_in_genes();
  set(pinned, KnobId::window_bytes);
  Knobs base;
  base.window_bytes = 1 * MiB;
  base.frame_bytes = 64 * KiB;
  GenomeCodec c = codec_for(1, pinned, base);
  Eigen::VectorXd g = Eigen::VectorXd::Ones(c.dimension());
  Knobs k = c.decode(g);
  EXPECT_EQ(k.window_bytes, 1 * MiB);
  EXPECT_EQ(k.frame_bytes, 512 * KiB);
  EXPECT_FALSE(validate(k));
}

TEST(GenomeCodec, SockbufBottomFifthIsKernelAutotuning) {
  GenomeCodec c = codec_for(1);
  ASSERT_EQ(c.gene_name(3), "sndbuf_bytes");
  Eigen::VectorXd g = Eigen::VectorXd::Constant(c.dimension(), 0.5);
  g[3] = 0.1;
  EXPECT_EQ(c.decode(g).sndbuf_bytes, 0u);
  g[3] = 0.2;
  EXPECT_EQ(c.decode(g).sndbuf_bytes, 64 * KiB);
  g[3] = 1;
  EXPECT_EQ(c.decode(g).sndbuf_bytes, 32 * MiB);
}

TEST(GenomeCodec, AllWeightsZeroMeansEqual) {
  GenomeCodec c = codec_for(2);
  Eigen::VectorXd g = Eigen::VectorXd::Constant(c.dimension(), 0.5);
  for (std::size_t i = 0; i < c.dimension(); ++i) {
    if (c.genes()[i].kind == GeneKind::link_weight) g[static_cast<Eigen::Index>(i)] = 0;
  }
  EXPECT_EQ(c.decode(g).link_weights, (std::vector<double>{100, 100}));
}

// Fuzz: whatever the search produces (including NaN, infinities and points far outside the
// cube), decoding yields knobs the engine accepts, within the search bounds.
TEST(GenomeCodec, EveryVectorDecodesToValidKnobs) {
  std::mt19937_64 rng(2024);
  std::uniform_real_distribution<double> wide(-3, 4);
  std::uniform_int_distribution<int> special(0, 19);
  const double odd[] = {std::numeric_limits<double>::quiet_NaN(),
                        std::numeric_limits<double>::infinity(),
                        -std::numeric_limits<double>::infinity(),
                        0.0,
                        1.0,
                        1e300,
                        -1e300};
  SearchBounds bounds;
  for (std::size_t links : {1u, 2u, 3u, 5u}) {
    for (unsigned pin_mask : {0u, 0b1u, 0b10u, 0b100u, 0b1000u, 0b1100u, 0b10000001u}) {
      KnobSet pinned(pin_mask);
      Knobs base;
      base.legs = 2;
      base.legs_per_link_max = 3;
      base.frame_bytes = 128 * KiB;
      base.window_bytes = 2 * MiB;
      if (has(pinned, KnobId::link_weights)) base.link_weights.assign(links, 1.0);
      GenomeCodec c = codec_for(links, pinned, base);
      for (int i = 0; i < 3000; ++i) {
        Eigen::VectorXd g(c.dimension());
        for (Eigen::Index j = 0; j < g.size(); ++j) {
          g[j] = special(rng) == 0 ? odd[special(rng) % 7] : wide(rng);
        }
        Knobs k = c.decode(g);
        auto err = validate(k);
        ASSERT_FALSE(err) << *err << " links=" << links << " pins=" << pin_mask;
        EXPECT_LE(k.window_bytes,
                  std::max<std::uint64_t>(bounds.max_window_bytes, base.window_bytes));
        EXPECT_LE(k.sndbuf_bytes, bounds.max_sockbuf_bytes);
        EXPECT_TRUE(k.rcvbuf_bytes == 0 || k.rcvbuf_bytes >= bounds.min_sockbuf_bytes);
        if (links >= 2 && !has(pinned, KnobId::link_weights)) {
          EXPECT_EQ(k.link_weights.size(), links);
        }
        EXPECT_LE(effective_legs(k, links), k.legs);
      }
    }
  }
}

// --compress auto with the tuner: the codec is a step of the compression ladder, ordered
// cheapest first so that a small mutation tries a neighbouring level; the workers range over
// the cores. Without it neither is a gene.
TEST(GenomeCodec, CodecAndWorkersAreGenesOnlyWhenAskedFor) {
  auto names = [](const GenomeCodec& c) {
    std::vector<std::string> n;
    for (std::size_t i = 0; i < c.dimension(); ++i) n.push_back(c.gene_name(i));
    return n;
  };
  for (const auto& n : names(codec_for(1))) {
    EXPECT_NE(n, "compress");
    EXPECT_NE(n, "sidechain_workers");
  }
  Knobs base;
  base.compress = "lz4";
  SearchBounds bounds;
  bounds.max_sidechain_workers = 4;
  GenomeCodec c(base, KnobSet{}, 1, kernel_ccs(), bounds);
  const auto n = names(c);
  const auto at = [&](std::string_view name) {
    const auto it = std::find(n.begin(), n.end(), name);
    EXPECT_NE(it, n.end()) << name;
    return static_cast<Eigen::Index>(it - n.begin());
  };
  const auto codec = at("compress");
  const auto workers = at("sidechain_workers");
  EXPECT_EQ(c.shape(static_cast<std::size_t>(codec)), GeneShape::numeric);

  Eigen::VectorXd g = c.encode(base);
  std::vector<std::string> ladder;
  for (int i = 0; i <= 100; ++i) {
    g[codec] = i / 100.0;
    const auto k = c.decode(g);
    if (ladder.empty() || ladder.back() != k.compress) ladder.push_back(k.compress);
    EXPECT_EQ(c.decode(c.encode(k)), k);
  }
  EXPECT_EQ(ladder, std::vector<std::string>(kCompressChoices.begin(), kCompressChoices.end()));

  std::set<std::uint32_t> seen;
  for (int i = 0; i <= 100; ++i) {
    g[workers] = i / 100.0;
    seen.insert(c.decode(g).sidechain_workers);
  }
  EXPECT_EQ(seen, (std::set<std::uint32_t>{1, 2, 3, 4}));
  // 0 (one per core) is the top of the range, not the bottom.
  Knobs all_cores = base;
  all_cores.sidechain_workers = 0;
  EXPECT_EQ(c.decode(c.encode(all_cores)).sidechain_workers, 4u);
}

TEST(GenomeCodec, RejectsInvalidBase) {
  Knobs bad;
  bad.legs = 0;
  EXPECT_THROW(codec_for(1, {}, bad), std::invalid_argument);
}

TEST(GenomeCodec, RejectsWrongLength) {
  GenomeCodec c = codec_for(1);
  EXPECT_THROW(c.decode(Eigen::VectorXd::Zero(2)), std::invalid_argument);
}

}  // namespace
}  // namespace vmp::tuner
