// Recycles large payload buffers. A fresh 1 MiB allocation is an mmap plus 256 page faults;
// reusing buffers keeps the hot path free of both and keeps RSS flat at the window size.
// Buffers of 512 KiB and more whose size fits huge pages well (1 MiB: two to a 2 MiB page)
// are carved from huge-page regions (util/huge_region.hpp); the others come from the heap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <utility>
#include <vector>

#include "util/huge_region.hpp"

namespace vmp {

class BufferPool;

// A buffer's memory: its own heap block, or a share of a huge-page region that holds several
// buffers (the region is unmapped when the last of them is freed).
struct BufferStorage {
  BufferStorage() = default;
  BufferStorage(std::unique_ptr<std::byte[]> own, std::shared_ptr<const HugeRegion> shared,
                std::byte* at)
      : heap(std::move(own)), region(std::move(shared)), data(at) {}
  // A moved-from storage owns nothing, and says so (data null).
  BufferStorage(BufferStorage&& other) noexcept
      : heap(std::move(other.heap)),
        region(std::move(other.region)),
        data(std::exchange(other.data, nullptr)) {}
  BufferStorage& operator=(BufferStorage&& other) noexcept {
    heap = std::move(other.heap);
    region = std::move(other.region);
    data = std::exchange(other.data, nullptr);
    return *this;
  }

  std::unique_ptr<std::byte[]> heap;
  std::shared_ptr<const HugeRegion> region;
  std::byte* data = nullptr;
};

// An owned, uninitialised byte buffer that returns to its pool when destroyed.
class Buffer {
 public:
  Buffer() = default;
  Buffer(Buffer&&) noexcept = default;
  Buffer& operator=(Buffer&& other) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer();

  std::byte* data() { return bytes_.data; }
  const std::byte* data() const { return bytes_.data; }
  std::size_t capacity() const { return capacity_; }
  std::span<std::byte> span() { return {bytes_.data, capacity_}; }

 private:
  friend class BufferPool;
  Buffer(BufferStorage bytes, std::size_t capacity, BufferPool* pool)
      : bytes_(std::move(bytes)), capacity_(capacity), pool_(pool) {}
  void release();

  BufferStorage bytes_;
  std::size_t capacity_ = 0;
  BufferPool* pool_ = nullptr;
};

class BufferPool {
 public:
  // Keeps at most max_idle_bytes of free buffers; the rest are freed.
  explicit BufferPool(std::size_t max_idle_bytes) : max_idle_bytes_(max_idle_bytes) {}
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // A buffer of at least `capacity` bytes (reused when one of its size class is idle). Above
  // 64 KiB sizes round up to a quarter of their power of two (at most 25% more): frames vary
  // in length (a pipe, a leg's speed, what compression made of them), and with exact sizes
  // nearly every compressed or decoded frame missed the pool and paid an mmap, page faults
  // and an munmap (measured: lz4 on loopback at 5.4 CPU-s/GB, 56k page faults per 512 MB).
  Buffer get(std::size_t capacity);
  static std::size_t size_class(std::size_t capacity);
  // The idle budget for a transfer whose window is `window` bytes: the window plus room for
  // what is held beside it (the frame being read, the sidechain stage's frames, frames of
  // another size class). With the window alone the working set ran past the budget on every
  // frame: a keyed 2 GB transfer with --window 8M made 1749-1831 mmaps on the transmitter and
  // 613-1769 on the receiver, each a fresh huge page, its first touch and an munmap.
  static constexpr std::size_t kIdleHeadroom = std::size_t{16} << 20;
  static std::size_t budget_for_window(std::uint64_t window) {
    return static_cast<std::size_t>(window) + kIdleHeadroom;
  }
  void set_max_idle_bytes(std::size_t bytes);
  std::size_t idle_bytes() const;

 private:
  friend class Buffer;
  void put(BufferStorage bytes, std::size_t capacity);
  // A new buffer of a size class; its region's other buffers, if any, go idle.
  BufferStorage allocate(std::size_t capacity);

  struct Idle {
    BufferStorage bytes;
    std::size_t capacity;
  };
  static constexpr std::size_t kExactUpTo = 64 * 1024;
  mutable std::mutex mutex_;
  std::vector<Idle> idle_;
  std::size_t idle_bytes_ = 0;
  std::size_t max_idle_bytes_;
};

}  // namespace vmp
