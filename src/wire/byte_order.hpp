// Explicit big-endian (network order) field access. The wire never sees a raw struct: every
// field is written and read through these helpers at a fixed offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace vmp::wire {

template <typename T>
void put_be(std::span<std::byte> out, std::size_t at, T value) {
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    out[at + i] = static_cast<std::byte>((value >> (8 * (sizeof(T) - 1 - i))) & 0xFF);
  }
}

template <typename T>
T get_be(std::span<const std::byte> in, std::size_t at) {
  T value = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    value =
        static_cast<T>((value << 8) | static_cast<T>(std::to_integer<std::uint8_t>(in[at + i])));
  }
  return value;
}

}  // namespace vmp::wire
