// The standard process_* families (the names client_golang and client_python use), read from
// /proc/self on each scrape.
#pragma once

#include "family_builder.hpp"

namespace vmp::metrics {

// Seconds since the Unix epoch at which this process started (from /proc/self/stat and the
// boot time in /proc/stat); 0 when /proc cannot be read.
double read_process_start_time_seconds();

// Appends process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds and
// process_start_time_seconds. A value /proc does not give is left out, never invented.
void append_process_families(FamilyList& out, double start_time_seconds);

}  // namespace vmp::metrics
