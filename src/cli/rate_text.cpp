#include "cli/rate_text.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <string_view>
#include <utility>

#include "cli/options.hpp"

namespace vmp {

std::optional<std::uint64_t> parse_rate(const std::string& text) {
  // Bit rates are decimal (1 Mbit = 10^6 bits), as network people count them. Plain "bit"
  // comes last: it is the tail of the others.
  static constexpr std::array<std::pair<std::string_view, double>, 5> kBitUnits{
      {{"kbit", 1e3}, {"mbit", 1e6}, {"gbit", 1e9}, {"tbit", 1e12}, {"bit", 1.0}}};
  std::string lower = text;
  for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  for (const auto& [suffix, bits] : kBitUnits) {
    if (!lower.ends_with(suffix)) continue;
    const std::string_view number(lower.data(), lower.size() - suffix.size());
    if (number.empty() || !std::isdigit(static_cast<unsigned char>(number.front())))
      return std::nullopt;  // no sign, no leading dot, no "kbit" alone
    double value = 0;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value,
                                           std::chars_format::fixed);
    if (ec != std::errc{} || end != number.data() + number.size()) return std::nullopt;
    const double bytes = std::round(value * bits / 8.0);
    if (!(bytes < 1.8e19)) return std::nullopt;  // beyond uint64_t
    return static_cast<std::uint64_t>(bytes);
  }
  return parse_size(text);
}

}  // namespace vmp
