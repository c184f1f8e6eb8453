#include "util/buffer_pool.hpp"

#include <bit>

namespace vmp {

Buffer& Buffer::operator=(Buffer&& other) noexcept {
  if (this != &other) {
    release();
    bytes_ = std::move(other.bytes_);
    capacity_ = other.capacity_;
    pool_ = other.pool_;
    other.capacity_ = 0;
    other.pool_ = nullptr;
  }
  return *this;
}

Buffer::~Buffer() {
  release();
}

void Buffer::release() {
  if (bytes_.data && pool_) pool_->put(std::move(bytes_), capacity_);
  bytes_ = {};
  capacity_ = 0;
}

std::size_t BufferPool::size_class(std::size_t capacity) {
  if (capacity <= kExactUpTo) return capacity;
  const std::size_t octave = std::bit_floor(capacity);
  const std::size_t step = octave / 4;
  return (capacity + step - 1) / step * step;
}

Buffer BufferPool::get(std::size_t capacity) {
  capacity = size_class(capacity);
  {
    std::lock_guard lock(mutex_);
    for (auto it = idle_.rbegin(); it != idle_.rend(); ++it) {
      if (it->capacity == capacity) {
        Buffer b(std::move(it->bytes), capacity, this);
        idle_bytes_ -= capacity;
        idle_.erase(std::next(it).base());
        return b;
      }
    }
  }
  return Buffer(allocate(capacity), capacity, this);
}

BufferStorage BufferPool::allocate(std::size_t capacity) {
  const auto per_region = HugeRegion::buffers_per_region(capacity);
  if (!per_region) {
    auto heap = std::make_unique_for_overwrite<std::byte[]>(capacity);
    auto* data = heap.get();
    return {std::move(heap), nullptr, data};
  }
  auto region = std::make_shared<const HugeRegion>(*per_region * capacity);
  for (std::size_t i = 1; i < *per_region; ++i)
    put({nullptr, region, region->data() + i * capacity}, capacity);
  return {nullptr, region, region->data()};
}

void BufferPool::put(BufferStorage bytes, std::size_t capacity) {
  std::lock_guard lock(mutex_);
  if (idle_bytes_ + capacity > max_idle_bytes_) return;  // freed here, outside the budget
  idle_.push_back({std::move(bytes), capacity});
  idle_bytes_ += capacity;
}

void BufferPool::set_max_idle_bytes(std::size_t bytes) {
  std::lock_guard lock(mutex_);
  max_idle_bytes_ = bytes;
  while (idle_bytes_ > max_idle_bytes_ && !idle_.empty()) {
    idle_bytes_ -= idle_.front().capacity;
    idle_.erase(idle_.begin());
  }
}

std::size_t BufferPool::idle_bytes() const {
  std::lock_guard lock(mutex_);
  return idle_bytes_;
}

}  // namespace vmp
