// Fitness = acknowledged goodput, discounted for what it costs. Each leg is a socket, buffers
// on both hosts, a thread's worth of work, and a share of the path taken from other users; so
// more legs must pay for themselves:
//
//   fitness = goodput x exp(-leg_cost x (legs - 1))       (legs actually able to run)
//
// The discount is a factor, not a subtraction, so it means the same on a 10 Mbit/s link and a
// 10 Gbit/s one. With the default leg_cost 0.002, doubling from n to 2n legs must gain more
// than about 0.2% x n: 8 -> 16 legs needs 1.6%, 32 -> 64 needs 6.6%, and going from 16 to 64
// legs for a 2% gain loses. leg_cost 0 turns the penalty off.
#pragma once

#include <cstddef>

#include "knobs.hpp"

namespace vmp::tuner {

inline constexpr double kDefaultLegCost = 0.002;

// The factor in (0, 1] that multiplies goodput for these knobs.
double cost_factor(const Knobs& knobs, std::size_t link_count, double leg_cost);

inline double penalised_fitness(double goodput, const Knobs& knobs, std::size_t link_count,
                                double leg_cost) {
  return goodput * cost_factor(knobs, link_count, leg_cost);
}

}  // namespace vmp::tuner
