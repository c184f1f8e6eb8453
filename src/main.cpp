// Wires the core to its observers: parses the command line, runs the transmitter or the
// receiver, and attaches the tuner and the metrics exporter, which only ever see the core's
// Knobs/Stats interfaces (DESIGN.md: arrows point one way).
#include <csignal>
#include <cstdio>
#include <memory>
#include <variant>

#include "cli/options.hpp"
#include "rx/receiver.hpp"
#include "tx/transmitter.hpp"
#include "util/logger.hpp"
#include "vmp/tuner/tuner.hpp"

namespace {

using namespace vmp;

int fail(Logger& log, ExitCode code, const std::string& message) {
  log.error(message);
  return to_int(code);
}

int run_rx(const Config& cfg, Logger& log) {
  std::unique_ptr<Receiver> rx;
  try {
    rx = std::make_unique<Receiver>(cfg.rx, log);
  } catch (const std::exception& e) {
    return fail(log, ExitCode::network, e.what());
  }
  log.info(1, "listening on port " + std::to_string(rx->port()));
  const auto code = rx->run(STDOUT_FILENO);
  if (code != ExitCode::ok) log.error(rx->message());
  return to_int(code);
}

std::unique_ptr<tuner::Tuner> make_tuner(const Config& cfg, TransferControl& control,
                                         Logger& log) {
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

int run_tx(const Config& cfg, Logger& log) {
  Transmitter tx(cfg.tx, log);
  std::unique_ptr<tuner::Tuner> tuner;
  try {
    tuner = make_tuner(cfg, tx, log);
  } catch (const std::exception& e) {
    return fail(log, ExitCode::usage, e.what());
  }
  if (tuner) tuner->start();
  const auto code = tx.run(STDIN_FILENO);
  if (tuner) tuner->stop();
  if (code != ExitCode::ok) log.error(tx.message());
  return to_int(code);
}

}  // namespace

int main(int argc, char** argv) {
  // A dead peer or sink must surface as EPIPE on the write, not kill us silently.
  std::signal(SIGPIPE, SIG_IGN);
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
