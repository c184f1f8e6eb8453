#include "util/pipe_pool.hpp"

#include <gtest/gtest.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/use_future.hpp>
#include <asio/write.hpp>
#include <numeric>
#include <vector>

#include "rx/socket_splice.hpp"

namespace vmp {
namespace {

int bytes_in(const Pipe& p) {
  int n = -1;
  ::ioctl(p.read_fd(), FIONREAD, &n);
  return n;
}

TEST(PipePool, LendsNoMoreThanItsBudgetAndReusesEmptyPipes) {
  PipePool pool(2, 64 * 1024);
  auto a = pool.get();
  auto b = pool.get();
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_FALSE(pool.get());  // budget spent: the caller copies instead
  EXPECT_EQ(pool.lent(), 2u);
  const int fd = a.read_fd();
  a = Pipe{};
  EXPECT_EQ(pool.lent(), 1u);
  auto c = pool.get();
  EXPECT_EQ(c.read_fd(), fd);  // the same pipe, back from the idle list
}

TEST(PipePool, APipeReturnedWithBytesInItIsDiscarded) {
  PipePool pool(1, 64 * 1024);
  {
    auto p = pool.get();
    ASSERT_EQ(::write(p.write_fd(), "abc", 3), 3);
    p.held = 3;
  }
  EXPECT_EQ(pool.lent(), 0u);
  auto fresh = pool.get();
  ASSERT_TRUE(fresh);
  EXPECT_EQ(bytes_in(fresh), 0);  // never a pipe with a dropped frame's bytes in it
}

// splice_from_socket moves what fits and says how much; the rest is read the ordinary way
// and the two parts together are the frame.
TEST(SocketSplice, StopsWhenThePipeIsFullAndTheRestReadsNormally) {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  asio::ip::tcp::socket sender(io);
  sender.connect(acceptor.local_endpoint());
  auto receiver = acceptor.accept();

  std::vector<unsigned char> frame(512 * 1024);
  std::iota(frame.begin(), frame.end(), 0);
  asio::write(sender, asio::buffer(frame));

  PipePool pool(1, 64 * 1024);  // far smaller than the frame
  auto pipe = pool.get();
  ASSERT_TRUE(pipe);
  auto moved_f =
      asio::co_spawn(io, splice_from_socket(receiver, pipe, frame.size()), asio::use_future);
  io.run();
  const auto moved = moved_f.get();
  EXPECT_GT(moved, 0u);
  EXPECT_LT(moved, frame.size());
  EXPECT_EQ(pipe.held, moved);

  std::vector<unsigned char> got(frame.size());
  ASSERT_EQ(::read(pipe.read_fd(), got.data(), moved), static_cast<ssize_t>(moved));
  pipe.held = 0;
  receiver.native_non_blocking(false);
  asio::read(receiver, asio::buffer(got.data() + moved, frame.size() - moved));
  EXPECT_EQ(got, frame);
}

}  // namespace
}  // namespace vmp
