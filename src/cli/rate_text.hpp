// Rates on the command line (--rate-limit, --link-rates): bytes per second with the size
// suffixes of parse_size ("10M" = 10 MiB/s), or bits per second with decimal units as iperf3
// and zrepl users type them ("100kbit", "2.5Gbit" = 312500000 bytes/s).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace vmp {

// Bytes per second, rounded to the nearest byte; nullopt on garbage or overflow.
std::optional<std::uint64_t> parse_rate(const std::string& text);

}  // namespace vmp
