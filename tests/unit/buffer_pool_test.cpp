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

// Frames of nearby lengths share buffers: above 64 KiB sizes round up to a quarter of their
// power of two, never more than 25% over.
TEST(BufferPool, NearbyLargeSizesShareABuffer) {
  BufferPool pool(8 << 20);
  std::byte* first = nullptr;
  {
    auto b = pool.get(700000);
    EXPECT_GE(b.capacity(), 700000u);
    first = b.data();
  }
  auto again = pool.get(660000);
  EXPECT_EQ(again.data(), first);
  EXPECT_EQ(again.capacity(), 786432u);  // 512 KiB + 2 x 128 KiB
  for (std::size_t n : {65537u, 100000u, 1048576u, 1048577u, 5000000u}) {
    const auto c = BufferPool::size_class(n);
    EXPECT_GE(c, n);
    EXPECT_LE(c, n + n / 4);
  }
  EXPECT_EQ(BufferPool::size_class(1 << 20), 1u << 20);
  EXPECT_EQ(BufferPool::size_class(4096), 4096u);
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
