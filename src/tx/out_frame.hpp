// A data frame on the transmitter: read once from stdin, kept until the receiver confirms it
// was written, possibly sent several times (on different legs) in between.
#pragma once

#include <cstdint>
#include <memory>

#include "util/buffer_pool.hpp"
#include "wire/protocol.hpp"

namespace vmp {

struct OutFrame {
  wire::FrameHeader header;  // seq, offset, length, flags, checksum
  Buffer payload;            // header.length valid bytes
};
using OutFramePtr = std::shared_ptr<const OutFrame>;

}  // namespace vmp
