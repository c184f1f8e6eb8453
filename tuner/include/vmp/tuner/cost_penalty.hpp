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
//
// When the tuner chooses the codec, the CPU it burns is a cost too (it is taken from whatever
// else runs on the host, the receiver's decoding among them when both ends share it):
//
//   x exp(-cpu_cost x cores)      (cores = the sidechain's busy seconds per second measured)
//
// With the default 0.1 a core kept busy for the whole transfer must buy 10% more goodput: on a
// slow link a heavier zstd level wins while its ratio pays for it, and the ladder stops where
// the CPU, not the network, would set the pace (there goodput itself falls).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "knobs.hpp"

namespace vmp::tuner {

inline constexpr double kDefaultLegCost = 0.002;
inline constexpr double kDefaultCpuCost = 0.1;

// The factor in (0, 1] that multiplies goodput for these knobs.
double cost_factor(const Knobs& knobs, std::size_t link_count, double leg_cost);

inline double penalised_fitness(double goodput, const Knobs& knobs, std::size_t link_count,
                                double leg_cost) {
  return goodput * cost_factor(knobs, link_count, leg_cost);
}

inline double cpu_factor(double sidechain_cores, double cpu_cost) {
  return std::exp(-std::max(0.0, cpu_cost) * std::max(0.0, sidechain_cores));
}

}  // namespace vmp::tuner
