// --metrics and --stats-json, attached to whichever engines run: one, or two in full duplex
// (one /metrics endpoint whose samples carry the role label; one JSON document keyed by role).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/options.hpp"
#include "engine_hooks.hpp"
#include "stats.hpp"
#include "util/logger.hpp"
#include "vmp/metrics/exporter.hpp"

namespace vmp::app {

class Observers {
 public:
  Observers(const Config& cfg, const Logger& log) : cfg_(cfg), log_(log) {}
  ~Observers() { detach(); }
  Observers(const Observers&) = delete;
  Observers& operator=(const Observers&) = delete;

  // Throws std::runtime_error (one line) when the metrics address cannot be served. The
  // sources must stay alive until detach().
  void attach(std::vector<const StatsSource*> sources);
  // SIGUSR1 and the end of the transfer: every engine's current snapshot.
  void write_json() const;
  // Stops serving before the engines it observes are destroyed (a late scrape would read them).
  void detach() { exporter_.reset(); }
  EngineHooks hooks() const;

 private:
  const Config& cfg_;
  const Logger& log_;
  std::vector<const StatsSource*> sources_;
  std::optional<metrics::Exporter> exporter_;
};

}  // namespace vmp::app
