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

}  // namespace
}  // namespace vmp
