// The run-time signals both engines answer: SIGUSR1 (and SIGINFO where it exists) prints a
// status block, SIGUSR2 raises the verbosity, SIGINT/SIGTERM end the transfer. Handled as Asio
// events on the engine's own I/O thread, so the handlers may do real work (unlike a raw signal
// handler).
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <functional>

#include "engine_hooks.hpp"
#include "stats.hpp"
#include "util/logger.hpp"

namespace vmp {

struct SignalActions {
  std::function<Stats()> snapshot;
  std::function<void(int signal)> interrupt;
  std::function<bool()> finished;
};

asio::awaitable<void> watch_signals(asio::io_context& io, Logger& log, const EngineHooks& hooks,
                                    SignalActions actions);

}  // namespace vmp
