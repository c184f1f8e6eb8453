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
  // Receiver: a transmitter's session was adopted (its first leg proved itself). Called on an
  // I/O thread, outside the receiver's locks; must not block (a tunnel dials on its own
  // thread when told).
  std::function<void()> on_session;
  // Receiver: see SinkWriter::Callbacks::settle (the stream is complete only once the prbs
  // checker behind stdout has checked every byte).
  std::function<std::string(std::uint64_t bytes)> settle_sink;
};

// For an engine embedded in a test: no signal handlers, nothing plugged in.
inline EngineHooks embedded_hooks() {
  EngineHooks hooks;
  hooks.handle_signals = false;
  return hooks;
}

}  // namespace vmp
