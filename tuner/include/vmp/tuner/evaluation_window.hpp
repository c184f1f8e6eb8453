// How long one experiment lasts, sized to the path. After knobs change, new legs handshake
// and slow-start, and the legs' sockets still hold bytes queued under the previous knobs, so
// the first part (warm-up) is not measured; the measured part must span enough round trips to
// average TCP's sawtooth. The goodput signal (tcp_acked_bytes, goodput_meter.hpp) moves with
// the network in 200 ms steps, so the window needs no more than a few of those steps.
#pragma once

#include <cstdint>

#include "stats.hpp"

namespace vmp::tuner {

struct WindowOptions {
  double warmup_rtts = 10;
  double warmup_min_seconds = 0.25;
  double warmup_max_seconds = 1.5;
  // The warm-up is extended (up to this long in all) until the bytes queued in the legs'
  // sockets when the knobs changed are acknowledged: a drained leg keeps sending its queue.
  double backlog_max_seconds = 2.0;
  // After the codec changes, the warm-up is extended (up to this long in all) until the first
  // frame it compressed is acknowledged: the send queue still holds ~2 s of delivery that the
  // previous codec made (goodput_meter.hpp).
  double setting_max_seconds = 4.0;
  double measure_rtts = 20;
  // 0.8 s is four steps of the core's 200 ms TCP-ack sampling; the meter dates steps to one
  // poll (<= 50 ms per end, so <= 12% worst case, ~4% typical, at 0.8 s; the search's
  // re-measurements and smoothing absorb that). Shorter windows would mostly measure the
  // sampling. 4 s bounds what one bad experiment may cost on a 200 ms path.
  // (With receiver confirmations as the signal, which move a frame at a time and lag by the
  // window, windows had to be 1-5 s and span 8 frames: 5 s for any slow genome.)
  double measure_min_seconds = 0.8;
  double measure_max_seconds = 4.0;
  // Snapshot period while measuring: the meter's timing resolution for the 200 ms steps, and
  // how soon an abort or a stop is noticed. A snapshot costs microseconds.
  double sample_seconds = 0.05;
  // Used until a leg reports TCP_INFO.
  double default_rtt_seconds = 0.1;
};

struct EvaluationWindow {
  double warmup_seconds = 0;
  double backlog_max_seconds = 0;
  double setting_max_seconds = 0;
  double measure_seconds = 0;
  double sample_seconds = 0;
};

// `rtt_seconds` <= 0 means unknown.
EvaluationWindow plan_window(double rtt_seconds, const WindowOptions& opts);

// The path's round-trip time for window sizing: the slowest live leg (the window must suit
// every path in use); 0 if no leg reports one yet.
double path_rtt(const Stats& stats);

}  // namespace vmp::tuner
