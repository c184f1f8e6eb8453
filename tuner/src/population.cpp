#include "vmp/tuner/population.hpp"

#include <algorithm>
#include <utility>

namespace vmp::tuner {

void Individual::add_sample(double measured, double min_weight) {
  ++samples;
  double weight = std::max(1.0 / samples, min_weight);
  fitness = samples == 1 ? measured : fitness + weight * (measured - fitness);
}

Individual& Population::add(Individual ind) {
  members_.push_back(std::move(ind));
  return members_.back();
}

Individual* Population::find(std::uint64_t id) {
  auto it = std::find_if(members_.begin(), members_.end(),
                         [id](const Individual& m) { return m.id == id; });
  return it == members_.end() ? nullptr : &*it;
}

Individual* Population::find(const Knobs& knobs) {
  auto it = std::find_if(members_.begin(), members_.end(),
                         [&](const Individual& m) { return m.knobs == knobs; });
  return it == members_.end() ? nullptr : &*it;
}

const Individual* Population::best(std::uint64_t except_id) const {
  const Individual* best = nullptr;
  for (const auto& m : members_) {
    if (!m.evaluated() || (except_id != 0 && m.id == except_id)) continue;
    if (!best || m.fitness > best->fitness) best = &m;
  }
  return best;
}

void Population::truncate(std::size_t n) {
  std::erase_if(members_, [](const Individual& m) { return !m.evaluated(); });
  // Stable, so that among equal fitness the older individual survives: the order depends on
  // nothing but the seed and the measurements.
  std::stable_sort(members_.begin(), members_.end(),
                   [](const Individual& a, const Individual& b) { return a.fitness > b.fitness; });
  if (members_.size() > n) members_.resize(n, Individual{});
}

}  // namespace vmp::tuner
