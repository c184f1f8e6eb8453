// Measures acknowledged goodput (delta Stats::bytes_out / delta Stats::elapsed_seconds) while
// the knobs under test run, polling snapshots so that a collapsing experiment is abandoned
// early and a stop request ends the wait at once.
#pragma once

#include <stop_token>

#include "stats.hpp"
#include "vmp/tuner/clock.hpp"

namespace vmp::tuner {

struct MeterPlan {
  double warmup_seconds = 0;    // waited out, not measured
  double measure_seconds = 1;   // measured
  double sample_seconds = 0.1;  // snapshot period
  // Abandon the measurement when goodput over the trailing `abort_span_seconds` falls below
  // this (bytes/s), once that span has been measured. 0 = never.
  double abort_below = 0;
  double abort_span_seconds = 0;
};

struct MeterResult {
  double goodput = 0;  // bytes/s over the measured span (trailing span if aborted)
  double seconds = 0;  // measured span
  bool aborted = false;
  bool stopped = false;   // stop was requested: the result is meaningless
  bool finished = false;  // the transfer ended during the measurement
};

class GoodputMeter {
 public:
  GoodputMeter(const StatsSource& source, Clock& clock) : source_(source), clock_(clock) {}
  MeterResult measure(const MeterPlan& plan, std::stop_token stop);

 private:
  const StatsSource& source_;
  Clock& clock_;
};

}  // namespace vmp::tuner
