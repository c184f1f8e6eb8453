#include "tx/link_planner.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace vmp {

std::string Target::label() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

LinkPlanner::LinkPlanner(std::vector<Target> targets, std::uint64_t seed)
    : targets_(std::move(targets)), links_(targets_.size()), rng_(seed) {
  replan();
}

void LinkPlanner::set_shape(std::uint32_t legs, std::uint32_t legs_per_link_max,
                            std::vector<double> weights) {
  legs_ = legs;
  per_link_max_ = legs_per_link_max;
  weights_ = std::move(weights);
  replan();
}

std::optional<std::size_t> LinkPlanner::link_for(std::uint32_t slot) const {
  if (slot >= plan_.size()) return std::nullopt;
  return plan_[slot];
}

bool LinkPlanner::any_up() const {
  return std::any_of(links_.begin(), links_.end(), [](const LinkState& l) { return l.up; });
}

void LinkPlanner::mark_down(std::size_t link, Clock::time_point now) {
  auto& l = links_[link];
  ++l.failures;
  if (l.up) {
    l.up = false;
    l.probe.start(now);
    replan();
  }
}

void LinkPlanner::mark_up(std::size_t link) {
  auto& l = links_[link];
  if (!l.up) {
    l.up = true;
    replan();
  }
}

std::vector<std::size_t> LinkPlanner::probes_due(Clock::time_point now) {
  std::vector<std::size_t> due;
  for (std::size_t i = 0; i < links_.size(); ++i) {
    auto& l = links_[i];
    if (l.up || !l.probe.due(now)) continue;
    due.push_back(i);
    l.probe.probe_sent(now, rng_);
  }
  return due;
}

// Legs per link: proportional to weight among links that are up (largest remainder, ties to
// the preferred link), then capped, with the overflow going to the next link in preference
// order that still has room.
std::vector<std::uint32_t> LinkPlanner::shares() const {
  const std::size_t n = links_.size();
  std::vector<double> w(n, 0.0);
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!links_[i].up) continue;
    w[i] = i < weights_.size() ? weights_[i] : 1.0;
    total += w[i];
  }
  if (total <= 0) {  // every live link weighted 0: use them equally rather than not at all
    for (std::size_t i = 0; i < n; ++i) w[i] = links_[i].up ? 1.0 : 0.0;
    total = std::accumulate(w.begin(), w.end(), 0.0);
  }
  std::vector<std::uint32_t> share(n, 0);
  if (total <= 0) return share;
  std::vector<std::pair<double, std::size_t>> remainders;
  std::uint32_t given = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double exact = legs_ * w[i] / total;
    share[i] = static_cast<std::uint32_t>(std::floor(exact));
    given += share[i];
    if (w[i] > 0) remainders.emplace_back(exact - share[i], i);
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t k = 0; given < legs_ && !remainders.empty(); k = (k + 1) % remainders.size()) {
    ++share[remainders[k].second];
    ++given;
  }
  std::uint32_t overflow = 0;
  for (auto& s : share) {
    if (s > per_link_max_) {
      overflow += s - per_link_max_;
      s = per_link_max_;
    }
  }
  for (std::size_t i = 0; i < n && overflow > 0; ++i) {
    if (!links_[i].up) continue;
    const auto room = per_link_max_ - share[i];
    const auto add = std::min(room, overflow);
    share[i] += add;
    overflow -= add;
  }
  return share;  // any overflow left has nowhere to go: those slots idle
}

void LinkPlanner::replan() {
  auto need = shares();
  std::vector<std::optional<std::size_t>> next(legs_);
  // Keep every slot where it is while its link still wants legs.
  for (std::uint32_t s = 0; s < legs_ && s < plan_.size(); ++s) {
    if (plan_[s] && need[*plan_[s]] > 0) {
      next[s] = plan_[s];
      --need[*plan_[s]];
    }
  }
  for (std::uint32_t s = 0; s < legs_; ++s) {
    if (next[s]) continue;
    for (std::size_t l = 0; l < need.size(); ++l) {
      if (need[l] > 0) {
        next[s] = l;
        --need[l];
        break;
      }
    }
  }
  plan_ = std::move(next);
}

}  // namespace vmp
