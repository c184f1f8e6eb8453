#include "knobs.hpp"

#include <gtest/gtest.h>

namespace vmp {
namespace {

TEST(Knobs, DefaultsAreValid) {
  EXPECT_FALSE(validate(Knobs{}));
}

TEST(Knobs, ToStringIsKeyEqualsValueSeparatedBySingleSpaces) {
  Knobs k;
  k.link_weights = {2, 1};
  const auto text = to_string(k);
  ASSERT_FALSE(text.empty());
  EXPECT_NE(text.front(), ' ');
  EXPECT_NE(text.back(), ' ');
  EXPECT_EQ(text.find("  "), std::string::npos);
  std::string first(kKnobTable.front().key);
  first += '=';
  EXPECT_TRUE(text.starts_with(first));
  // Every knob, in table order; an empty list (link rates here) is left out.
  std::size_t at = 0;
  for (const auto& spec : kKnobTable) {
    std::string needle = " ";  // (appended: see to_string on GCC 12's -Wrestrict)
    needle.append(spec.key).append("=");
    const auto pos = text.find(needle, at);
    if (spec.type == KnobType::rates) {
      EXPECT_EQ(pos, std::string::npos) << spec.key;
      continue;
    }
    if (&spec == &kKnobTable.front()) continue;
    ASSERT_NE(pos, std::string::npos) << spec.key << " in " << text;
    at = pos + 1;
  }
}

TEST(Knobs, OutOfRangeIsAnErrorNamingTheKnob) {
  Knobs k;
  k.legs = 0;
  ASSERT_TRUE(validate(k));
  EXPECT_NE(validate(k)->find("legs"), std::string::npos);
  k = {};
  k.frame_bytes = 17 * MiB;
  EXPECT_TRUE(validate(k));
  k = {};
  k.window_bytes = k.frame_bytes;  // must hold two frames
  EXPECT_TRUE(validate(k));
  k = {};
  k.sndbuf_bytes = 100;  // below 4 KiB and not 0
  EXPECT_TRUE(validate(k));
  k.sndbuf_bytes = 0;
  EXPECT_FALSE(validate(k));
  k.link_weights = {1, -1};
  EXPECT_TRUE(validate(k));
}

TEST(Knobs, CongestionMustBeOfferedByTheKernel) {
  Knobs k;
  k.congestion = "no-such-cc";
  EXPECT_TRUE(validate(k));
  const auto avail = available_congestion_controls();
  ASSERT_FALSE(avail.empty());
  k.congestion = avail.front();
  EXPECT_FALSE(validate(k));
}

}  // namespace
}  // namespace vmp
