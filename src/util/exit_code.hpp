// Documented exit codes (README "Exit codes"). Every non-zero ending also prints one line.
#pragma once

namespace vmp {

enum class ExitCode : int {
  ok = 0,
  internal = 1,     // a bug or an unexpected system failure
  usage = 2,        // bad command line
  network = 3,      // cannot listen/connect, outage longer than --outage-timeout, peer vanished
  sink = 4,         // the receiver's stdout failed (e.g. EPIPE); reported on both sides
  source = 5,       // reading stdin failed
  rejected = 6,     // the receiver refused us: checkphrase, version, busy with another session
  interrupted = 7,  // SIGINT/SIGTERM
  // The two ends' counts of the stream differ (frames, bytes, or with checksums the stream
  // digest), or frames contradict each other: the output is not what was sent.
  mismatch = 8,
  // A --filter or --unfilter command failed (exit status, signal, no progress), or the
  // unfilter did not give back what was filtered; reported on both sides.
  filter = 9,
};

inline int to_int(ExitCode c) {
  return static_cast<int>(c);
}

}  // namespace vmp
