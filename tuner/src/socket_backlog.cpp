#include "vmp/tuner/socket_backlog.hpp"

#include <algorithm>

namespace vmp::tuner {

std::uint64_t SocketBacklog::update(const Stats& stats) {
  if (stats.tcp_acked_bytes == 0) return 0;
  std::uint64_t queued = 0;
  for (const auto& leg : stats.legs) {
    if (leg.id >= slots_.size()) slots_.resize(leg.id + 1);
    Slot& slot = slots_[leg.id];
    const auto written = static_cast<std::int64_t>(leg.bytes + kFrameHeaderBytes * leg.frames);
    const std::int64_t deficit = written - static_cast<std::int64_t>(leg.tcp_acked_bytes);
    const bool live = leg.state == LegState::up || leg.state == LegState::draining;
    // A reconnect not seen as a down state in between (it was quicker than our polls).
    const bool unseen_reconnect = slot.seen && leg.reconnects != slot.reconnects && !slot.was_down;
    if (!live || unseen_reconnect) slot.lost = deficit;
    slot.was_down = !live;
    slot.seen = true;
    slot.reconnects = leg.reconnects;
    if (live) queued += static_cast<std::uint64_t>(std::max<std::int64_t>(0, deficit - slot.lost));
  }
  return queued;
}

}  // namespace vmp::tuner
