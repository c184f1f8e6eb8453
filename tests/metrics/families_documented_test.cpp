// metrics/README.md's family table and the exposition agree: every family the exporter serves
// (both roles, tuner and sidechain included) has a row, and every row names a family it serves.
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <fstream>
#include <set>
#include <string>

#include "exposition.hpp"
#include "fake_stats.hpp"
#include "vmp/metrics/stats_collector.hpp"

namespace vmp::metrics::test {
namespace {

// First column of the rows of the "## Families" table: "| `viamillipede_info` | gauge | ...".
std::set<std::string> documented_families() {
  std::ifstream in(VMP_METRICS_README);
  EXPECT_TRUE(in) << "cannot read " << VMP_METRICS_README;
  std::set<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("| `")) continue;
    const auto end = line.find('`', 3);
    if (end == std::string::npos) continue;
    const std::string rest = line.substr(end + 1);
    if (rest.starts_with(" | counter |") || rest.starts_with(" | gauge |")) {
      out.insert(line.substr(3, end - 3));
    }
  }
  return out;
}

std::set<std::string> served_families() {
  Stats tx = sample_tx();
  tx.last_tuning = sample_tuning();
  tx.tuning_generations = 18;
  std::set<std::string> out;
  for (const Stats& s : {tx, sample_rx()}) {
    FakeSource source(s);
    StatsCollector collector(source);
    auto e = parse_exposition(prometheus::TextSerializer().Serialize(collector.Collect()));
    for (const auto& [name, type] : e.types) out.insert(name);
  }
  return out;
}

TEST(FamiliesDocumented, EveryServedFamilyHasAReadmeRow) {
  const auto documented = documented_families();
  ASSERT_GT(documented.size(), 30u);
  for (const auto& name : served_families()) {
    EXPECT_TRUE(documented.contains(name)) << name << " is not in metrics/README.md";
  }
}

TEST(FamiliesDocumented, EveryReadmeRowIsServed) {
  const auto served = served_families();
  for (const auto& name : documented_families()) {
    EXPECT_TRUE(served.contains(name))
        << "metrics/README.md lists " << name << ", which the exporter does not serve";
  }
}

}  // namespace
}  // namespace vmp::metrics::test
