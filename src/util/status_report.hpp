// Human-readable views of a Stats snapshot: the SIGUSR1 status block and the --progress line.
#pragma once

#include <string>

#include "stats.hpp"

namespace vmp {

// "1.50 GiB", "512 B"
std::string format_bytes(double bytes);

// Multi-line block: totals, window use and stalls, the sidechain (setting, raw -> wire bytes,
// ratio, workers, busy time, queue) when it runs, then one line per leg (target, state, bytes,
// rate).
std::string format_status(const Stats& s);

// " 45% ETA 0:01:12" as pv shows it, or "" when the total is unknown (0).
std::string format_eta(std::uint64_t done, std::uint64_t total, double bytes_per_second);

// One line starting with '\r' (ends with '\n' when final) for a terminal; "ratio 3.41x" (raw
// bytes per wire byte) appears while a sidechain runs.
std::string format_progress(const Stats& s, bool final_line);

}  // namespace vmp
