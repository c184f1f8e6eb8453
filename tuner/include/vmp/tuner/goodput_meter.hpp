// Measures goodput while the knobs under test run, polling snapshots so that a collapsing
// experiment is abandoned early and a stop request ends the wait at once.
//
// Goodput is the rate of Stats::tcp_acked_bytes: what the receiver's TCP acknowledged, summed
// over the legs (with a sidechain: Stats::tcp_acked_raw_bytes, the stream bytes those frames
// carry; with the codec probe of `--compress auto`, the acknowledged wire bytes times the
// setting's ratio on the probe's sample, so a codec is not judged by its window's data). Not
// Stats::bytes_out (the receiver's write confirmations): those trail the network by up to a window
// (64 MiB is ~5 s at 100 Mbit/s) and arrive in bursts when a late frame releases everything queued
// behind it, so a genome was credited with bytes its predecessor sent. The TCP count leads them by
// that window and moves smoothly. It also counts frames sent twice (a lost leg's frames, frames
// resent because they held the window up on a slow leg): Stats::resent_bytes is subtracted, so a
// genome that makes the core resend a lot is not credited for the copies. A core (or fake) that
// reports no TCP count (tcp_acked_bytes stays 0) is measured by bytes_out.
//
// The core samples the TCP count on its 200 ms tick, so the counter is a staircase. The meter
// polls faster and dates each step by the poll that first saw it, so a rate is taken between
// step times (error <= one poll period per end) rather than between arbitrary polls (error up
// to a whole tick per end: 40% of a 1 s window).
#pragma once

#include <cstdint>
#include <stop_token>

#include "stats.hpp"
#include "vmp/tuner/clock.hpp"
#include "vmp/tuner/socket_backlog.hpp"

namespace vmp::tuner {

struct MeterPlan {
  double warmup_seconds = 0;  // waited out, not measured
  // After the warm-up, keep waiting (up to this long since the measurement began) until the
  // bytes that were queued in the legs' sockets when it began have been acknowledged: they go
  // out the way the previous genome queued them. 0 = do not wait for them.
  double backlog_max_seconds = 0;
  // With a sidechain, also keep waiting (up to this long since the measurement began) until the
  // first frame transformed under the compress setting in force is acknowledged: the send queue
  // holds frames the previous setting made (the transmitter reads ~2 s of delivery ahead), and
  // they would be measured as this one's. 0 = do not wait for them.
  double setting_max_seconds = 0;
  double measure_seconds = 1;   // measured
  double sample_seconds = 0.1;  // snapshot period
  // Abandon the measurement when goodput over the trailing `abort_span_seconds` falls below
  // this (bytes/s), once that span has been measured; also while waiting for the backlog, if
  // it drains slower than this. 0 = never.
  double abort_below = 0;
  double abort_span_seconds = 0;
};

struct MeterResult {
  double goodput = 0;          // bytes/s over the measured span (trailing span if aborted)
  double seconds = 0;          // measured span
  double warmup_seconds = 0;   // waited before measuring (warm-up plus backlog)
  bool tcp_acked = false;      // measured by tcp_acked_bytes (false: by bytes_out)
  double sidechain_cores = 0;  // the sidechain's busy time per second measured (its CPU)
  bool aborted = false;
  bool stopped = false;   // stop was requested: the result is meaningless
  bool finished = false;  // the transfer ended during the measurement
};

class GoodputMeter {
 public:
  // A progressing counter shows a new step at least once per core tick (200 ms) plus one poll;
  // a step older than this when a rate is taken means the counter really stood still since.
  static constexpr double kStepStaleSeconds = 0.3;

  GoodputMeter(const StatsSource& source, Clock& clock) : source_(source), clock_(clock) {}
  MeterResult measure(const MeterPlan& plan, std::stop_token stop);

 private:
  Stats poll();

  const StatsSource& source_;
  Clock& clock_;
  SocketBacklog backlog_;  // fed by every snapshot, so it sees legs reconnect
  std::uint64_t queued_ = 0;
  bool tcp_ = false;  // the core reports tcp_acked_bytes (seen non-zero once)
};

}  // namespace vmp::tuner
