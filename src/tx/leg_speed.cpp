#include "tx/leg_speed.hpp"

#include <algorithm>

namespace vmp {

void LegSpeedMeter::sample(std::chrono::steady_clock::time_point now, const TcpInfoSample& tcp,
                           bool busy) {
  if (!tcp.valid) return;
  if (tcp.rtt_seconds > 0) one_way_ = tcp.rtt_seconds / 2;
  // Busy at both ends of the interval: the leg had something to send all along (close
  // enough: frames follow each other without a gap while there is work).
  if (last_ && last_busy_ && busy && tcp.bytes_acked >= last_acked_) {
    const double dt = std::chrono::duration<double>(now - *last_).count();
    if (dt > 0) {
      const double r = static_cast<double>(tcp.bytes_acked - last_acked_) / dt;
      rate_ = measured_ ? rate_ + kGain * (r - rate_) : r;
      measured_ = true;
    }
  }
  outstanding_ = tcp.unacked_segments > 0;
  if (!last_ || !outstanding_ || tcp.bytes_acked > last_acked_) progress_at_ = now;
  last_ = now;
  last_acked_ = tcp.bytes_acked;
  last_busy_ = busy;
}

double repair_seconds(double rtt_seconds) {
  return std::max(0.2, 4 * rtt_seconds);
}

std::chrono::duration<double> late_after(double expected_seconds, double rtt_seconds) {
  const double repair = repair_seconds(rtt_seconds);
  if (expected_seconds <= 0) return std::chrono::duration<double>(std::max(0.5, repair));
  return std::chrono::duration<double>(2 * expected_seconds + repair);
}

CopyReason copy_reason(const WaitedForFrame& f) {
  if (f.out_for >= late_after(f.expected_seconds, f.rtt_seconds).count()) return CopyReason::late;
  if (f.out_for < repair_seconds(f.rtt_seconds) || !f.holder_seconds || !f.idle_seconds) {
    return CopyReason::none;
  }
  return *f.holder_seconds > kOvertake * *f.idle_seconds ? CopyReason::overtaken : CopyReason::none;
}

std::chrono::duration<double> stall_after(double rtt_seconds) {
  return std::chrono::duration<double>(std::max(1.0, 8 * rtt_seconds));
}

std::optional<LegSpeed> LegSpeedMeter::speed() const {
  // A leg that delivered nothing over a busy interval (stuck in loss recovery) is slow, not
  // unknown, but a rate of 0 would make every frame infinitely far: floor it.
  constexpr double kFloor = 1024;  // bytes/s
  if (!measured_) return std::nullopt;
  return LegSpeed{std::max(rate_, kFloor), one_way_};
}

}  // namespace vmp
