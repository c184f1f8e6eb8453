// Parsing of the --metrics argument. Kept separate from the exporter so the CLI can validate
// the argument before a transfer starts, and so the rules are testable on their own.
#pragma once

#include <cstdint>
#include <string>

namespace vmp::metrics {

struct BindAddress {
  std::string host;  // as written, without brackets; "127.0.0.1" when only a port was given
  std::uint16_t port = 0;
  bool bracketed = false;  // written as "[v6]:port"

  // "host:port" or "[v6]:port", as the user would write it back.
  std::string to_string() const;
};

// Accepts "PORT", "HOST:PORT" and "[V6]:PORT"; PORT is 0..65535 (0 = any free port).
// Throws std::runtime_error("metrics: bad address '...': <why>") otherwise.
BindAddress parse_bind_address(const std::string& text);

}  // namespace vmp::metrics
