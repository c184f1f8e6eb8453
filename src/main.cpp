// Wires the core to its observers: parses the command line, runs the transmitter or the
// receiver, and attaches the tuner and the metrics exporter, which only ever see the core's
// Knobs/Stats interfaces (DESIGN.md: arrows point one way).
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <variant>

#include "cli/options.hpp"
#include "crypto/key_file.hpp"
#include "rx/receiver.hpp"
#include "tx/transmitter.hpp"
#include "util/exception_text.hpp"
#include "util/fd_limit.hpp"
#include "util/logger.hpp"
#include "util/pipe_capacity.hpp"
#include "vmp/metrics/exporter.hpp"
#include "vmp/metrics/stats_json.hpp"
#include "vmp/tuner/tuner.hpp"

namespace {

using namespace vmp;

// --metrics and --stats-json, attached to whichever engine runs.
class Observers {
 public:
  Observers(const Config& cfg, Logger& log) : cfg_(cfg), log_(log) {}

  // Throws std::runtime_error (one line) when the metrics address cannot be served.
  void attach(const StatsSource& source) {
    if (!cfg_.metrics.empty()) {
      exporter_.emplace(cfg_.metrics, source);
      log_.info(1, "metrics on http://" + exporter_->endpoint() + "/metrics");
    }
  }
  // SIGUSR1 and the end of the transfer.
  void write_json(const Stats& s) const {
    if (cfg_.stats_json.empty()) return;
    try {
      metrics::write_stats_json(cfg_.stats_json, s);
    } catch (const std::exception& e) {
      log_.error(e.what());
    }
  }
  // Stops serving before the engine it observes is destroyed (a late scrape would read it).
  void detach() { exporter_.reset(); }
  EngineHooks hooks() const {
    return {true, [this](const Stats& s) { write_json(s); }};
  }

 private:
  const Config& cfg_;
  Logger& log_;
  std::optional<metrics::Exporter> exporter_;
};

struct DetachOnExit {
  Observers& observers;
  ~DetachOnExit() { observers.detach(); }
};

int fail(Logger& log, ExitCode code, const std::string& message) {
  log.error(message);
  return to_int(code);
}

std::unique_ptr<tuner::Tuner> make_tuner(const Config& cfg, TransferControl& control, Logger& log) {
  if (!cfg.tune) return nullptr;
  tuner::TunerOptions opts;
  opts.seed = cfg.tune_seed;
  opts.log_path = cfg.tune_log;
  opts.profile_path = cfg.tune_profile;
  opts.pinned = cfg.pinned;
  opts.link_count = cfg.tx.targets.size();
  opts.warn = [&log](std::string_view msg) { log.error(std::string(msg)); };
  return std::make_unique<tuner::Tuner>(control, std::move(opts));
}

int run_rx(const Config& cfg, Logger& log) {
  Observers observers(cfg, log);
  std::unique_ptr<Receiver> rx;
  try {
    rx = std::make_unique<Receiver>(cfg.rx, log, observers.hooks());
    observers.attach(*rx);
  } catch (const std::exception& e) {
    return fail(log, ExitCode::network, e.what());
  }
  const DetachOnExit detach{observers};
  log.info(1, "listening on port " + std::to_string(rx->port()) + " (up to " +
                  std::to_string(raise_fd_limit()) + " open files)");
  widen_if_pipe(STDOUT_FILENO);
  const auto code = rx->run(STDOUT_FILENO);
  observers.write_json(rx->snapshot());
  if (code != ExitCode::ok) log.error(rx->message());
  return to_int(code);
}

int run_tx(const Config& cfg, Logger& log) {
  Observers observers(cfg, log);
  Transmitter tx(cfg.tx, log, observers.hooks());
  const DetachOnExit detach{observers};
  std::unique_ptr<tuner::Tuner> tuner;
  try {
    observers.attach(tx);
  } catch (const std::exception& e) {
    return fail(log, ExitCode::network, e.what());
  }
  try {
    tuner = make_tuner(cfg, tx, log);
  } catch (const std::exception& e) {
    return fail(log, ExitCode::usage, e.what());
  }
  if (tuner) tuner->start();
  widen_if_pipe(STDIN_FILENO);
  const auto code = tx.run(STDIN_FILENO);
  if (tuner) tuner->stop();
  observers.write_json(tx.snapshot());
  if (code != ExitCode::ok) log.error(tx.message());
  return to_int(code);
}

int run(int argc, char** argv) {
  auto parsed = parse_command_line(argc, argv);
  if (auto* err = std::get_if<UsageError>(&parsed)) {
    std::fprintf(stderr, "viamillipede: %s\nTry 'viamillipede --help' for usage.\n",
                 err->message.c_str());
    return to_int(ExitCode::usage);
  }
  const auto& cfg = std::get<Config>(parsed);
  switch (cfg.mode) {
    case Config::Mode::help:
      std::fputs(usage_text().c_str(), stdout);
      return 0;
    case Config::Mode::version:
      std::fputs(version_text().c_str(), stdout);
      return 0;
    case Config::Mode::genkey: {
      if (auto error = crypto::write_new_key_file(cfg.genkey_path); !error.empty()) {
        std::fprintf(stderr, "viamillipede: %s\n", error.c_str());
        return to_int(ExitCode::usage);
      }
      std::fprintf(stderr,
                   "viamillipede: wrote a new key to %s (mode 0600); copy it to the other end over "
                   "a trusted channel\n",
                   cfg.genkey_path.c_str());
      return 0;
    }
    case Config::Mode::rx: {
      Logger log("viamillipede rx", cfg.verbosity);
      return run_rx(cfg, log);
    }
    case Config::Mode::tx: {
      Logger log("viamillipede tx", cfg.verbosity);
      return run_tx(cfg, log);
    }
  }
  return to_int(ExitCode::internal);
}

}  // namespace

int main(int argc, char** argv) {
  // A dead peer or sink must surface as EPIPE on the write, not kill us silently.
  std::signal(SIGPIPE, SIG_IGN);
  // Whatever escapes is a bug or an unexpected system failure: one line and the documented
  // exit code, never a terminate() with a core dump.
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "viamillipede: internal error: %s\n", exception_text(e).c_str());
  } catch (...) {
    std::fprintf(stderr, "viamillipede: internal error: unknown exception\n");
  }
  return to_int(ExitCode::internal);
}
