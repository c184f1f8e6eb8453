#include "sidechain/filter_files.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace vmp::sidechain {
namespace {

constexpr std::size_t kMiB = 1024 * 1024;

std::vector<std::byte> bytes_of(const std::string& s) {
  std::vector<std::byte> v(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) v[i] = static_cast<std::byte>(s[i]);
  return v;
}

// Everything from the descriptor's offset to the end of the file.
std::string rest_of(const UniqueFd& fd) {
  std::string out;
  char buf[4096];
  for (ssize_t r; (r = ::read(fd.get(), buf, sizeof buf)) > 0;)
    out.append(buf, static_cast<std::size_t>(r));
  return out;
}

struct stat stat_of(const UniqueFd& fd) {
  struct stat st {};
  EXPECT_EQ(::fstat(fd.get(), &st), 0);
  return st;
}

TEST(FilterFiles, TheInputHoldsExactlyTheLatestBytesFromItsStart) {
  FilterFiles files(kMiB);
  int err = 0;
  const auto first = files.input(bytes_of("a longer first frame"), err);
  ASSERT_TRUE(first) << err;
  EXPECT_EQ(rest_of(*first), "a longer first frame");
  const auto second = files.input(bytes_of("short"), err);
  ASSERT_TRUE(second) << err;
  EXPECT_EQ(rest_of(*second), "short");  // no tail of the first
  EXPECT_EQ(stat_of(*second).st_size, 5);
  const auto empty = files.input({}, err);
  ASSERT_TRUE(empty) << err;
  EXPECT_EQ(rest_of(*empty), "");
}

// Kept from call to call (its pages with it): the same file each time, and a descriptor that
// shares its offset with the file's own, above the standard descriptors.
TEST(FilterFiles, EveryCallGetsTheSameFilesAtTheirStart) {
  FilterFiles files(kMiB);
  int err = 0;
  auto in1 = files.input(bytes_of("abc"), err);
  auto out1 = files.output(err);
  ASSERT_TRUE(in1 && out1) << err;
  EXPECT_GT(in1->get(), 2);
  EXPECT_GT(out1->get(), 2);
  ASSERT_EQ(::write(out1->get(), "hello world", 11), 11);
  EXPECT_EQ(::lseek(out1->get(), 0, SEEK_CUR), 11);
  const auto in_ino = stat_of(*in1).st_ino;
  const auto out_ino = stat_of(*out1).st_ino;
  in1.reset();
  out1.reset();

  const auto in2 = files.input(bytes_of("defg"), err);
  const auto out2 = files.output(err);
  ASSERT_TRUE(in2 && out2) << err;
  EXPECT_EQ(stat_of(*in2).st_ino, in_ino);
  EXPECT_EQ(stat_of(*out2).st_ino, out_ino);
  EXPECT_EQ(::lseek(out2->get(), 0, SEEK_CUR), 0);  // rewound: the next filter writes from 0
  ASSERT_EQ(::write(out2->get(), "xy", 2), 2);
  EXPECT_EQ(::lseek(out2->get(), 0, SEEK_CUR), 2);  // how much this one wrote
  // The output file keeps its sealed size, whatever was written before.
  EXPECT_EQ(static_cast<std::size_t>(stat_of(*out2).st_size), kMiB + 1 + kFilterOverrunRoom);
}

// A decompression bomb costs no memory: the file a filter writes its output to cannot grow
// past the limit plus the room, whatever one write asks for.
TEST(FilterOutputFile, CannotGrowPastTheLimitPlusRoom) {
  int err = 0;
  const auto fd = make_output_file(kMiB, err);
  ASSERT_TRUE(fd) << err;
  const std::vector<char> bomb(64 * kMiB, 'x');
  std::size_t wrote = 0;
  while (wrote < bomb.size()) {
    const ssize_t w = ::write(fd->get(), bomb.data() + wrote, bomb.size() - wrote);
    if (w <= 0) break;  // EPERM (or EFBIG): the seal
    wrote += static_cast<std::size_t>(w);
  }
  EXPECT_EQ(static_cast<std::size_t>(stat_of(*fd).st_size), kMiB + 1 + kFilterOverrunRoom);
  EXPECT_LE(wrote, kMiB + 1 + kFilterOverrunRoom);
}

}  // namespace
}  // namespace vmp::sidechain
