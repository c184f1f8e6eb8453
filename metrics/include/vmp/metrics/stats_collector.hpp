// The bridge from the core's Stats snapshot to Prometheus: a Collectable that takes one
// snapshot per scrape and builds every viamillipede_* and process_* family from it.
// Family names and labels are listed in metrics/README.md.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <vector>

#include "stats.hpp"

namespace vmp::metrics {

class StatsCollector : public prometheus::Collectable {
 public:
  // `source` must outlive the collector.
  explicit StatsCollector(const StatsSource& source);
  // Several engines (full duplex): their families are merged by name; the role label keeps
  // their samples apart.
  explicit StatsCollector(std::vector<const StatsSource*> sources);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::vector<const StatsSource*> sources_;
  double process_start_time_seconds_;  // fixed for the life of the process
};

// The viamillipede_* families of one snapshot (no process_* families); what Collect() adds to
// them is the process's own CPU, memory and file descriptors.
std::vector<prometheus::MetricFamily> families_from_stats(const Stats& stats);

}  // namespace vmp::metrics
