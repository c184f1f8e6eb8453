// The prbs pattern: deterministic per seed, the same bytes whatever the offset and length they
// are asked for in, and the first wrong byte named exactly. The generator and the checker
// agree through real pipes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "streams/prbs_checker.hpp"
#include "streams/prbs_generator.hpp"
#include "streams/prbs_pattern.hpp"
#include "util/unique_fd.hpp"

namespace vmp::streams {
namespace {

std::vector<std::byte> bytes(const PrbsPattern& p, std::uint64_t offset, std::size_t n) {
  std::vector<std::byte> out(n);
  p.fill(offset, out);
  return out;
}

TEST(PrbsPattern, SameSeedSameStreamOtherSeedAnother) {
  EXPECT_EQ(bytes(PrbsPattern(0xd00f), 0, 4096), bytes(PrbsPattern(0xd00f), 0, 4096));
  EXPECT_NE(bytes(PrbsPattern(0xd00f), 0, 4096), bytes(PrbsPattern(0xd00e), 0, 4096));
  // Not a shifted copy of a neighbour's stream.
  EXPECT_NE(bytes(PrbsPattern(1), 8, 4096), bytes(PrbsPattern(2), 0, 4096));
}

TEST(PrbsPattern, AnyOffsetAndLengthGiveTheSameBytes) {
  const PrbsPattern p(42);
  const auto whole = bytes(p, 0, 1000);
  for (std::uint64_t off : {0, 1, 7, 8, 9, 15, 333}) {
    for (std::size_t len : {0, 1, 5, 8, 13, 64, 500}) {
      const auto part = bytes(p, off, len);
      ASSERT_TRUE(std::equal(part.begin(), part.end(), whole.begin() + static_cast<long>(off)))
          << off << "+" << len;
    }
  }
}

TEST(PrbsPattern, LooksRandomEnough) {
  // Every byte value turns up, and no run of 8 zero bytes (what a broken word would give).
  const auto b = bytes(PrbsPattern(0), 0, 1 << 16);
  std::vector<int> seen(256);
  for (auto x : b) ++seen[static_cast<unsigned char>(x)];
  for (int n : seen) EXPECT_GT(n, 0);
}

TEST(PrbsPattern, FirstDifferenceIsExact) {
  const PrbsPattern p(7);
  auto b = bytes(p, 100, 20000);
  EXPECT_EQ(p.first_difference(100, b), std::nullopt);
  b[12345] ^= std::byte{1};
  b[15000] ^= std::byte{0x80};
  EXPECT_EQ(p.first_difference(100, b), 100u + 12345u);
  EXPECT_EQ(p.first_difference(101, bytes(p, 100, 10)), 101u);  // off by one: at once
}

TEST(PrbsPipes, GeneratorFeedsCheckerExactly) {
  std::vector<std::string> failures;
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  UniqueFd out_r(out[0]);
  UniqueFd out_w(out[1]);
  PrbsGenerator gen(99);
  PrbsChecker check(99, out_w.get(),
                    [&](ExitCode, const std::string& why) { failures.push_back(why); });
  // 3 MB through: the generator's pipe into the checker's, and out of the checker.
  std::vector<std::byte> buf(1 << 16);
  std::uint64_t moved = 0, drained = 0;
  while (moved < 3'000'000) {
    const auto n = ::read(gen.read_fd(), buf.data(), buf.size());
    ASSERT_GT(n, 0);
    ASSERT_EQ(::write(check.write_fd(), buf.data(), static_cast<std::size_t>(n)), n);
    moved += static_cast<std::uint64_t>(n);
    // Keep the checker's output flowing (a pipe holds 64 KiB).
    while (drained < moved) {
      const auto m = ::read(out_r.get(), buf.data(), buf.size());
      ASSERT_GT(m, 0);
      drained += static_cast<std::uint64_t>(m);
    }
  }
  EXPECT_EQ(check.wait_checked(moved), "");
  EXPECT_EQ(check.finish(), ExitCode::ok);
  EXPECT_EQ(check.bytes_checked(), moved);
  EXPECT_TRUE(failures.empty());
}

TEST(PrbsPipes, CheckerNamesTheWrongByteOnce) {
  std::vector<std::string> failures;
  UniqueFd null_out(::open("/dev/null", O_WRONLY));
  PrbsChecker check(5, null_out.get(), [&](ExitCode code, const std::string& why) {
    EXPECT_EQ(code, ExitCode::mismatch);
    failures.push_back(why);
  });
  auto b = bytes(PrbsPattern(5), 0, 100000);
  b[77777] ^= std::byte{4};
  b[88888] ^= std::byte{4};
  ASSERT_EQ(::write(check.write_fd(), b.data(), b.size()), static_cast<ssize_t>(b.size()));
  EXPECT_EQ(check.wait_checked(b.size()),
            "prbs: the stream differs from the pattern at byte 77777");
  EXPECT_EQ(check.finish(), ExitCode::mismatch);
  ASSERT_EQ(failures.size(), 1u);
}

}  // namespace
}  // namespace vmp::streams
