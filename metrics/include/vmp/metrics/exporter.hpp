// Serves /metrics over HTTP for one running transfer. Every scrape takes a fresh
// StatsSource::snapshot() and turns it into Prometheus families (see stats_collector.hpp);
// the exporter keeps no counters of its own.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "stats.hpp"

namespace vmp::metrics {

class Exporter {
 public:
  // bind: "HOST:PORT", "[V6]:PORT" or just "PORT" (=> 127.0.0.1). Port 0 picks a free port
  // (see endpoint()). Serving starts at once. Throws std::runtime_error with one readable line
  // on a bad address or a port that cannot be bound, e.g.
  //   "metrics: cannot listen on 127.0.0.1:9100: address already in use".
  // `source` must outlive the exporter.
  Exporter(const std::string& bind, const StatsSource& source);
  // Full duplex: one endpoint for both directions (every sample carries its role label).
  Exporter(const std::string& bind, std::vector<const StatsSource*> sources);
  ~Exporter();

  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;

  // Where it listens, with the real port: "127.0.0.1:9100" or "[::1]:9100".
  std::string endpoint() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vmp::metrics
