#include "util/socket_tuning.hpp"

#include <gtest/gtest.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "util/unique_fd.hpp"

namespace vmp {
namespace {

int get_int(int fd, int level, int name) {
  int v = -1;
  socklen_t len = sizeof v;
  EXPECT_EQ(::getsockopt(fd, level, name, &v, &len), 0);
  return v;
}

TEST(SocketTuning, LegsKeepLittleUnsentDataAndStayAlive) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM, 0));
  ASSERT_GE(fd.get(), 0);
  SocketTuning t;
  t.user_timeout = std::chrono::milliseconds(7000);
  EXPECT_EQ(apply_socket_tuning(fd.get(), t), "");
  // Frames wait in the application, not in a deep socket queue behind each other.
  EXPECT_EQ(get_int(fd.get(), IPPROTO_TCP, TCP_NOTSENT_LOWAT), 256 * 1024);
  EXPECT_EQ(get_int(fd.get(), IPPROTO_TCP, TCP_NODELAY), 1);
  EXPECT_EQ(get_int(fd.get(), IPPROTO_TCP, TCP_USER_TIMEOUT), 7000);
  EXPECT_EQ(get_int(fd.get(), SOL_SOCKET, SO_KEEPALIVE), 1);
}

TEST(SocketTuning, AnUnknownCongestionControlIsReportedAndTheSocketStaysUsable) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM, 0));
  ASSERT_GE(fd.get(), 0);
  SocketTuning t;
  t.congestion = "no-such-cc";
  EXPECT_NE(apply_socket_tuning(fd.get(), t).find("TCP_CONGESTION no-such-cc"), std::string::npos);
  EXPECT_EQ(get_int(fd.get(), IPPROTO_TCP, TCP_NOTSENT_LOWAT), 256 * 1024);
}

}  // namespace
}  // namespace vmp
