#include "app/observers.hpp"

#include "vmp/metrics/stats_json.hpp"

namespace vmp::app {

void Observers::attach(std::vector<const StatsSource*> sources) {
  sources_ = std::move(sources);
  if (cfg_.metrics.empty()) return;
  exporter_.emplace(cfg_.metrics, sources_);
  log_.info(1, "metrics on http://" + exporter_->endpoint() + "/metrics");
}

void Observers::write_json() const {
  if (cfg_.stats_json.empty()) return;
  std::vector<Stats> all;
  for (const auto* source : sources_) all.push_back(source->snapshot());
  try {
    metrics::write_stats_json(cfg_.stats_json, all);
  } catch (const std::exception& e) {
    log_.error(e.what());
  }
}

EngineHooks Observers::hooks() const {
  EngineHooks hooks;
  hooks.on_status = [this](const Stats&) { write_json(); };
  return hooks;
}

}  // namespace vmp::app
