#include "vmp/tuner/step_size.hpp"

#include <algorithm>
#include <cmath>

namespace vmp::tuner {

StepSize::StepSize(double initial, double min, double max)
    : sigma_(std::clamp(initial, min, max)), min_(min), max_(max) {}

void StepSize::update(std::size_t successes, std::size_t trials) {
  if (trials == 0) return;
  double rate = static_cast<double>(successes) / static_cast<double>(trials);
  // Smooth form of the 1/5 rule: no change at exactly one success in five; all failures shrink
  // sigma by ~14%, all successes grow it by ~82%. Shrinking slowly matters with noisy fitness,
  // where some "failures" are bad luck.
  sigma_ = std::clamp(sigma_ * std::exp(0.6 * (rate - 0.2) / 0.8), min_, max_);
}

void StepSize::reset(double sigma) {
  sigma_ = std::clamp(sigma, min_, max_);
}

}  // namespace vmp::tuner
