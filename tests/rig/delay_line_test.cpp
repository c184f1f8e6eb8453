// Unit tests of vmp-linkemu's delay line: it must behave exactly like a FIFO of packets
// (payload intact, order kept) while wrapping around its ring, and refuse packets when full.
#include "delay_line.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <vector>

namespace {

using vmp::rig::DelayLine;

struct Packet {
  int64_t due;
  std::vector<std::byte> data;
};

std::vector<std::byte> payload(std::mt19937& rng, uint32_t len) {
  std::vector<std::byte> v(len);
  for (auto& b : v) b = static_cast<std::byte>(rng());
  return v;
}

TEST(DelayLine, StartsEmptyAndKeepsFifoOrder) {
  DelayLine line(4096);
  EXPECT_TRUE(line.empty());
  for (uint32_t i = 0; i < 5; ++i) {
    std::byte* p = line.push(100 + i, 8);
    ASSERT_NE(p, nullptr);
    std::memset(p, static_cast<int>(i), 8);
  }
  EXPECT_EQ(line.size(), 5u);
  for (uint32_t i = 0; i < 5; ++i) {
    const size_t pos = line.begin();
    EXPECT_EQ(line.header_at(pos).due_ns, 100 + i);
    EXPECT_EQ(line.header_at(pos).len, 8u);
    EXPECT_EQ(line.data_at(pos)[7], static_cast<std::byte>(i));
    line.pop();
  }
  EXPECT_TRUE(line.empty());
}

TEST(DelayLine, RefusesWhenFullAndAcceptsAgainAfterPop) {
  DelayLine line(1024);  // 1024 bytes: records of 16 + 240 = 256 bytes, four fit
  int accepted = 0;
  while (line.push(0, 240) != nullptr) ++accepted;
  EXPECT_EQ(accepted, 4);
  EXPECT_EQ(line.push(0, 1), nullptr);
  line.pop();
  EXPECT_NE(line.push(0, 240), nullptr);  // wraps into the freed room at the start
  EXPECT_EQ(line.push(0, 1), nullptr);
}

TEST(DelayLine, RefusesAPacketLargerThanTheRing) {
  DelayLine line(256);
  EXPECT_EQ(line.push(0, 1000), nullptr);
  EXPECT_NE(line.push(0, 200), nullptr);
}

// Random pushes and pops of random sizes against a std::deque model: every packet comes out
// intact and in order, across many wraps, and nothing is refused while the model says it fits.
TEST(DelayLine, MatchesADequeModelAcrossWraps) {
  std::mt19937 rng(42);
  DelayLine line(64 * 1024);
  std::deque<Packet> model;
  size_t refused = 0;
  int64_t due = 0;
  for (int step = 0; step < 200'000; ++step) {
    if (rng() % 100 < 52) {
      const uint32_t len = 1 + rng() % 1600;
      auto data = payload(rng, len);
      std::byte* slot = line.push(++due, len);
      if (slot == nullptr) {
        ++refused;
        // Refusal is only allowed when the ring really is busy.
        ASSERT_FALSE(model.empty());
        continue;
      }
      std::memcpy(slot, data.data(), len);
      model.push_back({due, std::move(data)});
    } else if (!model.empty()) {
      const size_t pos = line.begin();
      const auto h = line.header_at(pos);
      ASSERT_EQ(h.due_ns, model.front().due);
      ASSERT_EQ(h.len, model.front().data.size());
      ASSERT_EQ(std::memcmp(line.data_at(pos), model.front().data.data(), h.len), 0);
      line.pop();
      model.pop_front();
    }
    ASSERT_EQ(line.size(), model.size());
  }
  EXPECT_GT(refused, 0u);  // the test did exercise the full ring
}

// Walking with next() visits the records in order without popping (what sendmmsg batching does).
TEST(DelayLine, NextWalksRecordsInOrder) {
  std::mt19937 rng(7);
  DelayLine line(8 * 1024);
  for (int round = 0; round < 50; ++round) {
    std::vector<int64_t> pushed;
    while (true) {
      const int64_t d = round * 1000 + static_cast<int64_t>(pushed.size());
      if (line.push(d, 1 + rng() % 700) == nullptr) break;
      pushed.push_back(d);
    }
    // Some of the previous round may still be queued; walk everything that is there.
    size_t pos = line.begin();
    int64_t last = -1;
    for (size_t left = line.size(); left > 0; --left) {
      const auto h = line.header_at(pos);
      EXPECT_GT(h.due_ns, last);
      last = h.due_ns;
      if (left > 1) pos = line.next(pos);
    }
    EXPECT_EQ(last, pushed.back());
    for (size_t k = 0, n = line.size() / 2 + 1; k < n; ++k) line.pop();
  }
}

}  // namespace
