// Small helpers for building prometheus::MetricFamily values by hand (the exporter builds
// families from a snapshot on every scrape instead of keeping prometheus-cpp counters).
#pragma once

#include <prometheus/metric_family.h>

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace vmp::metrics {

using LabelPairs = std::initializer_list<std::pair<std::string_view, std::string_view>>;

class FamilyList {
 public:
  // Starts a new family; the samples that follow belong to it until the next one starts.
  FamilyList& counter(std::string name, std::string help);
  FamilyList& gauge(std::string name, std::string help);
  FamilyList& sample(LabelPairs labels, double value);

  // Families in the order they were started; families without samples are left out.
  std::vector<prometheus::MetricFamily> take() &&;

 private:
  FamilyList& start(std::string name, std::string help, prometheus::MetricType type);
  std::vector<prometheus::MetricFamily> families_;
};

}  // namespace vmp::metrics
