// Runs the real tuner (TuningSession) against the synthetic path model on a virtual clock and
// writes its tune log, so convergence_bench.sh can tabulate and plot a convergence curve
// without a network: the same curve the rig will draw from a live transfer.
//
//   tuner_sim --path lossy|three [--seed N] [--seconds S] [--change-at T] --log FILE
//
// Prints "grid_optimum_bytes_per_second X" (the best static configuration of a grid sweep,
// after the change if there is one) and "change_at_seconds T".
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "fake_transfer.hpp"
#include "path_model.hpp"
#include "virtual_clock.hpp"
#include "vmp/tuner/tuning_session.hpp"

using namespace vmp;
using namespace vmp::tuner;
using namespace vmp::tuner::testing;

namespace {

Knobs poor_start(std::size_t links) {
  Knobs k;
  k.legs = 1;
  k.frame_bytes = 16 * KiB;
  k.window_bytes = 4 * MiB;
  if (links >= 2) k.link_weights.assign(links, 1.0);
  return k;
}

int usage() {
  std::cerr << "usage: tuner_sim --path lossy|three [--seed N] [--seconds S] [--change-at T] "
               "--log FILE\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path = "lossy", log;
  std::uint64_t seed = 1;
  double seconds = 60, change_at = -1;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--path") {
      path = argv[i + 1];
    } else if (a == "--seed") {
      seed = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (a == "--seconds") {
      seconds = std::atof(argv[i + 1]);
    } else if (a == "--change-at") {
      change_at = std::atof(argv[i + 1]);
    } else if (a == "--log") {
      log = argv[i + 1];
    } else {
      return usage();
    }
  }
  if (log.empty() || (path != "lossy" && path != "three")) return usage();
  PathModel before = path == "lossy"
                         ? PathModel{{PathLink{12.5e6, 0.04, 0.01}}}
                         : PathModel{{PathLink{12.5e6, 0.02, 0.001}, PathLink{6.25e6, 0.04, 0.01},
                                      PathLink{2.5e6, 0.08, 0.02}}};
  // The change: on one path loss rises to 5%; on three paths the fast one dies.
  PathModel after = before;
  if (path == "lossy") {
    after.links[0].loss = 0.05;
  } else {
    after.links[0].capacity = 0;
  }
  const bool changes = change_at >= 0;
  const std::size_t links = before.links.size();
  VirtualClock clock;
  FakeTransfer fake(
      clock, poor_start(links),
      [&](const Knobs& k, double t) {
        return (changes && t >= change_at ? after : before).rate(k);
      },
      seed * 31 + 7);
  TunerOptions opts;
  opts.seed = seed;
  opts.link_count = links;
  opts.log_path = log;
  TuningSession session(fake, clock, opts);
  const double t0 = clock.now();
  while (clock.now() - t0 < seconds && session.run_generation({})) {
  }
  auto optimum = [&](const PathModel& m) { return m.rate(m.grid_optimum(0, poor_start(links))); };
  std::cout << "grid_optimum_bytes_per_second " << optimum(before) << "\n";
  if (changes) {
    std::cout << "change_at_seconds " << change_at << "\n";
    std::cout << "grid_optimum_after_change_bytes_per_second " << optimum(after) << "\n";
  }
  return 0;
}
