// Widens a pipe on stdin or stdout to 1 MiB (as root, or within fs.pipe-max-size). With the
// default 64 KiB, moving one 1 MiB frame through the pipe costs the producer and us (or us and
// the consumer) sixteen sleeps and wake-ups each; at a GB/s those wake-ups were a tenth of our
// CPU (a keyed 2 GB transfer on loopback went from ~870 to ~1100 MB/s). Not a pipe, or the
// kernel says no: nothing changes.
#pragma once

namespace vmp {

inline constexpr int kStdPipeBytes = 1 << 20;

void widen_if_pipe(int fd, int bytes = kStdPipeBytes);

}  // namespace vmp
