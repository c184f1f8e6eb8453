#include "util/buffer_pool.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

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

// A transfer's working set runs past its window by a few frames (one being read, the stage's,
// another size class); with a budget of the window alone each of those frames was freed and
// mapped again, frame after frame.
TEST(BufferPool, AWindowsBudgetKeepsAFewFramesMoreThanTheWindow) {
  constexpr std::size_t kFrame = 1 << 20;
  constexpr std::uint64_t kWindow = 8 * kFrame;
  BufferPool pool(BufferPool::budget_for_window(kWindow));
  {
    std::vector<Buffer> held;
    for (int i = 0; i < 12; ++i) held.push_back(pool.get(kFrame));  // the window and 4 more
  }
  EXPECT_EQ(pool.idle_bytes(), 12 * kFrame);
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

// Sizes that fill huge pages well get them; the others would waste more than an eighth.
TEST(HugeRegion, CarvesOnlySizesThatFitHugePages) {
  if (!HugeRegion::buffers_per_region(1 << 20)) GTEST_SKIP() << "AddressSanitizer build";
  EXPECT_EQ(HugeRegion::buffers_per_region(1 << 20), 2u);
  EXPECT_EQ(HugeRegion::buffers_per_region(512 << 10), 4u);
  EXPECT_EQ(HugeRegion::buffers_per_region(640 << 10), 3u);
  EXPECT_EQ(HugeRegion::buffers_per_region(4 << 20), 1u);
  EXPECT_EQ(HugeRegion::buffers_per_region(3584 << 10), 1u);            // 3.5 MiB in 4: 1/8 spare
  EXPECT_EQ(HugeRegion::buffers_per_region(1280 << 10), std::nullopt);  // 1.25 MiB in 2
  EXPECT_EQ(HugeRegion::buffers_per_region(5 << 20), std::nullopt);     // 5 MiB in 6
  EXPECT_EQ(HugeRegion::buffers_per_region(256 << 10), std::nullopt);   // small: the heap
}

TEST(HugeRegion, IsAlignedToAndSizedInHugePages) {
  const HugeRegion region(3 << 20);
  EXPECT_EQ(region.size(), std::size_t{4} << 20);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(region.data()) % HugeRegion::kHugePage, 0u);
  std::memset(region.data(), 0xab, region.size());  // all of it is ours to write
}

// Two 1 MiB buffers share a huge page: the first get maps the region and leaves its other
// half idle, the second get takes that half.
TEST(BufferPool, OneMebibyteBuffersComeTwoToAHugePage) {
  if (!HugeRegion::buffers_per_region(1 << 20)) GTEST_SKIP() << "AddressSanitizer build";
  BufferPool pool(8 << 20);
  auto a = pool.get(1 << 20);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a.data()) % HugeRegion::kHugePage, 0u);
  EXPECT_EQ(pool.idle_bytes(), 1u << 20);
  auto b = pool.get(1 << 20);
  EXPECT_EQ(b.data(), a.data() + (1 << 20));
  EXPECT_EQ(pool.idle_bytes(), 0u);
  std::memset(a.data(), 1, a.capacity());
  std::memset(b.data(), 2, b.capacity());
  EXPECT_EQ(a.data()[(1 << 20) - 1], std::byte{1});
  {
    Buffer moved = std::move(a);  // returns once, from `moved`
  }
  EXPECT_EQ(pool.idle_bytes(), 1u << 20);
  b = Buffer();
  EXPECT_EQ(pool.idle_bytes(), 2u << 20);
  pool.set_max_idle_bytes(0);  // both halves freed: the region goes with the second
  EXPECT_EQ(pool.idle_bytes(), 0u);
}

// With no room for the region's other half in the budget, it is not kept.
TEST(BufferPool, ASpareHalfOutsideTheBudgetIsNotKept) {
  if (!HugeRegion::buffers_per_region(1 << 20)) GTEST_SKIP() << "AddressSanitizer build";
  BufferPool pool(0);
  auto a = pool.get(1 << 20);
  EXPECT_EQ(pool.idle_bytes(), 0u);
  a.data()[0] = std::byte{7};
}

}  // namespace
}  // namespace vmp
