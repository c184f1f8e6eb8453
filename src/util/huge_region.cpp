#include "util/huge_region.hpp"

#include <sys/mman.h>

#include <cstdint>
#include <new>

namespace vmp {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
#else
constexpr bool kAddressSanitizer = false;
#endif

}  // namespace

HugeRegion::HugeRegion(std::size_t bytes) : size_((bytes + kHugePage - 1) / kHugePage * kHugePage) {
  // mmap aligns to 4 KiB only: map a huge page more and unmap what lies outside the aligned
  // range (a huge page needs a 2 MiB-aligned 2 MiB of one mapping).
  const std::size_t mapped = size_ + kHugePage;
  void* p = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  auto* raw = static_cast<std::byte*>(p);
  const auto addr = reinterpret_cast<std::uintptr_t>(raw);
  auto* aligned = raw + ((kHugePage - addr % kHugePage) % kHugePage);
  if (aligned > raw) ::munmap(raw, static_cast<std::size_t>(aligned - raw));
  std::byte* tail = aligned + size_;
  if (tail < raw + mapped) ::munmap(tail, static_cast<std::size_t>(raw + mapped - tail));
  data_ = aligned;
  (void)::madvise(data_, size_, MADV_HUGEPAGE);  // EINVAL without THP: ordinary pages then
}

HugeRegion::~HugeRegion() {
  ::munmap(data_, size_);
}

std::optional<std::size_t> HugeRegion::buffers_per_region(std::size_t capacity) {
  // AddressSanitizer checks heap blocks' bounds, not those of buffers carved from one mapping.
  if (kAddressSanitizer || capacity < kHugePage / 4) return std::nullopt;
  const std::size_t region = (capacity + kHugePage - 1) / kHugePage * kHugePage;
  const std::size_t n = region / capacity;
  if (region - n * capacity > region / 8) return std::nullopt;
  return n;
}

}  // namespace vmp
