// When the transmitter tries again after a failure, and how long it waits for things that
// should happen on their own. All the reconnect and backoff timing is here, so it can be read
// (and tuned) in one place:
// - a leg whose connection died reconnects after a short random pause, on whichever link the
//   planner gives it (TxLeg);
// - a link whose connect failed is bypassed and probed with exponential backoff plus jitter
//   until it answers (LinkPlanner, probes run from the Transmitter's tick);
// - a total outage is reported after a moment and survived up to --outage-timeout
//   (Transmitter's tick);
// - a draining leg and a parked frame get a deadline after which they are assumed lost.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace vmp::reconnect {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// --- legs ---
// Pause before a leg whose connection died dials again: short, so the leg is back at once,
// and random, so legs that died together (a link went down) do not all dial in lockstep.
Clock::duration leg_retry_pause(std::minstd_rand& rng);
// While the planner has no link for a leg (every link down), the leg checks again this often;
// a probe that brings a link back wakes it at once.
inline constexpr auto kNoLinkRecheck = 250ms;
// How long a draining leg waits for the receiver to read what it sent and close its side
// before the leg resets the connection and gives its frames back to the queue.
inline constexpr auto kDrainLimit = 10s;

// --- links ---
// Next probe of a link that is down: starts at kFirstProbe after the failure, doubles per
// probe up to kMaxProbe, +-25% jitter so many transmitters do not probe a recovering router
// in lockstep. Capped low on purpose: a link back from maintenance should carry traffic again
// within seconds, and a probe is one small connect.
inline constexpr Clock::duration kFirstProbe = 250ms;
inline constexpr Clock::duration kMaxProbe = 2s;
class ProbeBackoff {
 public:
  // The link just failed: first probe after kFirstProbe.
  void start(Clock::time_point now) {
    backoff_ = kFirstProbe;
    next_ = now + backoff_;
  }
  bool due(Clock::time_point now) const { return now >= next_; }
  // A probe goes out now: the one after it waits twice as long (capped), with jitter.
  void probe_sent(Clock::time_point now, std::mt19937_64& rng);

 private:
  Clock::duration backoff_{};
  Clock::time_point next_{};
};

// --- the whole transfer ---
// No leg up for this long: say so once (the transfer keeps retrying up to --outage-timeout).
inline constexpr auto kOutageReportAfter = 2s;
// A parked frame (its leg closed gracefully, the receiver should hold it) that is still the
// oldest unconfirmed one after this long is sent again: the receiver cannot have it after all.
inline constexpr auto kParkedHeadResendAfter = 2s;

}  // namespace vmp::reconnect
