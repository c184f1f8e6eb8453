#include "family_builder.hpp"

#include <algorithm>
#include <stdexcept>

namespace vmp::metrics {

FamilyList& FamilyList::counter(std::string name, std::string help) {
  return start(std::move(name), std::move(help), prometheus::MetricType::Counter);
}

FamilyList& FamilyList::gauge(std::string name, std::string help) {
  return start(std::move(name), std::move(help), prometheus::MetricType::Gauge);
}

FamilyList& FamilyList::start(std::string name, std::string help, prometheus::MetricType type) {
  prometheus::MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  families_.push_back(std::move(f));
  return *this;
}

FamilyList& FamilyList::sample(LabelPairs labels, double value) {
  if (families_.empty()) throw std::logic_error("FamilyList::sample before a family");
  auto& family = families_.back();
  prometheus::ClientMetric m;
  m.label.reserve(labels.size());
  for (const auto& [name, label_value] : labels) {
    m.label.push_back({std::string(name), std::string(label_value)});
  }
  if (family.type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  family.metric.push_back(std::move(m));
  return *this;
}

std::vector<prometheus::MetricFamily> FamilyList::take() && {
  std::erase_if(families_, [](const auto& f) { return f.metric.empty(); });
  return std::move(families_);
}

}  // namespace vmp::metrics
