#include "vmp/tuner/genome_codec.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <thread>
#include <utility>

namespace vmp::tuner {
namespace {

// Byte-size knobs move in whole pages: finer steps cannot matter, and coarse steps let two
// genomes that mean the same thing be recognised as one (their measurements then average).
constexpr double kGranule = 4.0 * KiB;
// Share of the sockbuf gene that means "0 = kernel autotuning".
constexpr double kAutoShare = kOffShare;
constexpr double kMaxWeight = 100.0;

double clamp01(double g) {
  return std::isnan(g) ? 0.0 : std::clamp(g, 0.0, 1.0);
}

double from_log(double g, double lo, double hi) {
  return std::exp(std::log(lo) + g * (std::log(hi) - std::log(lo)));
}

double to_log(double v, double lo, double hi) {
  if (hi <= lo) return 0.5;
  v = std::clamp(v, lo, hi);
  return (std::log(v) - std::log(lo)) / (std::log(hi) - std::log(lo));
}

double round_to_granule(double v, double lo, double hi) {
  double r = std::round(v / kGranule) * kGranule;
  return std::clamp(r, lo, hi);
}

std::uint64_t floor_granule(std::uint64_t v) {
  auto g = static_cast<std::uint64_t>(kGranule);
  return v / g * g;
}

}  // namespace

std::uint32_t effective_legs(const Knobs& k, std::size_t link_count) {
  std::uint64_t cap = std::uint64_t{k.legs_per_link_max} * std::max<std::size_t>(link_count, 1);
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(k.legs, cap));
}

GenomeCodec::GenomeCodec(Knobs base, KnobSet pinned, std::size_t link_count,
                         std::vector<std::string> congestion_choices, SearchBounds bounds)
    : base_(std::move(base)), link_count_(std::max<std::size_t>(link_count, 1)) {
  if (auto err = validate(base_)) throw std::invalid_argument("tuner: base knobs: " + *err);
  const bool multi = link_count_ >= 2;
  auto free = [&](KnobId id) { return !has(pinned, id); };

  const bool share_gene = multi && free(KnobId::legs_per_link_max);
  // One gene per tunable, unpinned row of the knob table, in table order. The type decides
  // the gene's shape; a few knobs have a shape or a bound of their own (below).
  for (const auto& spec : kKnobTable) {
    if (!spec.tunable || !free(spec.id)) continue;
    switch (spec.id) {
      case KnobId::legs_per_link_max:
        if (share_gene) genes_.push_back({spec.id, GeneKind::legs_share, 0, 0, 1});
        continue;
      case KnobId::link_weights:
        if (!multi) continue;
        for (std::size_t i = 0; i < link_count_; ++i) {
          genes_.push_back({spec.id, GeneKind::link_weight, i, 0, kMaxWeight});
        }
        base_.link_weights.assign(link_count_, kMaxWeight);
        continue;
      case KnobId::congestion:
        if (congestion_choices.empty()) continue;
        // "" (the system default) is always a choice, so a start configuration without an
        // explicit algorithm is represented exactly.
        congestion_.push_back("");
        for (auto& c : congestion_choices) {
          if (!c.empty() &&
              std::find(congestion_.begin(), congestion_.end(), c) == congestion_.end()) {
            congestion_.push_back(std::move(c));
          }
        }
        genes_.push_back({spec.id, GeneKind::congestion, 0, 0, 0});
        continue;
      case KnobId::compress:
        genes_.push_back({spec.id, GeneKind::codec, 0, 0, 0});
        continue;
      default:
        break;
    }
    double lo = static_cast<double>(spec.range.min);
    double hi = static_cast<double>(spec.range.max);
    switch (spec.id) {
      case KnobId::legs:
        // Without a share gene the per-link cap is fixed, and legs beyond it would never run.
        if (!share_gene) {
          hi = std::min(
              hi, static_cast<double>(base_.legs_per_link_max) * static_cast<double>(link_count_));
        }
        break;
      // frame and window are tied by "window holds at least two frames"; when one is pinned
      // the other's range shrinks so that every decoded pair is valid.
      case KnobId::frame_bytes:
        hi = static_cast<double>(
            std::clamp<std::uint64_t>(bounds.max_frame_bytes, spec.range.min, spec.range.max));
        if (!free(KnobId::window_bytes)) {
          hi = std::min(hi, static_cast<double>(floor_granule(base_.window_bytes / 2)));
        }
        break;
      case KnobId::sidechain_workers:
        hi = std::min(hi,
                      static_cast<double>(bounds.max_sidechain_workers
                                              ? bounds.max_sidechain_workers
                                              : std::max(1U, std::thread::hardware_concurrency())));
        if (hi <= lo) continue;  // one core: nothing to choose
        break;
      case KnobId::window_bytes:
        if (!free(KnobId::frame_bytes)) lo = std::max(lo, 2.0 * base_.frame_bytes);
        hi = std::max(lo, static_cast<double>(
                              std::min<std::uint64_t>(spec.range.max, bounds.max_window_bytes)));
        break;
      default:
        // Per-leg socket buffers (and any other size that may be 0 for "automatic").
        if (spec.type == KnobType::bytes && spec.range.zero_allowed) {
          lo = static_cast<double>(
              std::max<std::uint64_t>(spec.range.min, bounds.min_sockbuf_bytes));
          hi = std::max(lo, static_cast<double>(
                                std::min<std::uint64_t>(spec.range.max, bounds.max_sockbuf_bytes)));
        }
        break;
    }
    GeneKind kind = GeneKind::log_count;
    if (spec.type == KnobType::bytes) {
      kind = spec.range.zero_allowed ? GeneKind::sockbuf : GeneKind::log_bytes;
    }
    genes_.push_back({spec.id, kind, 0, lo, hi});
  }
}

GeneShape GenomeCodec::shape(std::size_t gene) const {
  switch (genes_.at(gene).kind) {
    case GeneKind::congestion:
      return GeneShape::categorical;
    case GeneKind::sockbuf:
      return GeneShape::numeric_with_off;
    default:
      return GeneShape::numeric;
  }
}

std::string GenomeCodec::gene_name(std::size_t gene) const {
  const Gene& g = genes_.at(gene);
  std::string name(knob_spec(g.knob).key);
  if (g.kind == GeneKind::link_weight) name = "link_weight[" + std::to_string(g.link) + "]";
  return name;
}

Eigen::VectorXd GenomeCodec::encode(const Knobs& k) const {
  Eigen::VectorXd v(static_cast<Eigen::Index>(genes_.size()));
  double max_weight = 0;
  for (double w : k.link_weights) max_weight = std::max(max_weight, w);
  for (std::size_t i = 0; i < genes_.size(); ++i) {
    const Gene& g = genes_[i];
    double x = 0.5;
    switch (g.kind) {
      case GeneKind::log_count: {
        auto n = static_cast<double>(knob_spec(g.knob).get(k));
        // 0 workers means one per core: the top of the gene's range.
        if (g.knob == KnobId::sidechain_workers && n == 0) n = g.hi;
        x = to_log(n, g.lo, g.hi);
        break;
      }
      case GeneKind::codec: {
        const auto it = std::find(kCompressChoices.begin(), kCompressChoices.end(), k.compress);
        // A level off the ladder (given by hand) starts from the nearest cheaper step: lz4.
        const auto idx = it == kCompressChoices.end() ? 1 : it - kCompressChoices.begin();
        x = (static_cast<double>(idx) + 0.5) / static_cast<double>(kCompressChoices.size());
        break;
      }
      case GeneKind::legs_share: {
        double links = static_cast<double>(link_count_);
        double frac = std::min(1.0, double(k.legs_per_link_max) / std::max(1.0, double(k.legs)));
        x = (frac - 1.0 / links) / (1.0 - 1.0 / links);
        break;
      }
      case GeneKind::log_bytes:
        x = to_log(static_cast<double>(knob_spec(g.knob).get(k)), g.lo, g.hi);
        break;
      case GeneKind::sockbuf: {
        const auto b = static_cast<double>(knob_spec(g.knob).get(k));
        x = b == 0 ? kAutoShare / 2 : kAutoShare + (1 - kAutoShare) * to_log(b, g.lo, g.hi);
        break;
      }
      case GeneKind::congestion: {
        auto it = std::find(congestion_.begin(), congestion_.end(), k.congestion);
        auto idx = it == congestion_.end() ? 0 : it - congestion_.begin();
        x = (static_cast<double>(idx) + 0.5) / static_cast<double>(congestion_.size());
        break;
      }
      case GeneKind::link_weight:
        // Weights are relative: scale so that the heaviest link is 1. Missing weights mean
        // "equal", i.e. all 1.
        x = (k.link_weights.size() == link_count_ && max_weight > 0)
                ? k.link_weights[g.link] / max_weight
                : 1.0;
        break;
    }
    v[static_cast<Eigen::Index>(i)] = clamp01(x);
  }
  return v;
}

Knobs GenomeCodec::decode(const Eigen::VectorXd& genome) const {
  if (static_cast<std::size_t>(genome.size()) != genes_.size()) {
    throw std::invalid_argument("tuner: genome has " + std::to_string(genome.size()) +
                                " genes, expected " + std::to_string(genes_.size()));
  }
  Knobs k = base_;
  const Gene* window_gene = nullptr;
  const Gene* frame_gene = nullptr;
  double share = -1;
  bool weight_genes = false;
  bool any_weight = false;
  for (std::size_t i = 0; i < genes_.size(); ++i) {
    const Gene& g = genes_[i];
    double x = clamp01(genome[static_cast<Eigen::Index>(i)]);
    switch (g.kind) {
      case GeneKind::log_count:
        knob_spec(g.knob).put(k, static_cast<std::uint64_t>(
                                     std::clamp(std::round(from_log(x, g.lo, g.hi)), g.lo, g.hi)));
        break;
      case GeneKind::legs_share:
        share = x;
        break;
      case GeneKind::log_bytes: {
        auto b = static_cast<std::uint64_t>(round_to_granule(from_log(x, g.lo, g.hi), g.lo, g.hi));
        knob_spec(g.knob).put(k, b);
        if (g.knob == KnobId::frame_bytes) frame_gene = &g;
        if (g.knob == KnobId::window_bytes) window_gene = &g;
        break;
      }
      case GeneKind::sockbuf: {
        std::uint64_t b = 0;
        if (x >= kAutoShare) {
          double t = (x - kAutoShare) / (1 - kAutoShare);
          b = static_cast<std::uint64_t>(round_to_granule(from_log(t, g.lo, g.hi), g.lo, g.hi));
        }
        knob_spec(g.knob).put(k, b);
        break;
      }
      case GeneKind::congestion: {
        auto n = congestion_.size();
        auto idx = std::min(n - 1, static_cast<std::size_t>(x * static_cast<double>(n)));
        k.congestion = congestion_[idx];
        break;
      }
      case GeneKind::codec: {
        const auto n = kCompressChoices.size();
        const auto idx = std::min(n - 1, static_cast<std::size_t>(x * static_cast<double>(n)));
        k.compress = std::string(kCompressChoices[idx]);
        break;
      }
      case GeneKind::link_weight: {
        double w = std::round(x * kMaxWeight * 10) / 10;
        k.link_weights[g.link] = w;
        weight_genes = true;
        any_weight = any_weight || w > 0;
        break;
      }
    }
  }
  if (share >= 0) {
    // legs_per_link_max between "legs spread evenly over every link" and "all on one link":
    // outside that span the knob either strands legs or does nothing.
    double links = static_cast<double>(link_count_);
    double frac = 1.0 / links + share * (1.0 - 1.0 / links);
    double cap = std::ceil(static_cast<double>(k.legs) * frac - 1e-9);
    k.legs_per_link_max = static_cast<std::uint32_t>(
        std::clamp(cap, double(kLegsPerLinkRange.min), double(kLegsPerLinkRange.max)));
  }
  // Every weight 0 would idle every link; read it as "equal" instead.
  if (weight_genes) {
    // Only shares matter; scaling the heaviest link to 100 gives each share one spelling, so
    // decode(encode(decode(g))) == decode(g). Every weight 0 would idle every link: read it as
    // "equal" instead.
    double heaviest = *std::max_element(k.link_weights.begin(), k.link_weights.end());
    for (double& w : k.link_weights) {
      w = any_weight ? std::round(w / heaviest * kMaxWeight * 10) / 10 : kMaxWeight;
    }
  }
  if (k.window_bytes < 2ULL * k.frame_bytes) {
    if (window_gene && 2.0 * k.frame_bytes <= window_gene->hi) {
      k.window_bytes = 2ULL * k.frame_bytes;
    } else if (frame_gene) {
      k.frame_bytes = static_cast<std::uint32_t>(
          std::max<std::uint64_t>(kFrameRange.min, floor_granule(k.window_bytes / 2)));
    }
  }
  return k;
}

}  // namespace vmp::tuner
