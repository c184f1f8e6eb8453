#include "vmp/tuner/goodput_meter.hpp"

#include <algorithm>
#include <deque>

namespace vmp::tuner {
namespace {

struct Point {
  double elapsed;
  double bytes;
};

double rate(const Point& from, const Point& to) {
  double dt = to.elapsed - from.elapsed;
  return dt > 0 ? (to.bytes - from.bytes) / dt : 0.0;
}

Point point_of(const Stats& s) {
  return {s.elapsed_seconds, static_cast<double>(s.bytes_out)};
}

}  // namespace

MeterResult GoodputMeter::measure(const MeterPlan& plan, std::stop_token stop) {
  MeterResult r;
  if (plan.warmup_seconds > 0 && !clock_.sleep_for(plan.warmup_seconds, stop)) {
    r.stopped = true;
    return r;
  }
  Stats first = source_.snapshot();
  const Point start = point_of(first);
  if (first.finished) {
    r.finished = true;
    return r;
  }
  // Points within the trailing abort span, oldest first.
  std::deque<Point> trail{start};
  const double begun = clock_.now();
  const double sample = std::max(plan.sample_seconds, 1e-3);
  while (true) {
    double left = plan.measure_seconds - (clock_.now() - begun);
    // Not "<= 0": a remainder below the clock's resolution would never be slept away.
    if (left < 1e-6) break;
    if (!clock_.sleep_for(std::min(sample, left), stop)) {
      r.stopped = true;
      return r;
    }
    Stats s = source_.snapshot();
    Point p = point_of(s);
    r.seconds = p.elapsed - start.elapsed;
    r.goodput = rate(start, p);
    if (s.finished) {
      r.finished = true;
      return r;
    }
    trail.push_back(p);
    while (trail.size() > 2 && p.elapsed - trail[1].elapsed >= plan.abort_span_seconds) {
      trail.pop_front();
    }
    if (plan.abort_below > 0 && p.elapsed - trail.front().elapsed >= plan.abort_span_seconds) {
      double recent = rate(trail.front(), p);
      if (recent < plan.abort_below) {
        r.goodput = recent;
        r.aborted = true;
        return r;
      }
    }
  }
  return r;
}

}  // namespace vmp::tuner
