// The --stats-json document: a summary of one transfer for scripts (like iperf3 -J).
// Schema in metrics/README.md.
#pragma once

#include <span>
#include <string>

#include "stats.hpp"

namespace vmp::metrics {

// Pretty-printed JSON object, newline-terminated.
std::string stats_to_json(const Stats& s);

// Writes stats_to_json(s) to `path` atomically (temporary file in the same directory, fsync,
// rename), so a reader never sees half a document; through a symbolic link, onto the file it
// names. A path that is not a regular file (a FIFO, /dev/null, /dev/stdout to a pipe) is
// written in place instead. Throws std::runtime_error with one line,
// e.g. "stats-json: cannot write /x/y.json: no such file or directory".
void write_stats_json(const std::string& path, const Stats& s);

// Full duplex: {"tx": {...}, "rx": {...}}, each the document above. One Stats: as above.
std::string stats_to_json(std::span<const Stats> all);
void write_stats_json(const std::string& path, std::span<const Stats> all);

}  // namespace vmp::metrics
