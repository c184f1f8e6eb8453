// Command line: the original's word syntax (`rx 8834`, `tx host 8834`, `threads 16`,
// `checksum`, `chaos 1731`, `verbose 5`, `checkphrase wat!`) and ordinary --long-options,
// parsed into one Config. Words are translated to their long options and everything goes
// through cxxopts, so both spellings share one set of checks and messages.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "knobs.hpp"
#include "rx/rx_config.hpp"
#include "tx/tx_config.hpp"

namespace vmp {

struct Config {
  enum class Mode { tx, rx, help, version, genkey };
  Mode mode = Mode::help;
  TxConfig tx;
  RxConfig rx;
  int verbosity = 0;
  std::string metrics;     // --metrics HOST:PORT ("" = off)
  std::string stats_json;  // --stats-json FILE
  bool tune = true;
  std::optional<std::uint64_t> tune_seed;
  std::string tune_log;
  std::string tune_profile;
  KnobSet pinned;           // knobs the user set explicitly; the tuner leaves them alone
  std::string genkey_path;  // genkey FILE
};

struct UsageError {
  std::string message;  // one line, without the program name
};

std::variant<Config, UsageError> parse_command_line(int argc, const char* const* argv);
std::string usage_text();
std::string version_text();

// "1M", "64MiB", "512k", "1048576" -> bytes. nullopt on garbage or overflow.
std::optional<std::uint64_t> parse_size(const std::string& text);

}  // namespace vmp
