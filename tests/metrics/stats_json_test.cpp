// The --stats-json document parses back with every field, and is written atomically (in
// place where the path is a FIFO or a device).
#include "vmp/metrics/stats_json.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "fake_stats.hpp"

namespace vmp::metrics::test {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "vmp-metrics-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
    path_ = tmpl;
  }
  ~TempDir() { fs::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(StatsJson, TransmitterSummaryRoundTrips) {
  Stats s = sample_tx();
  s.finished = true;
  s.exit_reason = "complete";
  s.bytes_out = 3000000;
  auto j = json::parse(stats_to_json(s));
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["role"], "tx");
  EXPECT_EQ(j["session_id"], "0123456789abcdef");
  EXPECT_EQ(j["finished"], true);
  EXPECT_EQ(j["exit_reason"], "complete");
  EXPECT_EQ(j["duration_seconds"], 12.5);
  EXPECT_EQ(j["bytes_in"], 3000000);
  EXPECT_EQ(j["bytes_out"], 3000000);
  EXPECT_EQ(j["throughput_bytes_per_second"], 240000.0);
  EXPECT_EQ(j["frames"], 303);
  EXPECT_EQ(j["resent_frames"], 9);
  EXPECT_EQ(j["resent_bytes"], 9 << 20);
  EXPECT_FALSE(j.contains("duplicate_frames"));
  EXPECT_EQ(j["reconnects"], 6);
  EXPECT_EQ(j["stall_seconds"]["source"], 1.25);
  EXPECT_EQ(j["stall_seconds"]["network"], 2.5);
  EXPECT_EQ(j["stall_seconds"]["sidechain"], 0.5);
  EXPECT_EQ(j["window"]["limit_bytes"], 67108864);

  const auto& sc = j["sidechain"];
  EXPECT_EQ(sc["setting"], "zstd:1");
  EXPECT_EQ(sc["workers"], 2);
  EXPECT_EQ(sc["busy_seconds"], 3.75);
  EXPECT_EQ(sc["depth"], 5);
  EXPECT_EQ(sc["raw_bytes"], 3000000);
  EXPECT_EQ(sc["wire_bytes"], 1500000);
  EXPECT_EQ(sc["ratio"], 2.0);
  ASSERT_EQ(sc["codecs"].size(), 2u);
  EXPECT_EQ(
      sc["codecs"][1],
      json({{"codec", "zstd"}, {"frames", 2}, {"raw_bytes", 2000000}, {"wire_bytes", 500000}}));
  EXPECT_EQ(sc["codecs"][0]["codec"], "none");

  ASSERT_EQ(j["legs"].size(), 3u);
  const auto& leg2 = j["legs"][2];
  EXPECT_EQ(leg2["id"], 2);
  EXPECT_EQ(leg2["link"], "10.0.0.2:8834");
  EXPECT_EQ(leg2["link_index"], 1);
  EXPECT_EQ(leg2["state"], "up");
  EXPECT_EQ(leg2["bytes"], 1000002);
  EXPECT_EQ(leg2["resent_frames"], 5);
  EXPECT_EQ(leg2["reconnects"], 3);
  EXPECT_EQ(leg2["tcp"]["congestion_window_segments"], 42);
  EXPECT_EQ(leg2["tcp"]["congestion"], "cubic");
  EXPECT_TRUE(j["legs"][1]["tcp"].is_null());
  EXPECT_EQ(j["legs"][1]["state"], "connecting");

  ASSERT_EQ(j["links"].size(), 2u);
  EXPECT_EQ(j["links"][1]["target"], "10.0.0.2:8834");
  EXPECT_EQ(j["links"][1]["bytes"], 1000002);
  EXPECT_EQ(j["links"][1]["connect_failures"], 4);
  EXPECT_EQ(j["links"][0]["up"], true);

  EXPECT_EQ(j["knobs"]["legs"], 3);
  EXPECT_EQ(j["knobs"]["congestion"], "bbr");
  EXPECT_EQ(j["knobs"]["compress"], "zstd:1");
  EXPECT_EQ(j["knobs"]["sidechain_workers"], 2);
  EXPECT_EQ(j["knobs"]["link_weights"], json::array({1.0, 0.5}));
  EXPECT_TRUE(j["tuner"].is_null());
}

TEST(StatsJson, ReceiverSummary) {
  auto j = json::parse(stats_to_json(sample_rx()));
  EXPECT_EQ(j["role"], "rx");
  EXPECT_EQ(j["session_id"], "000000000000002a");
  EXPECT_EQ(j["duplicate_frames"], 2);
  EXPECT_EQ(j["rejected_connections"], 5);
  EXPECT_EQ(j["reorder_bytes"], 50000);
  EXPECT_FALSE(j.contains("resent_frames"));
  EXPECT_FALSE(j.contains("knobs"));
  EXPECT_FALSE(j["legs"][0].contains("resent_frames"));
  EXPECT_EQ(j["legs"][1]["state"], "draining");
  EXPECT_EQ(j["sidechain"]["setting"], "decode");
  EXPECT_EQ(j["sidechain"]["codecs"][1]["wire_bytes"], 480000);
  EXPECT_EQ(j["stall_seconds"]["sidechain"], 0.0);
}

TEST(StatsJson, SidechainIsNullWhenTheStageDoesNotRun) {
  Stats s = sample_tx();
  s.sidechain.reset();
  auto j = json::parse(stats_to_json(s));
  ASSERT_TRUE(j.contains("sidechain"));
  EXPECT_TRUE(j["sidechain"].is_null());
  // A stage that has seen nothing yet: ratio 1, not a division by zero.
  s.sidechain = SidechainStats{};
  s.sidechain->setting = "lz4";
  j = json::parse(stats_to_json(s));
  EXPECT_EQ(j["sidechain"]["ratio"], 1.0);
  EXPECT_EQ(j["sidechain"]["codecs"], json::array());
  EXPECT_FALSE(j["sidechain"].contains("probe"));  // only with --compress auto and the tuner
}

TEST(StatsJson, CodecProbeWhenTheTunerChoosesTheCodec) {
  Stats s = sample_tx();
  s.sidechain->probe = {{"none", 4, 524288, 524288}, {"zstd:3", 4, 524288, 131072}};
  auto j = json::parse(stats_to_json(s));
  ASSERT_EQ(j["sidechain"]["probe"].size(), 2u);
  EXPECT_EQ(
      j["sidechain"]["probe"][1],
      json({{"codec", "zstd:3"}, {"samples", 4}, {"raw_bytes", 524288}, {"wire_bytes", 131072}}));
}

TEST(StatsJson, TunerSection) {
  Stats s = sample_tx();
  s.last_tuning = sample_tuning();
  s.tuning_generations = 18;
  auto j = json::parse(stats_to_json(s));
  EXPECT_EQ(j["tuner"]["generations"], 18);
  EXPECT_EQ(j["tuner"]["last"]["generation"], 17);
  EXPECT_EQ(j["tuner"]["last"]["best_fitness"], 1.75e9);
  EXPECT_EQ(j["tuner"]["last"]["genome"]["legs"], 8);
  EXPECT_EQ(j["tuner"]["last"]["best"]["frame_bytes"], 4 * 1024 * 1024);
}

TEST(StatsJson, ErrorLinesAndOddBytesStayValidJson) {
  Stats s = sample_rx();
  s.finished = true;
  s.exit_reason = "sink closed: \"broken pipe\"\n\t\x01 \xff";
  auto j = json::parse(stats_to_json(s));
  EXPECT_TRUE(j["exit_reason"].get<std::string>().starts_with("sink closed: \"broken pipe\"\n"));
  EXPECT_EQ(json::parse(stats_to_json(Stats{}))["throughput_bytes_per_second"], 0.0);
}

TEST(StatsJson, WriteIsAtomicAndLeavesNoTemporary) {
  TempDir dir;
  const auto path = (dir.path() / "stats.json").string();
  Stats s = sample_tx();
  write_stats_json(path, s);
  s.bytes_in = 7;
  write_stats_json(path, s);  // replaces the earlier document (SIGUSR1, then the end)
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(json::parse(text.str())["bytes_in"], 7);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

// Not a regular file: written in place. A rename would put a regular file where the FIFO (or,
// as root, /dev/null) was.
TEST(StatsJson, FifoIsWrittenInPlaceAndStaysAFifo) {
  TempDir dir;
  const auto path = (dir.path() / "stats.fifo").string();
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  // Open for reading first (without waiting for a writer), so that the write does not block;
  // the document fits the FIFO's buffer. Were the FIFO replaced, this end would read nothing.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(fd, 0);
  write_stats_json(path, sample_tx());
  std::string received;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) received.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  ASSERT_FALSE(received.empty());
  EXPECT_EQ(json::parse(received)["bytes_in"], sample_tx().bytes_in);
  EXPECT_TRUE(fs::is_fifo(fs::symlink_status(path)));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

TEST(StatsJson, SymlinkStaysAndTheFileItNamesIsReplaced) {
  TempDir dir;
  const auto file = dir.path() / "real.json";
  const auto link = dir.path() / "link.json";
  std::ofstream(file) << "old";
  fs::create_symlink(file, link);
  write_stats_json(link.string(), sample_tx());
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(link)));
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(json::parse(text.str())["bytes_in"], sample_tx().bytes_in);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 2);
}

TEST(StatsJson, UnwritablePathIsOneLine) {
  TempDir dir;
  const auto path = (dir.path() / "missing" / "stats.json").string();
  try {
    write_stats_json(path, sample_tx());
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "stats-json: cannot write " + path + ": no such file or directory");
  }
}

TEST(StatsJson, FullDuplexDocumentIsKeyedByRole) {
  const std::vector<Stats> both{sample_tx(), sample_rx()};
  const auto j = json::parse(stats_to_json(both));
  ASSERT_TRUE(j.contains("tx") && j.contains("rx"));
  EXPECT_EQ(j["tx"], json::parse(stats_to_json(both[0])));
  EXPECT_EQ(j["rx"], json::parse(stats_to_json(both[1])));
  // One engine: the plain document, as before.
  EXPECT_EQ(json::parse(stats_to_json(std::span<const Stats>(both.data(), 1))),
            json::parse(stats_to_json(both[0])));
}

}  // namespace
}  // namespace vmp::metrics::test
