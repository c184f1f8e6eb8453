// How fast one leg delivers, so that the send queue can give each leg the frame it will
// deliver in time (a slow leg takes a frame further ahead in the stream; the faster legs fill
// in the frames before it) and the hedging rule can tell a late frame from a frame that is
// merely on a slow leg.
//
// The estimate is the leg's goodput: the kernel's count of acknowledged bytes
// (tcpi_bytes_acked) over intervals in which the leg had frames in flight, smoothed. An idle
// leg's rate says nothing about what it could carry, so idle intervals are skipped. Until the
// first busy interval the speed is unknown (TCP's own delivery-rate sample is no stand-in: it
// is the rate of the last burst, on loopback gigabytes per second whatever the leg carries).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "stats.hpp"

namespace vmp {

struct LegSpeed {
  double bytes_per_second = 0;
  double one_way_seconds = 0;  // half the smoothed RTT: from our socket to the receiver
  // Time until a frame of `bytes` written now is at the receiver, if the leg starts on it at once.
  double seconds_for(std::uint64_t bytes) const {
    return static_cast<double>(bytes) / bytes_per_second + one_way_seconds;
  }
};

// When a frame that has been out on its leg this long is late, worth a copy on another leg:
// twice as long as the leg should need for it (`expected_seconds`, 0 = unknown), plus a
// few round trips in which its TCP repairs a loss the ordinary way (a fast retransmit takes
// about one), and never before 200 ms (Linux's minimum RTO). Unknown: 500 ms or 4 round trips.
std::chrono::duration<double> late_after(double expected_seconds, double rtt_seconds);

// A leg whose TCP has had data out without one byte acknowledged for this long is stalled: its
// path went dark, or its retransmission timeout fired and the retransmission was lost too.
// Every frame still in it waits for that leg alone (until TCP_USER_TIMEOUT ends it, 15 s), so
// they are worth copies whether or not the stream has stopped yet. Longer than a timeout and
// a lost retransmission of it (Linux: RTT + 4 RTT variance, at least 200 ms, doubled; about
// 0.7 s on a 40 ms path), and at least 8 round trips, so that a slow long path is not judged
// by the standards of a short one.
std::chrono::duration<double> stall_after(double rtt_seconds);

class LegSpeedMeter {
 public:
  // A new connection: nothing known yet.
  void reset() { *this = {}; }
  // One TCP_INFO sample; `busy`: the leg is writing a frame or has frames in flight (written,
  // not yet acknowledged).
  void sample(std::chrono::steady_clock::time_point now, const TcpInfoSample& tcp, bool busy);
  std::optional<LegSpeed> speed() const;
  // How long the leg has had segments out with no acknowledgement progress, as of the last
  // sample (0: it progressed then, or nothing was out).
  std::chrono::steady_clock::duration stalled_for() const {
    return last_ && outstanding_ ? *last_ - progress_at_ : std::chrono::steady_clock::duration{};
  }

  // Weight of a new interval's rate in the smoothed one, per sample (one every 200 ms: the
  // estimate follows a change within about a second).
  static constexpr double kGain = 0.3;

 private:
  std::optional<std::chrono::steady_clock::time_point> last_;
  std::uint64_t last_acked_ = 0;
  bool last_busy_ = false;
  double rate_ = 0;        // bytes/s, 0 until known
  bool measured_ = false;  // rate_ holds a busy interval's rate
  double one_way_ = 0;
  std::chrono::steady_clock::time_point progress_at_{};  // last sample with acks or none due
  bool outstanding_ = false;  // the last sample had unacknowledged segments
};

}  // namespace vmp
