// Label values and JSON strings for the core's enums. They are part of the exposition and
// --stats-json contracts (dashboards and scripts match on them), so they are spelled here, in
// the metrics room, rather than borrowed from the core's human-readable to_string(). A new
// enumerator makes -Wswitch (an error here) point at this file.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "stats.hpp"

namespace vmp::metrics {

constexpr std::string_view role_label(Role r) {
  switch (r) {
    case Role::tx:
      return "tx";
    case Role::rx:
      return "rx";
  }
  return "unknown";
}

constexpr std::string_view leg_state_label(LegState s) {
  switch (s) {
    case LegState::connecting:
      return "connecting";
    case LegState::up:
      return "up";
    case LegState::draining:
      return "draining";
    case LegState::down:
      return "down";
  }
  return "unknown";
}

inline constexpr std::array kAllLegStates{LegState::connecting, LegState::up, LegState::draining,
                                          LegState::down};

// Session ids are 64-bit; as 16 hex digits they survive JSON parsers that use doubles.
std::string session_id_hex(std::uint64_t id);

}  // namespace vmp::metrics
