// Fitness landscapes with known optima for the ask/tell tests.
#pragma once

#include <cmath>
#include <random>
#include <string>

#include "knobs.hpp"

namespace vmp::tuner::testing {

// Separable bumps in log space, optimum exactly 1e8 at legs = 12, frame = 1 MiB,
// window = 48 MiB, congestion bbr, kernel-autotuned send buffer; rcvbuf is flat (a knob that
// does not matter must not confuse the search).
inline double bump_landscape(const Knobs& k) {
  auto bump = [](double x, double at, double width) {
    double d = (x - at) / width;
    return std::exp(-0.5 * d * d);
  };
  double f = 1e8;
  f *= bump(std::log2(k.legs), std::log2(12.0), 1.5);
  f *= bump(std::log2(k.frame_bytes), 20, 2.5);
  f *= bump(std::log2(static_cast<double>(k.window_bytes)), std::log2(48.0 * 1024 * 1024), 2.5);
  f *= k.congestion == "bbr" ? 1.0 : 0.7;
  f *= k.sndbuf_bytes == 0 ? 1.0 : 0.9;
  return f;
}

// Multiplicative noise of a goodput measurement.
class Noise {
 public:
  Noise(std::uint64_t seed, double sigma) : rng_(seed), dist_(0.0, sigma) {}
  double operator()(double f) { return f * dist_(rng_); }

 private:
  std::mt19937_64 rng_;
  std::lognormal_distribution<double> dist_;
};

}  // namespace vmp::tuner::testing
