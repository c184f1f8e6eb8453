// The genetic search, as an ask/tell loop that knows nothing about time or sockets: next()
// says which genome to measure, tell() gives the measured fitness. The same code therefore runs
// on a live transfer (TuningSession) and on synthetic landscapes in the unit tests.
//
// One generation, in the order the experiments run:
//   1. candidates: in generation 0 the start genome, the anchors (known-decent settings such
//      as the core's defaults, so that a poor start cannot hide them) and Latin-hypercube
//      points up to `population`;
//      after that `offspring` children (tournament selection, blend crossover, gaussian
//      mutation with 1/5-rule step size); after a detected change the survivors to re-measure
//      and fresh immigrants. A candidate that beats the incumbent is measured once more at once
//      (confirm) before it can take over, so one lucky window does not win.
//   2. the incumbent (best genome) runs and is re-measured: this is the "best known genome
//      runs between experiments" period, the elite's re-evaluation that smooths its fitness,
//      and the change detector's input (a low sample is re-checked at once).
//   3. (mu + lambda) truncation back to `population`, which keeps the incumbent (elitism);
//      or, when that re-measurement showed a change, a new population around it (reexplore):
//      the witness with its fresh sample, a few old members to measure again, mutants, immigrants.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "vmp/tuner/change_detector.hpp"
#include "vmp/tuner/genome_codec.hpp"
#include "vmp/tuner/operators.hpp"
#include "vmp/tuner/population.hpp"
#include "vmp/tuner/step_size.hpp"

namespace vmp::tuner {

struct SearchOptions {
  // A live evaluation costs seconds, so the population is small: 8 spans a 6-10 gene space
  // with a Latin hypercube in generation 0 and keeps the first generation near 10 s on a
  // 40 ms path.
  std::size_t population = 8;
  // Children per generation; 4 plus one incumbent window keeps a generation short enough to
  // react, long enough for the 1/5 rule to see a success rate.
  std::size_t offspring = 4;
  // Binary tournaments chose mediocre parents too often for a budget of ~20 evaluations;
  // 3-way ones converged faster on the synthetic paths (tests/tuner) without losing diversity.
  std::size_t tournament = 3;
  double crossover_rate = 0.6;
  double blend_alpha = 0.3;
  // Step sizes in the normalised space (1.0 = a gene's whole range).
  double sigma_initial = 0.15;
  double sigma_min = 0.02;
  double sigma_max = 0.5;
  // Weight of the newest measurement in a well-measured individual's fitness (see
  // Individual::add_sample).
  double smoothing = 0.3;
  ChangeDetectorOptions change;
  // After a change: the share of the old population re-measured (the rest is replaced, half
  // by wide mutants of the incumbent, half by random immigrants) and the step size restarted.
  double reexplore_keep = 0.25;
  double reexplore_sigma = 0.3;
};

enum class Purpose { explore, confirm, incumbent };
const char* to_string(Purpose p);

struct Evaluation {
  std::uint64_t id = 0;  // individual
  Knobs knobs;
  Purpose purpose = Purpose::explore;
};

// One measurement, as it is logged.
struct Measurement {
  std::uint64_t id = 0;
  Knobs knobs;
  Purpose purpose = Purpose::explore;
  double fitness = 0;
};

// How generation 0 draws its candidates after the start genome and the anchors.
enum class FirstDraw {
  // A Latin hypercube over the whole space: nothing is known yet about where good genomes are.
  latin_hypercube,
  // Mutants of the start genome (gaussian, sigma_initial: what generation 1 would breed around
  // a parent): the start is already known to be good (the engine's codec feedback chose its
  // codec on this path and this data), and on a live transfer every far-away candidate (`none`
  // on a slow link, one worker for zstd:9) costs a window at a fraction of the rate.
  around_start,
};

class GeneticSearch {
 public:
  GeneticSearch(GenomeCodec codec, SearchOptions opts, std::uint64_t seed, const Knobs& start,
                const std::vector<Knobs>& anchors = {},
                FirstDraw draw = FirstDraw::latin_hypercube);

  // The next experiment of the current generation. Never empty: when the candidates are done
  // it is the incumbent's re-measurement.
  Evaluation next();
  // Records the measured fitness of `e` (which must be what next() returned last). Returns true
  // when that completed the generation; the next next() then starts a new one.
  bool tell(const Evaluation& e, double fitness);

  std::uint64_t generation() const { return generation_; }
  std::uint64_t evaluations() const { return evaluations_; }
  // Best evaluated individual; nullptr until the first measurement.
  const Individual* best() const { return population_.best(); }
  const Population& population() const { return population_; }
  double sigma() const { return step_.sigma(); }
  // Measurements of the generation in progress (after tell() returned true: of the one just
  // completed, until next() starts another).
  const std::vector<Measurement>& measurements() const { return measured_; }
  // Whether the generation just completed detected a change (and the next one re-explores).
  bool changed() const { return changed_; }
  // Completed generations in a row in which the incumbent stayed the same individual.
  std::size_t generations_since_improvement() const { return stagnant_; }
  const GenomeCodec& codec() const { return codec_; }
  // The individual is the start genome or an anchor (the first candidates, chosen, not drawn).
  bool is_seed(std::uint64_t id) const { return id < first_drawn_id_; }

 private:
  void begin_generation();
  void end_generation();
  void breed();
  void reexplore(std::uint64_t witness_id);
  Individual& add_candidate(Eigen::VectorXd genes, double parent_fitness, bool bred);
  // Up to n novel candidates mutated from `centre` (a mutant that decodes to knobs already in
  // the population is drawn again, a bounded number of times).
  void add_mutants(const Eigen::VectorXd& centre, std::size_t n, double sigma);
  Evaluation evaluation_of(const Individual& ind, Purpose p) const;
  Eigen::VectorXd make_child(const std::vector<const Individual*>& parents,
                             const std::vector<double>& fitness, double& parent_fitness);

  GenomeCodec codec_;
  SearchOptions opts_;
  std::vector<GeneShape> shape_;
  Rng rng_;
  StepSize step_;
  ChangeDetector detector_;
  Population population_;
  std::deque<Evaluation> queue_;
  std::vector<Measurement> measured_;
  std::uint64_t next_id_ = 1;
  std::uint64_t first_drawn_id_ = 1;  // ids below it are the start and the anchors
  std::uint64_t generation_ = 0;
  std::uint64_t evaluations_ = 0;
  bool in_generation_ = false;
  bool change_detected_ = false;      // in the generation in progress
  std::uint64_t change_witness_ = 0;  // the individual whose measurement showed the change
  bool changed_ = false;              // in the last completed generation
  // A suspicion in progress (ChangeDetector: suspect): the genome whose low sample began it,
  // measured again next when a one-window genome's drop could not count (recheck_id_), and
  // the best fresh sample of such a genome (the witness if the change is confirmed and the
  // suspect's own re-check is lower).
  std::optional<std::uint64_t> suspect_id_;
  std::optional<std::uint64_t> recheck_id_;
  struct StandIn {
    std::uint64_t id = 0;
    double fresh = 0;
  };
  std::optional<StandIn> stand_in_;
  std::uint64_t last_best_id_ = 0;
  std::size_t stagnant_ = 0;
};

}  // namespace vmp::tuner
