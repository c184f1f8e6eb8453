// Mutation step size, adapted by Rechenberg's 1/5 success rule: when more than a fifth of the
// children beat their parents the search is on a slope and strides longer; when fewer do, it is
// near an optimum and steps shorter.
#pragma once

#include <cstddef>

namespace vmp::tuner {

class StepSize {
 public:
  StepSize(double initial, double min, double max);
  double sigma() const { return sigma_; }
  void update(std::size_t successes, std::size_t trials);
  void reset(double sigma);

 private:
  double sigma_;
  double min_;
  double max_;
};

}  // namespace vmp::tuner
