#include <gtest/gtest.h>

#include <cstdint>

#include "cli/options.hpp"
#include "cli/rate_text.hpp"

namespace vmp {
namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

TEST(ParseRate, BytesAndBits) {
  EXPECT_EQ(parse_rate("10M"), 10 * kMiB);
  EXPECT_EQ(parse_rate("512k"), 512 * 1024u);
  EXPECT_EQ(parse_rate("1000"), 1000u);
  EXPECT_EQ(parse_rate("0"), 0u);
  EXPECT_EQ(parse_rate("100kbit"), 12'500u);
  EXPECT_EQ(parse_rate("100Mbit"), 12'500'000u);
  EXPECT_EQ(parse_rate("1Gbit"), 125'000'000u);
  EXPECT_EQ(parse_rate("2.5Gbit"), 312'500'000u);
  EXPECT_EQ(parse_rate("8bit"), 1u);
  EXPECT_FALSE(parse_rate(""));
  EXPECT_FALSE(parse_rate("kbit"));
  EXPECT_FALSE(parse_rate("-1Mbit"));
  EXPECT_FALSE(parse_rate(".5Mbit"));
  EXPECT_FALSE(parse_rate("10Mbps"));
  EXPECT_FALSE(parse_rate("1e3kbit"));
}

std::variant<Config, UsageError> parse(std::vector<const char*> args) {
  args.insert(args.begin(), "viamillipede");
  return parse_command_line(static_cast<int>(args.size()), args.data());
}

TEST(RateOptions, LimitsArePinnedKnobs) {
  auto r =
      parse({"tx", "a", "1", "tx", "b", "1", "--rate-limit", "100Mbit", "--link-rates", "10M,0"});
  ASSERT_TRUE(std::holds_alternative<Config>(r)) << std::get<UsageError>(r).message;
  const auto& c = std::get<Config>(r);
  EXPECT_EQ(c.tx.knobs.rate_limit, 12'500'000u);
  EXPECT_EQ(c.tx.knobs.link_rates, (std::vector<double>{10.0 * kMiB, 0}));
  EXPECT_TRUE(has(c.pinned, KnobId::rate_limit));
  EXPECT_TRUE(has(c.pinned, KnobId::link_rates));
}

TEST(RateOptions, OneLineErrors) {
  auto message = [](std::vector<const char*> args) {
    auto r = parse(std::move(args));
    return std::holds_alternative<UsageError>(r) ? std::get<UsageError>(r).message : "";
  };
  EXPECT_EQ(message({"tx", "a", "1", "tx", "b", "1", "--link-rates", "10M"}),
            "--link-rates needs one rate per tx target (2)");
  EXPECT_NE(message({"tx", "a", "1", "--rate-limit", "fast"}).find("is not a rate"),
            std::string::npos);
  EXPECT_EQ(message({"tx", "a", "1", "--rate-limit", "10"}),
            "rate-limit 10 is outside 1000..1099511627776 (or 0 for none)");
  EXPECT_EQ(message({"tx", "a", "1", "--link-rates", "8bit"}),
            "link rate 1 is outside 1000..1099511627776 (or 0 for none)");
  EXPECT_EQ(message({"rx", "1", "--rate-limit", "10M"}), "--rate-limit is for tx only");
  EXPECT_EQ(message({"tx", "a", "1", "--rate-limit", "0"}), "");  // 0 = none
}

}  // namespace
}  // namespace vmp
