// Reads Prometheus text exposition back, so tests can look samples up by series.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "stats.hpp"

namespace vmp::metrics::test {

struct Exposition {
  std::map<std::string, double> samples;     // "name{a=\"x\",b=\"y\"}" -> value
  std::map<std::string, std::string> types;  // family name -> "counter", "gauge", ...

  std::optional<double> value(const std::string& series) const;
  bool has_family(const std::string& name) const { return types.contains(name); }
  // Number of samples whose series starts with `name{` or is exactly `name`.
  int count(const std::string& name) const;
};

Exposition parse_exposition(const std::string& text);

// The exposition of families_from_stats(s) (viamillipede_* only).
std::string expose(const Stats& s);

}  // namespace vmp::metrics::test
