#include "util/buffer_pool.hpp"

#include <gtest/gtest.h>

namespace vmp {
namespace {

TEST(BufferPool, ReusesReleasedBuffersOfTheSameSize) {
  BufferPool pool(1 << 20);
  std::byte* first = nullptr;
  {
    auto b = pool.get(4096);
    first = b.data();
  }
  EXPECT_EQ(pool.idle_bytes(), 4096u);
  auto again = pool.get(4096);
  EXPECT_EQ(again.data(), first);
  EXPECT_EQ(pool.idle_bytes(), 0u);
}

TEST(BufferPool, KeepsNoMoreThanItsBudget) {
  BufferPool pool(8192);
  {
    auto a = pool.get(4096);
    auto b = pool.get(4096);
    auto c = pool.get(4096);
  }
  EXPECT_EQ(pool.idle_bytes(), 8192u);
  pool.set_max_idle_bytes(4096);
  EXPECT_EQ(pool.idle_bytes(), 4096u);
}

TEST(BufferPool, MovedBufferReturnsOnce) {
  BufferPool pool(1 << 20);
  {
    auto a = pool.get(100);
    Buffer b = std::move(a);
    Buffer c;
    c = std::move(b);
  }
  EXPECT_EQ(pool.idle_bytes(), 100u);
}

}  // namespace
}  // namespace vmp
