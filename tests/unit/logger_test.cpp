#include "util/logger.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

namespace vmp {
namespace {

// Everything written to stderr while `fn` runs.
template <class Fn>
std::string capture_stderr(Fn fn) {
  int fds[2];
  EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  const int saved = ::dup(STDERR_FILENO);
  ::dup2(fds[1], STDERR_FILENO);
  fn();
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  ::close(fds[1]);
  std::string out;
  char buf[256];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;)
    out.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  return out;
}

TEST(Logger, ALogLineBlanksTheProgressLineFirst) {
  Logger log("vmp");
  const auto out = capture_stderr([&] {
    log.progress("\rtx 12 MiB");
    log.error("leg 3 lost");
    log.progress("\rtx 13 MiB");
  });
  EXPECT_EQ(out, "\rtx 12 MiB\r         \rvmp: leg 3 lost\n\rtx 13 MiB");
}

TEST(Logger, NothingToBlankWithoutAProgressLine) {
  Logger log("vmp");
  const auto out = capture_stderr([&] {
    log.progress("\rtx done\n");  // a final progress line ends its own line
    log.error("bye");
  });
  EXPECT_EQ(out, "\rtx done\nvmp: bye\n");
}

}  // namespace
}  // namespace vmp
