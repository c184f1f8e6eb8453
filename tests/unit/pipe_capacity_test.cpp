#include "util/pipe_capacity.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

namespace vmp {
namespace {

TEST(PipeCapacity, APipeGrowsAndAFileIsLeftAlone) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const int before = ::fcntl(fds[1], F_GETPIPE_SZ);
  widen_if_pipe(fds[1]);
  // 1 MiB is the default fs.pipe-max-size, so even an unprivileged user gets it.
  EXPECT_GE(::fcntl(fds[1], F_GETPIPE_SZ), kStdPipeBytes);
  EXPECT_LT(before, kStdPipeBytes);
  ::close(fds[0]);
  ::close(fds[1]);

  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  widen_if_pipe(::fileno(f));  // not a pipe: nothing to do, nothing fails
  EXPECT_EQ(::fcntl(::fileno(f), F_GETPIPE_SZ), -1);
  std::fclose(f);
}

}  // namespace
}  // namespace vmp
