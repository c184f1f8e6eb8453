// Genetic operators on genomes in the unit cube. Every random draw comes from the Rng passed
// in, so a search is a pure function of its seed and the fitness values it is told.
#pragma once

#include <Eigen/Core>
#include <cstddef>
#include <random>
#include <vector>

namespace vmp::tuner {

using Rng = std::mt19937_64;

// How the operators treat a gene.
enum class GeneShape {
  numeric,      // a position on a scale
  categorical,  // a choice; its position in [0,1] only names it
  // Numeric with an "off" switch: [0, kOffShare) means off (e.g. sockbuf 0 = kernel
  // autotuning). A small step never crosses from a tuned value to "off", so mutation also flips
  // the switch now and then, like a category.
  numeric_with_off,
};
inline constexpr double kOffShare = 0.2;

// Index of the winner of a `k`-way tournament (highest fitness among k uniform draws, with
// replacement). Larger k means stronger selection pressure.
std::size_t tournament_select(const std::vector<double>& fitness, std::size_t k, Rng& rng);

// BLX-alpha blend for numeric genes (uniform in the parents' interval widened by alpha on each
// side) and uniform crossover for categorical genes (each taken whole from one parent: the
// average of "reno" and "cubic" means nothing).
Eigen::VectorXd blend_crossover(const Eigen::VectorXd& a, const Eigen::VectorXd& b, double alpha,
                                const std::vector<GeneShape>& shape, Rng& rng);

// Adds N(0, sigma) to every numeric gene; a categorical gene is redrawn uniformly, and an
// off-switch flipped, with probability max(0.05, min(0.5, 2 sigma)), so that choices keep
// being explored even after the numeric steps have become small.
void gaussian_mutation(Eigen::VectorXd& genes, double sigma, const std::vector<GeneShape>& shape,
                       Rng& rng);

// Mirrors genes that left [0,1] back inside (clamping would pile mutants up on the faces).
void reflect_into_unit_cube(Eigen::VectorXd& genes);

// n points spread over the cube: every gene's range is cut into n strata and each point takes
// a different stratum per gene (Latin hypercube), so a small first population covers the space.
std::vector<Eigen::VectorXd> latin_hypercube(std::size_t n, std::size_t dimension, Rng& rng);

}  // namespace vmp::tuner
