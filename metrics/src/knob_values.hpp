// The numeric knobs of a Knobs value as (name, value) pairs, one per count/bytes row of the
// knob table and named by its key (units in the name). Shared by the knob gauges and the
// --stats-json document.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "knobs.hpp"

namespace vmp::metrics {

inline std::vector<std::pair<std::string_view, double>> numeric_knobs(const Knobs& k) {
  std::vector<std::pair<std::string_view, double>> out;
  for (const auto& spec : kKnobTable) {
    if (spec.type == KnobType::count || spec.type == KnobType::bytes) {
      out.emplace_back(spec.key, static_cast<double>(spec.get(k)));
    }
  }
  return out;
}

// TCP_CONGESTION as a label value: the empty string (system default) becomes "default".
inline std::string congestion_label(const Knobs& k) {
  return knob_text(knob_spec(KnobId::congestion), k);
}

}  // namespace vmp::metrics
