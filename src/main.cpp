// Parses the command line and runs what it asks for: help, a key, or a transfer (see
// app/run_transfer.hpp, which wires the engines to their sources, sinks and observers).
#include <csignal>
#include <cstdio>
#include <variant>

#include "app/run_transfer.hpp"
#include "cli/options.hpp"
#include "crypto/key_file.hpp"
#include "util/exception_text.hpp"
#include "util/exit_code.hpp"

namespace {

using namespace vmp;

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
    case Config::Mode::rx:
    case Config::Mode::tx:
    case Config::Mode::duplex:
      return app::run_transfer(cfg);
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
