// The knobs of a Knobs value as the exposition and --stats-json show them, read from the knob
// table: the numeric ones as (name, value) pairs, one per count/bytes/rate row and named by its key
// (units in the name), and the name knobs as info families.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "knobs.hpp"

namespace vmp::metrics {

inline std::vector<std::pair<std::string_view, double>> numeric_knobs(const Knobs& k) {
  std::vector<std::pair<std::string_view, double>> out;
  for (const auto& spec : kKnobTable) {
    if (spec.type == KnobType::count || spec.type == KnobType::bytes ||
        spec.type == KnobType::rate) {
      out.emplace_back(spec.key, static_cast<double>(spec.get(k)));
    }
  }
  return out;
}

// How each name knob (KnobType::name) shows in the exposition: a constant-1 info family,
// viamillipede_knob_<key>_info (in force) and viamillipede_tuner_<key>_info (genomes), whose
// `label` carries the value as knob_text() prints it (an empty congestion is "default").
struct NameKnobLabel {
  KnobId id;
  std::string_view label;  // label name carrying the value
  std::string_view what;   // for the help text: "the <label> label is <what> ..."
};
inline constexpr std::array kNameKnobLabels{
    NameKnobLabel{KnobId::congestion, "algorithm", "the congestion control"},
    NameKnobLabel{KnobId::compress, "setting", "the frame compression (none, lz4, zstd:LEVEL)"},
};
// A new name knob in the table needs a row above before it can be exported.
static_assert(
    [] {
      for (const auto& spec : kKnobTable) {
        if (spec.type != KnobType::name) continue;
        bool found = false;
        for (const auto& n : kNameKnobLabels) found = found || n.id == spec.id;
        if (!found) return false;
      }
      return true;
    }(),
    "every KnobType::name row of kKnobTable needs a kNameKnobLabels row");

}  // namespace vmp::metrics
