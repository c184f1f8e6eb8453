#include "vmp/tuner/evaluation_window.hpp"

#include <algorithm>

namespace vmp::tuner {

EvaluationWindow plan_window(double rtt, double rate, std::uint32_t frame_bytes,
                             const WindowOptions& o) {
  if (!(rtt > 0)) rtt = o.default_rtt_seconds;
  EvaluationWindow w;
  w.warmup_seconds = std::clamp(o.warmup_rtts * rtt, o.warmup_min_seconds, o.warmup_max_seconds);
  // Before the first measurement the rate is unknown; the shortest window then gives the first
  // estimate soonest, and every later window is sized from it.
  double for_frames = rate > 0 ? o.measure_frames * frame_bytes / rate : 0.0;
  w.measure_seconds = std::clamp(std::max(o.measure_rtts * rtt, for_frames), o.measure_min_seconds,
                                 o.measure_max_seconds);
  w.sample_seconds = w.measure_seconds / std::max(1.0, o.samples_per_window);
  return w;
}

double path_rtt(const Stats& stats) {
  double rtt = 0;
  for (const auto& leg : stats.legs) {
    if (leg.state == LegState::up && leg.tcp.valid) rtt = std::max(rtt, leg.tcp.rtt_seconds);
  }
  return rtt;
}

}  // namespace vmp::tuner
