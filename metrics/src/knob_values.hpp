// The numeric knobs of a Knobs value as (name, value) pairs, named after the Knobs fields
// (units in the name). Shared by the knob gauges and the --stats-json document.
#pragma once

#include <array>
#include <string_view>
#include <utility>

#include "knobs.hpp"

namespace vmp::metrics {

inline std::array<std::pair<std::string_view, double>, 6> numeric_knobs(const Knobs& k) {
  return {{{"legs", k.legs},
           {"legs_per_link_max", k.legs_per_link_max},
           {"frame_bytes", k.frame_bytes},
           {"window_bytes", static_cast<double>(k.window_bytes)},
           {"sndbuf_bytes", k.sndbuf_bytes},
           {"rcvbuf_bytes", k.rcvbuf_bytes}}};
}

// TCP_CONGESTION as a label value: the empty string (system default) becomes "default".
inline std::string_view congestion_label(const Knobs& k) {
  return k.congestion.empty() ? std::string_view("default") : std::string_view(k.congestion);
}

}  // namespace vmp::metrics
