#include "knobs_json.hpp"

#include <stdexcept>
#include <string>

namespace vmp::tuner {
namespace {

template <class T>
T field(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end()) throw std::runtime_error(std::string("missing \"") + name + "\"");
  try {
    return it->get<T>();
  } catch (const nlohmann::json::exception&) {
    throw std::runtime_error(std::string("\"") + name + "\" has the wrong type");
  }
}

}  // namespace

// One member per row of the knob table, named by its key.
nlohmann::json knobs_to_json(const Knobs& k) {
  auto j = nlohmann::json::object();
  for (const auto& spec : kKnobTable) {
    const std::string key(spec.key);
    switch (spec.type) {
      case KnobType::count:
      case KnobType::bytes:
      case KnobType::rate:
        j[key] = spec.get(k);
        break;
      case KnobType::name:
        j[key] = spec.get_name(k);
        break;
      case KnobType::weights:
      case KnobType::rates:
        j[key] = spec.get_list(k);
        break;
    }
  }
  return j;
}

Knobs knobs_from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw std::runtime_error("knobs are not a JSON object");
  Knobs k;
  for (const auto& spec : kKnobTable) {
    const std::string key(spec.key);
    // The sidechain's knobs and the rate limits came after profile format 1: a profile saved
    // before them lacks them and keeps their defaults. Any other missing knob is a damaged file.
    const bool newer = spec.id == KnobId::compress || spec.id == KnobId::sidechain_workers ||
                       spec.id == KnobId::rate_limit || spec.id == KnobId::link_rates;
    if (newer && !j.contains(key)) continue;
    switch (spec.type) {
      case KnobType::count:
      case KnobType::bytes:
      case KnobType::rate:
        spec.put(k, field<std::uint64_t>(j, key.c_str()));
        break;
      case KnobType::name:
        spec.put_name(k, field<std::string>(j, key.c_str()));
        break;
      case KnobType::weights:
      case KnobType::rates:
        spec.put_list(k, field<std::vector<double>>(j, key.c_str()));
        break;
    }
  }
  return k;
}

}  // namespace vmp::tuner
