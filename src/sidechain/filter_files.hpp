// The two files in memory (memfd) that a worker's filter processes read from and write to,
// kept from frame to frame. A fresh pair for every frame cost a page allocation, zeroed by the
// kernel, for every byte into and out of the filter, on both ends (512 MB of a tar through
// `gzip -1` / `gzip -dc` on loopback, 8 interleaved rounds, medians: 87.8 -> 90.2 MB/s,
// 22.2 -> 21.7 CPU-s/GB when kept). Kept, their pages stay allocated: at most one frame in
// and one frame plus the overrun room out, per worker.
//
// One filter at a time: a FilterFiles belongs to one worker (see FrameCodec). Each file is
// made on first use, so a worker that never filters makes none. A filter's process group is
// killed before its call returns; a descendant that left the group (setsid) and still writes
// to its stdout would write into a later frame's output, which the raw frame's checksum, kept
// by every filtered frame, then refuses (exit 9), as it refuses any other wrong output.
#pragma once

#include <cstddef>
#include <optional>
#include <span>

#include "util/unique_fd.hpp"

namespace vmp::sidechain {

// The file a filter's stdout goes to: a memfd of max_output + 1 + kFilterOverrunRoom bytes
// that cannot grow (sealed), so however much a filter (or a decompression bomb through
// `gzip -dc`) writes, the file never holds more; its size is a hole until written, so the
// room costs no memory. The room lets a filter that writes too much pass the limit (and be
// told so) before its writes start failing. nullopt with `err` set when the kernel refuses.
inline constexpr std::size_t kFilterOverrunRoom = 4 * 1024 * 1024;
std::optional<UniqueFd> make_output_file(std::size_t max_output, int& err);

class FilterFiles {
 public:
  // Output of up to max_output bytes fits (plus kFilterOverrunRoom, see make_output_file).
  explicit FilterFiles(std::size_t max_output) : max_output_(max_output) {}

  // The input file holding exactly `bytes` (written from the start, cut to their length), at
  // offset 0; a descriptor of its own (above 2) that shares the file's offset, so the filter's
  // reading shows there. nullopt with err set when the kernel refuses.
  std::optional<UniqueFd> input(std::span<const std::byte> bytes, int& err);
  // The output file at offset 0, likewise: what the next filter writes goes over whatever an
  // earlier one left, and where the offset ends says how much it wrote. Bytes beyond that are
  // stale and never read.
  std::optional<UniqueFd> output(int& err);

  std::size_t max_output() const { return max_output_; }

 private:
  std::size_t max_output_;
  std::optional<UniqueFd> in_;
  std::optional<UniqueFd> out_;
};

}  // namespace vmp::sidechain
