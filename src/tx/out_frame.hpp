// A data frame on the transmitter: read once from stdin, kept until the receiver confirms it
// was written, possibly sent several times (on different legs) in between.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>

#include "util/buffer_pool.hpp"
#include "wire/protocol.hpp"

namespace vmp {

// Where a frame's bytes live when stdin is a regular file: they are never copied into our
// memory but sent straight from the page cache with sendfile(2), and re-read from the same
// place when the frame has to be resent.
struct FileSpan {
  int fd = -1;               // stdin; owned by the caller of Transmitter::run
  std::uint64_t offset = 0;  // absolute file offset of the first payload byte
};

struct OutFrame {
  wire::FrameHeader header;      // seq, offset, length, flags, checksum
  Buffer payload;                // header.length valid bytes, unless `file` is set
  std::optional<FileSpan> file;  // zero-copy frame: payload stays in the file
  // A sealed frame (keyed session): the payload is ciphertext, sealed in place, and its tag
  // follows it on the wire from here.
  std::array<std::byte, wire::kTagSize> tag{};
};
using OutFramePtr = std::shared_ptr<const OutFrame>;

}  // namespace vmp
