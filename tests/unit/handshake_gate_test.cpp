#include "rx/handshake_gate.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace vmp {
namespace {

TEST(HandshakeGate, CapsPerAddressAndInTotalAndReleasesWithThePass) {
  HandshakeGate gate(5, 3);
  std::string why;
  std::vector<HandshakeGate::Pass> held;
  for (int i = 0; i < 3; ++i) {
    auto p = gate.enter("10.0.0.1", why);
    ASSERT_TRUE(p);
    held.push_back(std::move(*p));
  }
  EXPECT_FALSE(gate.enter("10.0.0.1", why));
  EXPECT_NE(why.find("from this address"), std::string::npos);
  // Another address still gets in, up to the total.
  auto a = gate.enter("10.0.0.2", why);
  auto b = gate.enter("10.0.0.2", why);
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(gate.enter("10.0.0.3", why));
  EXPECT_EQ(gate.in_handshake(), 5u);
  held.pop_back();
  EXPECT_EQ(gate.in_handshake(), 4u);
  EXPECT_TRUE(gate.enter("10.0.0.1", why));  // the temporary pass is released at once
  EXPECT_EQ(gate.in_handshake(), 4u);
}

}  // namespace
}  // namespace vmp
