// Human-readable views of a Stats snapshot: the SIGUSR1 status block and the --progress line.
#pragma once

#include <string>

#include "stats.hpp"

namespace vmp {

// "1.50 GiB", "512 B"
std::string format_bytes(double bytes);

// Multi-line block: totals, window use, then one line per leg (target, state, bytes, rate).
std::string format_status(const Stats& s);

// " 45% ETA 0:01:12" as pv shows it, or "" when the total is unknown (0).
std::string format_eta(std::uint64_t done, std::uint64_t total, double bytes_per_second);

// One line starting with '\r' (ends with '\n' when final) for a terminal.
std::string format_progress(const Stats& s, bool final_line);

}  // namespace vmp
