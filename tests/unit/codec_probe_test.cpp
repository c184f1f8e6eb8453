#include "sidechain/codec_probe.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace vmp::sidechain {
namespace {

using namespace std::chrono_literals;

std::vector<std::byte> text_like(std::size_t n) {
  // Words from a small vocabulary in a random order: every codec shrinks it, the stronger ones
  // more (a run of one byte would shrink to almost nothing with all of them alike).
  const std::vector<std::string> words{"frame ",     "leg ",          "window ", "codec ", "tuner ",
                                       "sidechain ", "viamillipede ", "stream ", "path "};
  std::mt19937 rng(7);
  std::vector<std::byte> out;
  while (out.size() < n) {
    for (char c : words[rng() % words.size()]) out.push_back(static_cast<std::byte>(c));
  }
  out.resize(n);
  return out;
}

std::vector<std::byte> random_bytes(std::size_t n) {
  std::mt19937 rng(11);
  std::vector<std::byte> out(n);
  for (auto& b : out) b = static_cast<std::byte>(rng());
  return out;
}

TEST(CodecProbe, OneSamplePerPeriodWhoeverAsks) {
  CodecProbe p;
  const auto t = std::chrono::steady_clock::now();
  EXPECT_TRUE(p.due(t));
  EXPECT_FALSE(p.due(t + CodecProbe::kPeriod / 2));
  EXPECT_TRUE(p.due(t + CodecProbe::kPeriod));
  EXPECT_FALSE(p.due(t + CodecProbe::kPeriod));
}

TEST(CodecProbe, EveryChoiceOnTheSameBytes) {
  BufferPool pool(8 << 20);
  FrameCodec codec(pool);
  CodecProbe p;
  EXPECT_TRUE(p.snapshot().empty());
  const auto data = text_like(1 << 20);
  p.sample(codec, data);  // a slice of kSampleBytes, not the whole frame
  p.sample(codec, std::span(data).first(1000));
  const auto s = p.snapshot();
  ASSERT_EQ(s.size(), kCompressChoices.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    EXPECT_EQ(s[i].codec, kCompressChoices[i]);
    EXPECT_EQ(s[i].frames, 2u);
    EXPECT_EQ(s[i].raw_bytes, CodecProbe::kSampleBytes + 1000);
  }
  EXPECT_EQ(s[0].wire_bytes, s[0].raw_bytes);       // none
  EXPECT_LT(s[1].wire_bytes, s[0].wire_bytes);      // lz4 shrinks it
  EXPECT_LT(s[2].wire_bytes, s[1].wire_bytes);      // zstd:1 more
  EXPECT_LE(s.back().wire_bytes, s[2].wire_bytes);  // zstd:9 at least as much
}

TEST(CodecProbe, WhatDoesNotShrinkCountsRawAsItsFrameWouldGo) {
  BufferPool pool(8 << 20);
  FrameCodec codec(pool);
  CodecProbe p;
  p.sample(codec, random_bytes(CodecProbe::kSampleBytes));
  for (const auto& c : p.snapshot()) EXPECT_EQ(c.wire_bytes, c.raw_bytes) << c.codec;
}

}  // namespace
}  // namespace vmp::sidechain
