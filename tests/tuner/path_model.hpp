// Synthetic fitness landscapes for the tuner's tests.
//
// PathModel is a crude but monotone-in-the-right-places model of bulk TCP over one or more
// paths, so the landscape has the shape the tuner meets on a real rig: per-leg rate limited by
// loss (Mathis: MSS / (RTT sqrt(p)), better for bbr), by the socket buffer and by the link;
// legs spread over links by weight and capped per link; the window limiting what is in flight;
// small frames paying per-frame overhead and few frames per leg starving legs. Its optimum is
// found the way the rig finds the best static configuration: a grid sweep.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "knobs.hpp"
#include "vmp/tuner/cost_penalty.hpp"

namespace vmp::tuner::testing {

struct PathLink {
  double capacity = 12.5e6;  // bytes/s (100 Mbit/s)
  double rtt = 0.04;
  double loss = 0.01;
};

struct PathModel {
  std::vector<PathLink> links;

  static double cc_factor(const std::string& cc) {
    if (cc == "bbr" || cc.empty()) return 4.0;  // "" = this kernel's default (bbr)
    if (cc == "cubic") return 1.3;
    return 1.0;  // reno
  }

  // Acknowledged bytes/s for these knobs (noise-free).
  double rate(const Knobs& k) const {
    const double mss = 1448;
    const std::size_t n = links.size();
    std::vector<double> w(n, 1.0);
    if (k.link_weights.size() == n) w = k.link_weights;
    double wsum = 0;
    for (double x : w) wsum += x;
    if (wsum <= 0) {
      w.assign(n, 1.0);
      wsum = static_cast<double>(n);
    }
    double max_rtt = 0;
    for (const auto& l : links) max_rtt = std::max(max_rtt, l.rtt);
    // Every leg needs a couple of frames in flight or it idles waiting for the window.
    double legs_fed =
        std::min<double>(k.legs, static_cast<double>(k.window_bytes) / (2.0 * k.frame_bytes));
    double total = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const PathLink& l = links[i];
      if (l.capacity <= 0) continue;
      double legs_here = std::min<double>(k.legs_per_link_max, legs_fed * w[i] / wsum);
      double per_leg =
          cc_factor(k.congestion) * 1.22 * mss / (l.rtt * std::sqrt(std::max(l.loss, 1e-6)));
      if (k.sndbuf_bytes != 0) per_leg = std::min(per_leg, k.sndbuf_bytes / l.rtt);
      total += std::min(0.95 * l.capacity, legs_here * per_leg);
    }
    total = std::min(total, static_cast<double>(k.window_bytes) / max_rtt);
    // Per-frame cost (header, syscall, ack): 16 KiB worth of time per frame.
    double f = static_cast<double>(k.frame_bytes);
    return total * f / (f + 16.0 * 1024);
  }

  double fitness(const Knobs& k, double leg_cost) const {
    return penalised_fitness(rate(k), k, links.size(), leg_cost);
  }

  // Best fitness over a grid of static configurations (the rig's grid sweep).
  Knobs grid_optimum(double leg_cost, const Knobs& base) const {
    const std::size_t n = links.size();
    std::vector<std::vector<double>> weight_grid{{}};
    if (n >= 2) {
      weight_grid.clear();
      std::vector<double> steps{0, 25, 50, 75, 100};
      std::vector<std::size_t> idx(n, 0);
      while (true) {
        std::vector<double> w;
        for (auto i : idx) w.push_back(steps[i]);
        if (std::any_of(w.begin(), w.end(), [](double x) { return x > 0; }))
          weight_grid.push_back(w);
        std::size_t d = 0;
        while (d < n && ++idx[d] == steps.size()) idx[d++] = 0;
        if (d == n) break;
      }
    }
    Knobs best = base;
    double best_f = -1;
    for (std::uint32_t legs : {1u, 2u, 3u, 4u, 6u, 8u, 12u, 16u, 24u, 32u, 48u, 64u}) {
      for (std::uint32_t frame :
           {64u * 1024, 256u * 1024, 1024u * 1024, 4096u * 1024, 16384u * 1024}) {
        for (std::uint64_t window : {8ull << 20, 32ull << 20, 128ull << 20, 256ull << 20}) {
          for (const char* cc : {"reno", "cubic", "bbr"}) {
            for (const auto& w : weight_grid) {
              for (double share : {0.0, 0.5, 1.0}) {
                Knobs k = base;
                k.legs = legs;
                k.frame_bytes = frame;
                k.window_bytes = window;
                k.sndbuf_bytes = k.rcvbuf_bytes = 0;
                k.congestion = cc;
                if (n >= 2) {
                  k.link_weights = w;
                  double frac = 1.0 / n + share * (1.0 - 1.0 / n);
                  k.legs_per_link_max = static_cast<std::uint32_t>(std::ceil(legs * frac - 1e-9));
                } else if (share > 0) {
                  continue;
                }
                double f = fitness(k, leg_cost);
                if (f > best_f) {
                  best_f = f;
                  best = k;
                }
              }
            }
          }
        }
      }
    }
    return best;
  }
};

}  // namespace vmp::tuner::testing
