#include "util/finish_on_throw.hpp"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <stdexcept>

namespace vmp {
namespace {

struct Finished {
  int calls = 0;
  ExitCode code = ExitCode::ok;
  std::string message;
};

TEST(FinishOnThrow, AnEscapedExceptionFinishesWithTheInternalCode) {
  asio::io_context io;
  Logger log("test");
  Finished f;
  auto boom = []() -> asio::awaitable<void> {
    throw std::runtime_error("tick went wrong");
    co_return;
  };
  asio::co_spawn(io, boom(), finish_on_throw(log, "the tick loop", [&](ExitCode c, std::string m) {
                   ++f.calls;
                   f.code = c;
                   f.message = std::move(m);
                   return true;
                 }));
  io.run();
  EXPECT_EQ(f.calls, 1);
  EXPECT_EQ(f.code, ExitCode::internal);
  EXPECT_EQ(f.message, "internal error in the tick loop: tick went wrong");
}

TEST(FinishOnThrow, NormalCompletionFinishesNothing) {
  asio::io_context io;
  Logger log("test");
  int calls = 0;
  auto fine = []() -> asio::awaitable<void> { co_return; };
  asio::co_spawn(io, fine(), finish_on_throw(log, "x", [&](ExitCode, std::string) {
                   ++calls;
                   return true;
                 }));
  io.run();
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace vmp
