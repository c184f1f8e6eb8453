// Knobs as a JSON object, shared by the tune log and the profile so both spell a knob the same
// way (the field names of vmp::Knobs).
#pragma once

#include <nlohmann/json.hpp>

#include "knobs.hpp"

namespace vmp::tuner {

nlohmann::json knobs_to_json(const Knobs& knobs);
// Throws std::runtime_error naming the missing or mistyped field.
Knobs knobs_from_json(const nlohmann::json& j);

}  // namespace vmp::tuner
