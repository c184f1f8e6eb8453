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

// `terminate PORT` / `initiate HOST PORT`: the process carries one TCP connection instead of
// stdin and stdout (both need rx and tx in the same process, one per direction).
struct TunnelConfig {
  enum class Kind { none, terminate, initiate };
  Kind kind = Kind::none;
  std::string bind_address = "127.0.0.1";  // terminate: where the one client connects
  std::uint16_t port = 0;                  // terminate
  Target target;                           // initiate: dialled when the stream starts
};

struct Config {
  // duplex: rx and tx in one process, two independent streams (stdin out, stdout in).
  enum class Mode { tx, rx, duplex, help, version, genkey };
  Mode mode = Mode::help;
  bool runs_tx() const { return mode == Mode::tx || mode == Mode::duplex; }
  bool runs_rx() const { return mode == Mode::rx || mode == Mode::duplex; }
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
  // prbs SEED: tx sends the pattern instead of stdin; rx checks what arrives against it.
  std::optional<std::uint64_t> prbs_seed;
  TunnelConfig tunnel;
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
