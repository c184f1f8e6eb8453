#include "knobs.hpp"

#include <fstream>
#include <sstream>

namespace vmp {
namespace {

std::optional<std::string> check(const KnobRange& r, std::uint64_t v) {
  if (v == 0 && r.zero_allowed) return std::nullopt;
  if (v >= r.min && v <= r.max) return std::nullopt;
  std::ostringstream os;
  os << r.name << ' ' << v << " is outside " << r.min << ".." << r.max;
  if (r.zero_allowed) os << " (or 0 for automatic)";
  return os.str();
}

}  // namespace

std::optional<std::string> validate(const Knobs& k) {
  for (auto err : {check(kLegsRange, k.legs), check(kLegsPerLinkRange, k.legs_per_link_max),
                   check(kFrameRange, k.frame_bytes), check(kWindowRange, k.window_bytes),
                   check(kSockBufRange, k.sndbuf_bytes), check(kSockBufRange, k.rcvbuf_bytes)}) {
    if (err) return err;
  }
  if (k.window_bytes < 2ULL * k.frame_bytes) {
    return "window " + std::to_string(k.window_bytes) + " must hold at least two frames of " +
           std::to_string(k.frame_bytes) + " bytes";
  }
  for (double w : k.link_weights) {
    if (!(w >= 0.0 && w <= kLinkWeightMax)) {
      return "link weight " + std::to_string(w) + " is outside 0.." +
             std::to_string(static_cast<int>(kLinkWeightMax));
    }
  }
  if (!k.congestion.empty()) {
    auto avail = available_congestion_controls();
    bool found = false;
    for (const auto& a : avail) found = found || a == k.congestion;
    if (!found) {
      std::string list;
      for (const auto& a : avail) list += (list.empty() ? "" : " ") + a;
      return "congestion control '" + k.congestion + "' is not available (kernel offers: " + list +
             ")";
    }
  }
  return std::nullopt;
}

std::vector<std::string> available_congestion_controls() {
  std::ifstream in("/proc/sys/net/ipv4/tcp_available_congestion_control");
  std::vector<std::string> out;
  std::string name;
  while (in >> name) out.push_back(name);
  return out;
}

std::string to_string(const Knobs& k) {
  std::ostringstream os;
  os << "legs=" << k.legs << " legs_per_link_max=" << k.legs_per_link_max
     << " frame=" << k.frame_bytes << " window=" << k.window_bytes << " sndbuf=" << k.sndbuf_bytes
     << " rcvbuf=" << k.rcvbuf_bytes << " cc=" << (k.congestion.empty() ? "default" : k.congestion);
  if (!k.link_weights.empty()) {
    os << " weights=";
    for (std::size_t i = 0; i < k.link_weights.size(); ++i) {
      os << (i ? "," : "") << k.link_weights[i];
    }
  }
  return os.str();
}

}  // namespace vmp
