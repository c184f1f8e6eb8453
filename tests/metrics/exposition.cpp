#include "exposition.hpp"

#include <prometheus/text_serializer.h>

#include <sstream>

#include "vmp/metrics/stats_collector.hpp"

namespace vmp::metrics::test {

std::optional<double> Exposition::value(const std::string& series) const {
  auto it = samples.find(series);
  if (it == samples.end()) return std::nullopt;
  return it->second;
}

int Exposition::count(const std::string& name) const {
  int n = 0;
  for (const auto& [series, v] : samples) {
    if (series == name || series.starts_with(name + "{")) ++n;
  }
  return n;
}

Exposition parse_exposition(const std::string& text) {
  Exposition e;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line.starts_with("# TYPE ")) {
      std::istringstream t(line.substr(7));
      std::string name, type;
      t >> name >> type;
      e.types[name] = type;
      continue;
    }
    if (line[0] == '#') continue;
    auto space = line.rfind(' ');
    e.samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return e;
}

std::string expose(const Stats& s) {
  return prometheus::TextSerializer().Serialize(families_from_stats(s));
}

}  // namespace vmp::metrics::test
