#include "rx/reject_log.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vmp {
namespace {

using namespace std::chrono_literals;

TEST(RejectLog, FirstRejectionPerAddressAtOnceTheRestSummarised) {
  std::vector<std::string> lines;
  RejectLog log([&](const std::string& l) { lines.push_back(l); }, 5s);
  const auto t0 = RejectLog::Clock::now();
  log.reject("10.0.0.1", "10.0.0.1:1000", "wrong checkphrase", t0);
  for (int i = 0; i < 7000; ++i) log.reject("10.0.0.1", "10.0.0.1:1001", "wrong checkphrase", t0);
  log.reject("10.0.0.2", "10.0.0.2:1000", "not a viamillipede handshake", t0);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "rejected connection from 10.0.0.1:1000: wrong checkphrase");
  log.flush(t0 + 1s);  // the interval has not ended
  EXPECT_EQ(lines.size(), 2u);
  log.flush(t0 + 5s);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[2],
            "rejected 7000 more connections from 10.0.0.1 in the last 5 s (last: wrong "
            "checkphrase)");
  EXPECT_EQ(log.total(), 7002u);
  // A new interval: the first one from an address is shown again.
  log.reject("10.0.0.1", "10.0.0.1:2000", "wrong checkphrase", t0 + 6s);
  EXPECT_EQ(lines.size(), 4u);
}

TEST(RejectLog, ManyAddressesShareOneLine) {
  std::vector<std::string> lines;
  RejectLog log([&](const std::string& l) { lines.push_back(l); }, 5s);
  const auto t0 = RejectLog::Clock::now();
  for (int i = 0; i < 1000; ++i) {
    const auto a = "10.1." + std::to_string(i / 256) + "." + std::to_string(i % 256);
    log.reject(a, a + ":1", "no handshake within the timeout", t0);
  }
  EXPECT_EQ(lines.size(), RejectLog::kMaxAddresses);
  log.flush(t0, true);
  ASSERT_EQ(lines.size(), RejectLog::kMaxAddresses + 1);
  EXPECT_NE(lines.back().find("984 more connections from other addresses"), std::string::npos);
}

}  // namespace
}  // namespace vmp
