// How long one experiment lasts, sized to the path. After knobs change, new legs handshake
// and slow-start, so the first part (warm-up) is not measured; the measured part must span
// enough round trips to average TCP's sawtooth and enough acknowledged frames that the byte
// counter's granularity (it moves a frame at a time) does not dominate.
#pragma once

#include <cstdint>

#include "stats.hpp"

namespace vmp::tuner {

struct WindowOptions {
  double warmup_rtts = 10;
  double warmup_min_seconds = 0.25;
  double warmup_max_seconds = 1.5;
  double measure_rtts = 25;
  // Frames acknowledged in one window: bytes_out moves a frame at a time, so 8 frames bound the
  // quantisation error near 12% in the worst case (one leg), far less with many legs in step.
  double measure_frames = 8;
  // 1 s is the shortest window in which a goodput figure means anything on a WAN; 5 s bounds
  // what one bad experiment may cost and keeps a generation under half a minute.
  double measure_min_seconds = 1.0;
  double measure_max_seconds = 5.0;
  // Progress (early abort, stop) is checked this often, as a share of the window.
  double samples_per_window = 8;
  // Used until a leg reports TCP_INFO.
  double default_rtt_seconds = 0.1;
};

struct EvaluationWindow {
  double warmup_seconds = 0;
  double measure_seconds = 0;
  double sample_seconds = 0;
};

// `rtt_seconds` <= 0 means unknown; `rate` (bytes/s) <= 0 means unknown (first measurement).
EvaluationWindow plan_window(double rtt_seconds, double rate, std::uint32_t frame_bytes,
                             const WindowOptions& opts);

// The path's round-trip time for window sizing: the slowest live leg (the window must suit
// every path in use); 0 if no leg reports one yet.
double path_rtt(const Stats& stats);

}  // namespace vmp::tuner
