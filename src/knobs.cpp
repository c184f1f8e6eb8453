#include "knobs.hpp"

#include <charconv>
#include <fstream>
#include <sstream>

namespace vmp {
namespace {

// `zero`: what 0 means where it is allowed ("automatic", "none").
std::optional<std::string> check(const KnobRange& r, std::uint64_t v,
                                 std::string_view zero = "automatic") {
  if (v == 0 && r.zero_allowed) return std::nullopt;
  if (v >= r.min && v <= r.max) return std::nullopt;
  std::ostringstream os;
  os << r.name << ' ' << v << " is outside " << r.min << ".." << r.max;
  if (r.zero_allowed) os << " (or 0 for " << zero << ")";
  return os.str();
}

std::optional<std::string> check_weights(const KnobRange& r, const std::vector<double>& list) {
  for (double w : list) {
    if (!(w >= 0.0 && w <= static_cast<double>(r.max))) {
      return std::string(r.name) + " " + std::to_string(w) + " is outside 0.." +
             std::to_string(r.max);
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_rates(const KnobRange& r, const std::vector<double>& list) {
  for (double v : list) {
    // Whole bytes per second from the parser; anything else (a hand-edited profile) is only
    // bounded here, and a fraction of a byte does not matter to a bucket.
    if (!(v >= 0 && v < 1e19))
      return std::string(r.name) + " " + std::to_string(v) + " is not a rate";
    if (auto err = check(r, static_cast<std::uint64_t>(v), "none")) return err;
  }
  return std::nullopt;
}

std::optional<std::string> check_congestion(const std::string& name) {
  if (name.empty()) return std::nullopt;
  auto avail = available_congestion_controls();
  for (const auto& a : avail) {
    if (a == name) return std::nullopt;
  }
  std::string list;
  for (const auto& a : avail) list += (list.empty() ? "" : " ") + a;
  return "congestion control '" + name + "' is not available (kernel offers: " + list + ")";
}

}  // namespace

std::optional<std::string> validate(const Knobs& k) {
  for (const auto& spec : kKnobTable) {
    if (spec.type != KnobType::count && spec.type != KnobType::bytes && spec.type != KnobType::rate)
      continue;
    const auto zero = spec.type == KnobType::rate ? "none" : "automatic";
    if (auto err = check(spec.range, spec.get(k), zero)) return err;
  }
  // Cross-knob rule: the send queue must be able to hold a frame while another is in flight.
  if (k.window_bytes < 2ULL * k.frame_bytes) {
    return "window " + std::to_string(k.window_bytes) + " must hold at least two frames of " +
           std::to_string(k.frame_bytes) + " bytes";
  }
  for (const auto& spec : kKnobTable) {
    std::optional<std::string> err;
    if (spec.type == KnobType::weights) err = check_weights(spec.range, spec.get_list(k));
    if (spec.type == KnobType::rates) err = check_rates(spec.range, spec.get_list(k));
    // Congestion control is checked against what this kernel offers.
    if (spec.id == KnobId::congestion) err = check_congestion(spec.get_name(k));
    if (spec.id == KnobId::compress && !is_compression(spec.get_name(k)))
      err = "compress '" + spec.get_name(k) + "' is not none, lz4 or zstd:1..zstd:19";
    if (err) return err;
  }
  return std::nullopt;
}

bool is_compression(std::string_view text) {
  if (text == "none" || text == "lz4") return true;
  constexpr std::string_view kZstd = "zstd:";
  if (!text.starts_with(kZstd)) return false;
  const auto digits = text.substr(kZstd.size());
  int level = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), level);
  return ec == std::errc{} && end == digits.data() + digits.size() && level >= 1 && level <= 19 &&
         std::to_string(level) == digits;  // one spelling per level ("zstd:03" is not one)
}

std::vector<std::string> available_congestion_controls() {
  std::ifstream in("/proc/sys/net/ipv4/tcp_available_congestion_control");
  std::vector<std::string> out;
  std::string name;
  while (in >> name) out.push_back(name);
  return out;
}

std::string size_text(std::uint64_t bytes) {
  static constexpr std::pair<std::uint64_t, char> units[] = {{GiB, 'G'}, {MiB, 'M'}, {KiB, 'K'}};
  for (auto [unit, suffix] : units) {
    if (bytes != 0 && bytes % unit == 0) return std::to_string(bytes / unit) + suffix;
  }
  return std::to_string(bytes);
}

std::string knob_text(const KnobSpec& spec, const Knobs& k) {
  switch (spec.type) {
    case KnobType::count:
    case KnobType::bytes:
    case KnobType::rate:
      return std::to_string(spec.get(k));
    case KnobType::name: {
      auto name = spec.get_name(k);
      return name.empty() ? "default" : name;
    }
    case KnobType::weights:
    case KnobType::rates: {
      std::ostringstream os;
      os.precision(17);  // rates are whole bytes/s beyond the default 6 digits
      const auto list = spec.get_list(k);
      for (std::size_t i = 0; i < list.size(); ++i) os << (i ? "," : "") << list[i];
      return os.str();
    }
  }
  return {};
}

std::string knob_help(const KnobSpec& spec) {
  std::string text(spec.help);
  const Knobs defaults;
  switch (spec.type) {
    case KnobType::count:
      text += ", " + std::to_string(spec.range.min) + "-" + std::to_string(spec.range.max) + " [" +
              std::to_string(spec.get(defaults)) + "]";
      break;
    case KnobType::bytes:
      // Sizes that may be 0 say so in their help; their range is the non-zero one.
      text += ", " + size_text(spec.range.min) + "-" + size_text(spec.range.max) + " [" +
              size_text(spec.get(defaults)) + "]";
      break;
    case KnobType::rate:
      text += " [" + std::to_string(spec.get(defaults)) + "]";
      break;
    case KnobType::name:
    case KnobType::weights:
    case KnobType::rates:
      text += " [" + std::string(spec.unset_text) + "]";
      break;
  }
  return text;
}

std::string to_string(const Knobs& k) {
  std::string out;
  for (const auto& spec : kKnobTable) {
    const bool list = spec.type == KnobType::weights || spec.type == KnobType::rates;
    if (list && spec.get_list(k).empty()) continue;
    // Appended piece by piece: GCC 12 at -O3 misreports `"literal" + std::string` as an
    // overlapping memcpy (-Wrestrict), which broke -DCMAKE_BUILD_TYPE=Release builds.
    if (!out.empty()) out += ' ';
    out.append(spec.key).append("=").append(knob_text(spec, k));
  }
  return out;
}

}  // namespace vmp
