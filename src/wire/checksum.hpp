// Checksums of frames and of a whole stream (XXH3-64, xxHash). A frame's checksum covers its
// header fields as well as its payload, so a frame moved (seq, offset), cut (length) or made
// the last one is caught like damaged bytes. The stream digest chains the frames' checksums
// in sequence order; both ends compute it and compare at the end.
// These are against accidents and careless peers; only a keyed session resists an attacker.
#pragma once

#include <cstdint>
#include <span>

#include "wire/protocol.hpp"

namespace vmp::wire {

// The checksum a data frame carries: header fields (without the checksum field) + payload.
// Always of the raw frame (codec none), whatever the sidechain stage did to it, so the
// receiver checks it on what it will write.
std::uint64_t frame_checksum(const FrameHeader& header, std::span<const std::byte> payload);

// The checksum of a transformed frame as it crossed the wire (FrameHeader::wire_checksum):
// every header field but itself, and the transformed payload.
std::uint64_t wire_checksum(const FrameHeader& header, std::span<const std::byte> wire_payload);

// Running digest of a stream: start at kEmptyDigest, fold in every frame's checksum in order.
inline constexpr std::uint64_t kEmptyDigest = 0;
std::uint64_t fold_digest(std::uint64_t digest, std::uint64_t frame_checksum);

}  // namespace vmp::wire
