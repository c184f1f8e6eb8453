// What main() may plug into either engine.
#pragma once

#include <functional>

#include "stats.hpp"

namespace vmp {

struct EngineHooks {
  // Install SIGUSR1 (status), SIGUSR2 (verbosity) and SIGINT/SIGTERM handlers. Off for
  // engines embedded in tests.
  bool handle_signals = true;
  // Called on SIGUSR1 after the status block was printed (e.g. --stats-json).
  std::function<void(const Stats&)> on_status;
};

}  // namespace vmp
