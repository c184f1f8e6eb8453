#include "util/signal_watch.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/signal_set.hpp>
#include <asio/use_awaitable.hpp>
#include <csignal>

#include "util/status_report.hpp"

namespace vmp {

asio::awaitable<void> watch_signals(asio::io_context& io, Logger& log, const EngineHooks& hooks,
                                    SignalActions actions) {
  asio::signal_set signals(io, SIGUSR1, SIGUSR2, SIGINT);
  signals.add(SIGTERM);
#ifdef SIGINFO  // BSD and macOS: Ctrl-T asks for status, as SIGUSR1 does
  signals.add(SIGINFO);
#endif
  while (!actions.finished()) {
    auto [ec, sig] = co_await signals.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    if (sig == SIGUSR2) {
      log.error("verbosity now " + std::to_string(log.bump_verbosity()));
    } else if (sig == SIGINT || sig == SIGTERM) {
      actions.interrupt(sig);
    } else {  // SIGUSR1 or SIGINFO
      const auto s = actions.snapshot();
      log.raw(format_status(s));
      if (hooks.on_status) hooks.on_status(s);
    }
  }
}

}  // namespace vmp
