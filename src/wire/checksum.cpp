#include "wire/checksum.hpp"

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack
#include <xxhash.h>

#include <array>

#include "wire/byte_order.hpp"

namespace vmp::wire {
namespace {

std::uint64_t hash_of(const FrameHeader& fields, std::span<const std::byte> payload) {
  const auto head = fields.encode();
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  XXH3_64bits_update(&state, head.data(), head.size());
  XXH3_64bits_update(&state, payload.data(), payload.size());
  return XXH3_64bits_digest(&state);
}

}  // namespace

std::uint64_t frame_checksum(const FrameHeader& header, std::span<const std::byte> payload) {
  // The raw frame as it was read: the same before and after the sidechain stage (which may
  // compress, filter or seal it).
  FrameHeader fields = header;
  fields.checksum = 0;
  fields.codec = Codec::none;
  fields.wire_checksum = 0;
  fields.flags &= static_cast<std::uint8_t>(~static_cast<unsigned>(FrameFlag::sealed));
  return hash_of(fields, payload);
}

std::uint64_t wire_checksum(const FrameHeader& header, std::span<const std::byte> wire_payload) {
  FrameHeader fields = header;
  fields.wire_checksum = 0;
  return hash_of(fields, wire_payload);
}

std::uint64_t fold_digest(std::uint64_t digest, std::uint64_t frame_checksum) {
  std::array<std::byte, 8> bytes{};
  put_be<std::uint64_t>(bytes, 0, frame_checksum);
  return XXH3_64bits_withSeed(bytes.data(), bytes.size(), digest);
}

}  // namespace vmp::wire
