// Recycles large payload buffers. A fresh 1 MiB allocation is an mmap plus 256 page faults;
// reusing buffers keeps the hot path free of both and keeps RSS flat at the window size.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

namespace vmp {

class BufferPool;

// An owned, uninitialised byte buffer that returns to its pool when destroyed.
class Buffer {
 public:
  Buffer() = default;
  Buffer(Buffer&&) noexcept = default;
  Buffer& operator=(Buffer&& other) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer();

  std::byte* data() { return bytes_.get(); }
  const std::byte* data() const { return bytes_.get(); }
  std::size_t capacity() const { return capacity_; }
  std::span<std::byte> span() { return {bytes_.get(), capacity_}; }

 private:
  friend class BufferPool;
  Buffer(std::unique_ptr<std::byte[]> bytes, std::size_t capacity, BufferPool* pool)
      : bytes_(std::move(bytes)), capacity_(capacity), pool_(pool) {}
  void release();

  std::unique_ptr<std::byte[]> bytes_;
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
  void set_max_idle_bytes(std::size_t bytes);
  std::size_t idle_bytes() const;

 private:
  friend class Buffer;
  void put(std::unique_ptr<std::byte[]> bytes, std::size_t capacity);

  struct Idle {
    std::unique_ptr<std::byte[]> bytes;
    std::size_t capacity;
  };
  static constexpr std::size_t kExactUpTo = 64 * 1024;
  mutable std::mutex mutex_;
  std::vector<Idle> idle_;
  std::size_t idle_bytes_ = 0;
  std::size_t max_idle_bytes_;
};

}  // namespace vmp
