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

// The time a leg's TCP gets to repair a loss the ordinary way before a copy of what it carries
// is worth sending elsewhere: a few round trips (a fast retransmit takes about one), and never
// less than 200 ms (Linux's minimum RTO).
double repair_seconds(double rtt_seconds);

// When a frame that has been out on its leg this long is late, worth a copy on another leg:
// twice as long as the leg should need for it (`expected_seconds`, 0 = unknown), plus
// repair_seconds(). Unknown: 500 ms or repair_seconds(), whichever is longer.
std::chrono::duration<double> late_after(double expected_seconds, double rtt_seconds);

// A frame the receiver's in-order output waits for, while the stream stands still behind it
// (the send queue is starved: the window is spent, a leg is idle).
struct WaitedForFrame {
  double out_for = 0;           // seconds since its leg took it
  double expected_seconds = 0;  // what its leg should need for it, as of then (0: unknown)
  double rtt_seconds = 0;       // its leg's
  // From now until its leg has the rest of it at the receiver, at the leg's speed now
  // (nullopt: not known).
  std::optional<double> holder_seconds;
  // What the quickest idle leg would need for all of it (nullopt: no idle leg's speed known).
  std::optional<double> idle_seconds;
};

// Whether such a frame goes out again on an idle leg, and why: it is late against its own leg
// (late_after), or its TCP had repair_seconds() and its leg now needs more than kOvertake
// times what the quickest idle leg would (overtaken). The second matters when the leg's speed fell
// after it took the frame -- a new leg that starts among many (its congestion control finds little
// room for seconds), one deep in loss recovery: judged by its own pace it is never late, and
// the whole stream waited 4-6 s for one frame on a leg crawling at 0.3 Mbit/s while the others
// stood idle (rig, tuner run on the 100 Mbit/s lossy path). The path is idle meanwhile, so the
// copy costs no throughput.
enum class CopyReason { none, late, overtaken };
CopyReason copy_reason(const WaitedForFrame& f);
inline constexpr double kOvertake = 2.0;

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
