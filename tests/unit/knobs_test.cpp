#include "knobs.hpp"

#include <gtest/gtest.h>

namespace vmp {
namespace {

TEST(Knobs, DefaultsAreValid) {
  EXPECT_FALSE(validate(Knobs{}));
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
