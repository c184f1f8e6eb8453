#include "util/status_report.hpp"

#include <gtest/gtest.h>

namespace vmp {
namespace {

TEST(StatusReport, EtaLikePvWhenTheLengthIsKnown) {
  EXPECT_EQ(format_eta(0, 0, 1e6), "");  // unknown length: nothing
  EXPECT_EQ(format_eta(450, 1000, 10.0), "   45% ETA 0:00:55");
  EXPECT_EQ(format_eta(0, 7200ULL * 1000, 1000.0), "    0% ETA 2:00:00");
  EXPECT_EQ(format_eta(10, 1000, 0.0), "    1% ETA --:--:--");  // no rate yet
  EXPECT_EQ(format_eta(1000, 1000, 5.0), "  100%");
}

TEST(StatusReport, ProgressLineShowsPercentOnlyWithAKnownLength) {
  Stats s;
  s.bytes_out = 512;
  s.elapsed_seconds = 1;
  EXPECT_EQ(format_progress(s, false).find("ETA"), std::string::npos);
  s.expected_bytes = 1024;
  EXPECT_NE(format_progress(s, false).find(" 50% ETA 0:00:01"), std::string::npos);
}

Stats with_sidechain() {
  Stats s;
  s.role = Role::tx;
  s.bytes_out = 3410;
  s.elapsed_seconds = 1;
  s.window_bytes_limit = 64 * MiB;
  s.source_stall_seconds = 1.3;
  s.network_stall_seconds = 2.5;
  s.sidechain_stall_seconds = 0.7;
  SidechainStats sc;
  sc.setting = "zstd:1";
  sc.workers = 4;
  sc.busy_seconds = 12.3;
  sc.depth = 5;
  sc.codecs = {{"none", 1, 1024, 1024}, {"zstd", 2, 2386 * MiB, 700 * MiB}};
  s.sidechain = sc;
  return s;
}

TEST(StatusReport, ProgressLineShowsTheRatioOnlyWhileASidechainRuns) {
  Stats s = with_sidechain();
  const auto line = format_progress(s, false);
  EXPECT_NE(line.find("  window   0%  ratio 3.41x  resent 0"), std::string::npos) << line;
  EXPECT_EQ(format_progress(s, true).back(), '\n');
  s.sidechain->codecs.clear();  // nothing through the stage yet: 1, not a division by zero
  EXPECT_NE(format_progress(s, false).find("ratio 1.00x"), std::string::npos);
  s.sidechain.reset();
  EXPECT_EQ(format_progress(s, false).find("ratio"), std::string::npos);
}

TEST(StatusReport, StatusBlockDescribesTheSidechain) {
  Stats s = with_sidechain();
  const auto block = format_status(s);
  EXPECT_NE(block.find("stalls: source 1.3 s, sidechain 0.7 s, network 2.5 s\n"), std::string::npos)
      << block;
  EXPECT_NE(block.find("sidechain zstd:1: 2.33 GiB -> 700.00 MiB on the wire, ratio 3.41x; "
                       "4 workers, busy 12.3 s, 5 frames queued\n"),
            std::string::npos)
      << block;
  s.sidechain.reset();
  EXPECT_EQ(format_status(s).find("sidechain"), std::string::npos);
}

}  // namespace
}  // namespace vmp
