#include "vmp/tuner/evaluation_window.hpp"

#include <algorithm>

namespace vmp::tuner {

EvaluationWindow plan_window(double rtt, const WindowOptions& o) {
  if (!(rtt > 0)) rtt = o.default_rtt_seconds;
  EvaluationWindow w;
  w.warmup_seconds = std::clamp(o.warmup_rtts * rtt, o.warmup_min_seconds, o.warmup_max_seconds);
  w.backlog_max_seconds = std::max(w.warmup_seconds, o.backlog_max_seconds);
  w.setting_max_seconds = std::max(w.warmup_seconds, o.setting_max_seconds);
  w.measure_seconds =
      std::clamp(o.measure_rtts * rtt, o.measure_min_seconds, o.measure_max_seconds);
  w.sample_seconds = o.sample_seconds;
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
