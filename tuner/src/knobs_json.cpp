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

nlohmann::json knobs_to_json(const Knobs& k) {
  return nlohmann::json{{"legs", k.legs},
                        {"legs_per_link_max", k.legs_per_link_max},
                        {"frame_bytes", k.frame_bytes},
                        {"window_bytes", k.window_bytes},
                        {"sndbuf_bytes", k.sndbuf_bytes},
                        {"rcvbuf_bytes", k.rcvbuf_bytes},
                        {"congestion", k.congestion},
                        {"link_weights", k.link_weights}};
}

Knobs knobs_from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw std::runtime_error("knobs are not a JSON object");
  Knobs k;
  k.legs = field<std::uint32_t>(j, "legs");
  k.legs_per_link_max = field<std::uint32_t>(j, "legs_per_link_max");
  k.frame_bytes = field<std::uint32_t>(j, "frame_bytes");
  k.window_bytes = field<std::uint64_t>(j, "window_bytes");
  k.sndbuf_bytes = field<std::uint32_t>(j, "sndbuf_bytes");
  k.rcvbuf_bytes = field<std::uint32_t>(j, "rcvbuf_bytes");
  k.congestion = field<std::string>(j, "congestion");
  k.link_weights = field<std::vector<double>>(j, "link_weights");
  return k;
}

}  // namespace vmp::tuner
