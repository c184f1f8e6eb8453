#include "vmp/tuner/operators.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace vmp::tuner {
namespace {

double uniform(Rng& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}

}  // namespace

std::size_t tournament_select(const std::vector<double>& fitness, std::size_t k, Rng& rng) {
  std::uniform_int_distribution<std::size_t> pick(0, fitness.size() - 1);
  std::size_t winner = pick(rng);
  for (std::size_t i = 1; i < k; ++i) {
    std::size_t c = pick(rng);
    if (fitness[c] > fitness[winner]) winner = c;
  }
  return winner;
}

Eigen::VectorXd blend_crossover(const Eigen::VectorXd& a, const Eigen::VectorXd& b, double alpha,
                                const std::vector<GeneShape>& shape, Rng& rng) {
  Eigen::VectorXd child(a.size());
  for (Eigen::Index i = 0; i < a.size(); ++i) {
    if (shape[static_cast<std::size_t>(i)] == GeneShape::categorical) {
      child[i] = uniform(rng, 0, 1) < 0.5 ? a[i] : b[i];
    } else {
      double lo = std::min(a[i], b[i]);
      double hi = std::max(a[i], b[i]);
      double span = hi - lo;
      child[i] = uniform(rng, lo - alpha * span, hi + alpha * span + 1e-12);
    }
  }
  reflect_into_unit_cube(child);
  return child;
}

void gaussian_mutation(Eigen::VectorXd& genes, double sigma, const std::vector<GeneShape>& shape,
                       Rng& rng) {
  std::normal_distribution<double> step(0.0, sigma);
  double redraw = std::clamp(2 * sigma, 0.05, 0.5);
  for (Eigen::Index i = 0; i < genes.size(); ++i) {
    switch (shape[static_cast<std::size_t>(i)]) {
      case GeneShape::categorical:
        if (uniform(rng, 0, 1) < redraw) genes[i] = uniform(rng, 0, 1);
        break;
      case GeneShape::numeric_with_off:
        if (uniform(rng, 0, 1) < redraw) {
          genes[i] = genes[i] < kOffShare ? uniform(rng, kOffShare, 1) : kOffShare / 2;
          break;
        }
        genes[i] += step(rng);
        break;
      case GeneShape::numeric:
        genes[i] += step(rng);
        break;
    }
  }
  reflect_into_unit_cube(genes);
}

void reflect_into_unit_cube(Eigen::VectorXd& genes) {
  for (Eigen::Index i = 0; i < genes.size(); ++i) {
    double x = genes[i];
    if (!std::isfinite(x)) {
      x = 0.5;
    } else {
      // Fold onto a period-2 triangle wave: ... 1.2 -> 0.8, -0.3 -> 0.3, 2.4 -> 0.4 ...
      x = std::fmod(std::abs(x), 2.0);
      if (x > 1.0) x = 2.0 - x;
    }
    genes[i] = x;
  }
}

std::vector<Eigen::VectorXd> latin_hypercube(std::size_t n, std::size_t dimension, Rng& rng) {
  std::vector<Eigen::VectorXd> points(n, Eigen::VectorXd(static_cast<Eigen::Index>(dimension)));
  std::vector<std::size_t> strata(n);
  for (std::size_t d = 0; d < dimension; ++d) {
    std::iota(strata.begin(), strata.end(), std::size_t{0});
    std::shuffle(strata.begin(), strata.end(), rng);
    for (std::size_t p = 0; p < n; ++p) {
      points[p][static_cast<Eigen::Index>(d)] =
          (static_cast<double>(strata[p]) + uniform(rng, 0, 1)) / static_cast<double>(n);
    }
  }
  return points;
}

}  // namespace vmp::tuner
