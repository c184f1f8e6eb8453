#include "vmp/tuner/genetic_search.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace vmp::tuner {

const char* to_string(Purpose p) {
  switch (p) {
    case Purpose::explore:
      return "explore";
    case Purpose::confirm:
      return "confirm";
    case Purpose::incumbent:
      return "incumbent";
  }
  return "?";
}

GeneticSearch::GeneticSearch(GenomeCodec codec, SearchOptions opts, std::uint64_t seed,
                             const Knobs& start, const std::vector<Knobs>& anchors, FirstDraw draw)
    : codec_(std::move(codec)),
      opts_(opts),
      rng_(seed),
      step_(opts.sigma_initial, opts.sigma_min, opts.sigma_max),
      detector_(opts.change) {
  opts_.population = std::max<std::size_t>(opts_.population, 2);
  opts_.offspring = std::max<std::size_t>(opts_.offspring, 1);
  opts_.tournament = std::max<std::size_t>(opts_.tournament, 1);
  opts_.reexplore_keep = std::clamp(opts_.reexplore_keep, 0.0, 1.0);
  for (std::size_t i = 0; i < codec_.dimension(); ++i) {
    shape_.push_back(codec_.shape(i));
  }
  // The start genome goes first, so that the first window measures what the user asked for
  // (or what the profile remembered) and every later candidate has an incumbent to beat.
  add_candidate(codec_.encode(start), 0, false);
  // Anchors next: a uniform sample of a 6-10 gene space is mostly mediocre, and on a live
  // transfer every mediocre window costs throughput; a known-decent point measured early
  // gives the rest of generation 0 an incumbent worth beating (and early aborts a bar).
  for (const Knobs& a : anchors) {
    if (population_.size() + 1 >= opts_.population) break;
    add_candidate(codec_.encode(a), 0, false);
  }
  first_drawn_id_ = next_id_;
  const std::size_t drawn = opts_.population - population_.size();
  if (draw == FirstDraw::around_start) {
    add_mutants(codec_.encode(start), drawn, opts_.sigma_initial);
    return;
  }
  for (auto& p : latin_hypercube(drawn, codec_.dimension(), rng_)) {
    add_candidate(std::move(p), 0, false);
  }
}

void GeneticSearch::add_mutants(const Eigen::VectorXd& centre, std::size_t n, double sigma) {
  const std::size_t want = population_.size() + n;
  for (std::size_t tries = 0; population_.size() < want && tries < 8 * n; ++tries) {
    Eigen::VectorXd child = centre;
    gaussian_mutation(child, sigma, shape_, rng_);
    add_candidate(std::move(child), 0, false);
  }
}

Individual& GeneticSearch::add_candidate(Eigen::VectorXd genes, double parent_fitness, bool bred) {
  Eigen::VectorXd canonical = codec_.canonical(genes);
  Knobs knobs = codec_.decode(canonical);
  if (Individual* same = population_.find(knobs)) return *same;
  Individual ind;
  ind.id = next_id_++;
  ind.genes = std::move(canonical);
  ind.knobs = std::move(knobs);
  ind.parent_fitness = parent_fitness;
  ind.bred = bred;
  return population_.add(std::move(ind));
}

Evaluation GeneticSearch::evaluation_of(const Individual& ind, Purpose p) const {
  return Evaluation{ind.id, ind.knobs, p};
}

Evaluation GeneticSearch::next() {
  if (!in_generation_) begin_generation();
  if (!queue_.empty()) return queue_.front();
  if (const Individual* suspect = recheck_id_ ? population_.find(*recheck_id_) : nullptr) {
    return evaluation_of(*suspect, Purpose::incumbent);
  }
  return evaluation_of(*population_.best(), Purpose::incumbent);
}

bool GeneticSearch::tell(const Evaluation& e, double fitness) {
  ++evaluations_;
  measured_.push_back({e.id, e.knobs, e.purpose, fitness});
  Individual* ind = population_.find(e.id);
  if (!ind) return false;  // dropped meanwhile; nothing to learn
  if (e.purpose == Purpose::incumbent) {
    recheck_id_.reset();
    const bool low = fitness < (1.0 - detector_.options().drop) * ind->fitness;
    if (ind->samples < 2 && low && detector_.suspicious()) {
      // The re-check after a low incumbent sample ran a genome with one window to its name
      // (the low sample ranked the old incumbent below it). One window can be flattered by its
      // predecessor's queue, so a drop from that record says more about the record than about
      // the path: it is no strike. The genome whose low sample began the suspicion is measured
      // again instead: low again, the path changed; fine, it was noise. (On the rig a
      // one-window 84 Mbit/s that truly did 5 completed a "change" while the path was as
      // before, and the search threw a good population away.) Its fresh sample is kept: when
      // the change is confirmed it may be the better witness (after a path died, such a genome
      // measured 88 Mbit/s, the new best, and the suspect 28).
      ind->add_sample(fitness, opts_.smoothing);
      if (!stand_in_ || fitness > stand_in_->fresh) stand_in_ = StandIn{ind->id, fitness};
      recheck_id_ = suspect_id_;
      return false;
    }
    switch (detector_.observe(ind->fitness, fitness)) {
      case ChangeDetector::Verdict::changed: {
        // Its history describes a path that no longer exists. The witness is the genome with
        // the best fresh sample of the strikes that confirmed it.
        Individual* witness = ind;
        double fresh = fitness;
        if (Individual* s = stand_in_ ? population_.find(stand_in_->id) : nullptr;
            s && stand_in_->fresh > fitness) {
          witness = s;
          fresh = stand_in_->fresh;
        }
        witness->fitness = fresh;
        witness->samples = 1;
        change_detected_ = true;
        change_witness_ = witness->id;
        end_generation();
        return true;
      }
      case ChangeDetector::Verdict::suspect:
        // Re-measured at once (next() issues the best genome now) before anything is decided.
        suspect_id_ = ind->id;
        ind->add_sample(fitness, opts_.smoothing);
        return false;
      case ChangeDetector::Verdict::steady:
        ind->add_sample(fitness, opts_.smoothing);
        end_generation();
        return true;
    }
  }
  if (!queue_.empty() && queue_.front().id == e.id && queue_.front().purpose == e.purpose) {
    queue_.pop_front();
  }
  ind->add_sample(fitness, opts_.smoothing);
  if (e.purpose == Purpose::explore && ind->samples < 2) {
    const Individual* incumbent = population_.best(ind->id);
    if (incumbent && ind->fitness > incumbent->fitness) {
      queue_.push_front(evaluation_of(*ind, Purpose::confirm));
    }
  }
  return false;
}

void GeneticSearch::begin_generation() {
  in_generation_ = true;
  measured_.clear();
  queue_.clear();
  for (const auto& m : population_.members()) {
    if (!m.evaluated()) queue_.push_back(evaluation_of(m, Purpose::explore));
  }
  if (queue_.empty()) breed();
}

Eigen::VectorXd GeneticSearch::make_child(const std::vector<const Individual*>& parents,
                                          const std::vector<double>& fitness,
                                          double& parent_fitness) {
  std::uniform_real_distribution<double> coin(0, 1);
  std::size_t a = tournament_select(fitness, opts_.tournament, rng_);
  Eigen::VectorXd child = parents[a]->genes;
  parent_fitness = parents[a]->fitness;
  if (parents.size() >= 2 && coin(rng_) < opts_.crossover_rate) {
    std::size_t b = tournament_select(fitness, opts_.tournament, rng_);
    for (int retry = 0; b == a && retry < 3; ++retry) {
      b = tournament_select(fitness, opts_.tournament, rng_);
    }
    child = blend_crossover(parents[a]->genes, parents[b]->genes, opts_.blend_alpha, shape_, rng_);
    parent_fitness = std::max(parent_fitness, parents[b]->fitness);
  }
  gaussian_mutation(child, step_.sigma(), shape_, rng_);
  return codec_.canonical(child);
}

void GeneticSearch::breed() {
  std::vector<const Individual*> parents;
  std::vector<double> fitness;
  for (const auto& m : population_.members()) {
    if (!m.evaluated()) continue;
    parents.push_back(&m);
    fitness.push_back(m.fitness);
  }
  if (parents.empty()) return;
  struct Child {
    Eigen::VectorXd genes;
    Knobs knobs;
    double parent_fitness;
  };
  // Only novel children: one that decodes to knobs already in the population or already bred
  // this generation teaches nothing new. (A surrogate model that pre-screened 4-16x as many
  // children was tried and did not converge faster on the synthetic paths; see README.)
  std::vector<Child> pool;
  const std::size_t want = opts_.offspring;
  for (std::size_t tries = 0; pool.size() < want && tries < 8 * want; ++tries) {
    double parent_fitness = 0;
    Eigen::VectorXd genes = make_child(parents, fitness, parent_fitness);
    Knobs knobs = codec_.decode(genes);
    if (population_.find(knobs)) continue;
    if (std::any_of(pool.begin(), pool.end(), [&](const Child& c) { return c.knobs == knobs; })) {
      continue;
    }
    pool.push_back({std::move(genes), std::move(knobs), parent_fitness});
  }
  // `parents` points into the population, which add_candidate() grows: not used past here.
  for (auto& c : pool) {
    Individual& ind = add_candidate(std::move(c.genes), c.parent_fitness, true);
    queue_.push_back(evaluation_of(ind, Purpose::explore));
  }
}

void GeneticSearch::end_generation() {
  std::size_t trials = 0;
  std::size_t successes = 0;
  for (auto& m : population_.members()) {
    if (!m.bred || !m.evaluated()) continue;
    ++trials;
    if (m.fitness > m.parent_fitness) ++successes;
    m.bred = false;
  }
  step_.update(successes, trials);
  changed_ = change_detected_;
  change_detected_ = false;
  if (changed_) {
    // Not truncate() to the population's size: the witness's fresh (low) sample could rank it
    // out, and the members that would survive it carry fitness measured before the change.
    reexplore(change_witness_);
  } else {
    population_.truncate(opts_.population);
    const Individual* b = population_.best();
    if (b && b->id == last_best_id_) {
      ++stagnant_;
    } else {
      stagnant_ = 0;
      last_best_id_ = b ? b->id : 0;
    }
  }
  in_generation_ = false;
  queue_.clear();
  ++generation_;
}

void GeneticSearch::reexplore(std::uint64_t witness_id) {
  // The witness (the incumbent measurement that confirmed the change: usually the best genome
  // until then, or the next best one, tried after its first low sample) is the only member whose
  // fitness describes the new path, so it is the incumbent. Every other member's fitness is
  // stale: the old code kept the best *record* as the incumbent (once the witness's fresh sample
  // had pushed it down), so a genome measured before the change (say, a 2 MiB window that did
  // well at 1 % loss and delivers 1 Mbit/s at 3 %) ran on its old record.
  // Tried and dropped (tuning_session_test sims, 20 seeds): leading with the best fresh sample
  // of the strikes (its window can straddle the change: the fast path's death took median 9 s /
  // worst 45 s instead of 6 / 18), and mutants around the incumbent from before the change
  // (loss 1 % -> 5 %: worst 49 s instead of 35).
  // Sorted by fitness with the unmeasured candidates gone, none ranked out (the witness's fresh
  // low sample could be); tell() found the witness a moment ago, so it is there.
  population_.truncate(population_.members().size());
  Individual incumbent = *population_.find(witness_id);
  // The best of the old population stay as starting points, measured again under the new
  // conditions.
  std::vector<Individual> others;
  for (const auto& m : population_.members()) {
    if (m.id != incumbent.id) others.push_back(m);
  }
  auto keep = static_cast<std::size_t>(
      std::ceil(opts_.reexplore_keep * static_cast<double>(opts_.population - 1)));
  keep = std::min({keep, others.size(), opts_.population - 1});
  population_ = Population{};
  population_.add(incumbent);
  for (std::size_t i = 0; i < keep; ++i) {
    Individual m = others[i];
    m.samples = 0;
    m.fitness = 0;
    m.bred = false;
    population_.add(std::move(m));
  }
  std::size_t free = opts_.population - population_.size();
  std::size_t mutants = free / 2;
  for (std::size_t i = 0; i < mutants; ++i) {
    Eigen::VectorXd child = incumbent.genes;
    gaussian_mutation(child, opts_.reexplore_sigma, shape_, rng_);
    add_candidate(std::move(child), 0, false);
  }
  for (auto& p : latin_hypercube(opts_.population - population_.size(), codec_.dimension(), rng_)) {
    add_candidate(std::move(p), 0, false);
  }
  step_.reset(opts_.sigma_initial);
  detector_.reset();

  stagnant_ = 0;
  last_best_id_ = incumbent.id;
}

}  // namespace vmp::tuner
