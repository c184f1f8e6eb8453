#include "vmp/tuner/cost_penalty.hpp"

#include <algorithm>
#include <cmath>

#include "vmp/tuner/genome_codec.hpp"

namespace vmp::tuner {

double cost_factor(const Knobs& knobs, std::size_t link_count, double leg_cost) {
  double extra = static_cast<double>(effective_legs(knobs, link_count)) - 1.0;
  return std::exp(-std::max(0.0, leg_cost) * std::max(0.0, extra));
}

}  // namespace vmp::tuner
