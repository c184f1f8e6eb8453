// The individuals the search keeps: each genome with its smoothed, measured fitness.
#pragma once

#include <Eigen/Core>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "knobs.hpp"

namespace vmp::tuner {

struct Individual {
  std::uint64_t id = 0;
  Eigen::VectorXd genes;  // canonical (GenomeCodec::canonical)
  Knobs knobs;            // what the genes decode to
  double fitness = 0;     // smoothed over `samples` measurements
  std::uint32_t samples = 0;
  // Fitness of the better parent when it was bred (0 for immigrants); a child that beats it is
  // a "success" for step-size control.
  double parent_fitness = 0;
  bool bred = false;

  bool evaluated() const { return samples > 0; }
  // Folds one measurement in: the plain mean while samples are few, then an exponential
  // average whose newest weight never drops below `min_weight`, so that an individual measured
  // many times still follows a path whose conditions drift.
  void add_sample(double measured, double min_weight);
};

class Population {
 public:
  std::vector<Individual>& members() { return members_; }
  const std::vector<Individual>& members() const { return members_; }
  std::size_t size() const { return members_.size(); }

  Individual& add(Individual ind);
  Individual* find(std::uint64_t id);
  Individual* find(const Knobs& knobs);
  // Highest fitness among evaluated members, optionally ignoring one id; nullptr if none.
  const Individual* best(std::uint64_t except_id = 0) const;
  // Keeps the `n` fittest evaluated members (elitism: the best always survives) and drops the
  // rest, including any never evaluated.
  void truncate(std::size_t n);

 private:
  std::vector<Individual> members_;
};

}  // namespace vmp::tuner
