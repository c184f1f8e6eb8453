// Everything main.cpp (and the tests) can set on the tuner. Defaults are what a user gets with
// plain `viamillipede tx ...`; each one's reasoning is next to it or in the header it refers to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "knobs.hpp"
#include "vmp/tuner/clock.hpp"
#include "vmp/tuner/cost_penalty.hpp"
#include "vmp/tuner/evaluation_window.hpp"
#include "vmp/tuner/genetic_search.hpp"
#include "vmp/tuner/genome_codec.hpp"

namespace vmp::tuner {

struct TunerOptions {
  // --tune-seed N: the search's random choices depend on nothing else (measurements still
  // vary on a live path). Unset = from std::random_device; the seed used is in the tune log.
  std::optional<std::uint64_t> seed;
  // --tune-log FILE: one JSON line per generation (tune_log.hpp). Empty = none.
  std::string log_path;
  // --tune-profile FILE: start from it if present and valid, save the best to it (profile.hpp).
  std::string profile_path;
  // Knobs given on the command line; they are not genes and keep their values. By default
  // also the opt-in ones (the codec): the command line unpins them for --compress auto.
  KnobSet pinned = opt_in_genes();
  // Number of `tx` targets; link weights are genes only with two or more.
  std::size_t link_count = 1;
  // Measure the core's default knobs second in generation 0 (genetic_search.hpp, anchors).
  // Off: generation 0 is the start genome and a Latin hypercube only.
  bool defaults_anchor = true;
  // Per-leg cost in the fitness (cost_penalty.hpp). 0 = pure goodput.
  double leg_cost = kDefaultLegCost;
  // Cost of a busy sidechain core in the fitness, when the codec is a gene (cost_penalty.hpp).
  double cpu_cost = kDefaultCpuCost;
  // Population, offspring, step sizes, change detection (genetic_search.hpp).
  SearchOptions search;
  // Evaluation window sizing (evaluation_window.hpp).
  WindowOptions window;
  // How far the search may reach inside the declared ranges (genome_codec.hpp).
  SearchBounds bounds;
  // A candidate whose goodput (after cost) over the last third of its window is below this
  // share of the incumbent's fitness is abandoned: it will not win, and every further second
  // of it costs throughput.
  double abort_fraction = 0.5;
  // Once the search stops finding better genomes, the incumbent runs longer between
  // generations (doubling per generation without improvement, up to this), so a settled
  // transfer spends most of its time on the best knobs. A drop during the hold is noticed
  // within one window, however long the hold.
  double hold_max_seconds = 30;
  // Experiments take at most this share of the time: after a run of candidates the incumbent
  // holds at least as long as they took (0.5), up to hold_max_seconds. Exploring is what costs
  // throughput -- a uniform sample of the space is mostly mediocre -- and the best known
  // genome running between experiments is what keeps the transfer fast while it learns.
  double explore_share = 0.5;
  // The start genome and the anchors (the core's defaults) are measured at once; the other
  // candidates only once the transfer has run this long, the better of those running until
  // then. A transfer that is over in seconds cannot earn back what experiments cost: a
  // 100 MB stream on a 100 Mbit/s path (9 s) delivered 67-74 Mbit/s with the tuner exploring
  // from the start and 92 on the defaults (tests/bench/lossy_bench.sh, issue 12). A long
  // transfer hardly notices the wait; a poor profile does not run through it (the anchor does).
  double explore_after_seconds = 10;
  // With the codec a gene (--compress auto): the engine's own codec feedback (the stage's
  // bottleneck rule, src/sidechain/compress_feedback.hpp) moves the codec this long before the
  // search begins, and the start genome and the anchor take the codec it reached; the search
  // then starts from a codec that suits this path and this data instead of lz4 and none. The
  // engine stops its feedback at the search's first apply(). 0 = the search begins at once
  // (also when the profile gives the start). The app sets explore_after_seconds here: that
  // wait ran only the start (lz4) and the anchor (none) before; on the 100 Mbit/s rig path a
  // 1.5 GB tar went from 25.5-27.1 to 28.3-30.1 MB/s (README, "Compression").
  double codec_feedback_seconds = 0;
  // The source (stdin) is the bottleneck when the reader waited for it this share of the time
  // since the tuner last looked: then it does not explore (see TuningSession).
  double source_bound_share = 0.5;
  // Congestion controls the search may choose; empty = what the kernel offers
  // (vmp::available_congestion_controls()).
  std::vector<std::string> congestion_choices;
  // Time source; null = SteadyClock. Tests inject a virtual clock.
  std::shared_ptr<Clock> clock;
  // Where one-line warnings go (unusable profile, knobs the engine refused); null = stderr,
  // prefixed "viamillipede: ".
  std::function<void(std::string_view)> warn;
};

}  // namespace vmp::tuner
