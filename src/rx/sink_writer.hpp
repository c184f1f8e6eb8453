// The dedicated stdout writer: takes frames in order from the Reassembler and writes them
// with plain write(2), or splice(2) for the part of a frame that waits in a pipe (no
// user-space buffering either way, so "written" means handed to the kernel). After
// the last frame, a regular-file stdout is fdatasync'ed before completion is reported, so
// "the transmitter exited 0" means the bytes are on disk.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "rx/reassembler.hpp"

namespace vmp {

class SinkWriter {
 public:
  struct Progress {
    std::uint64_t next_seq;  // every frame below is written
    std::uint64_t bytes;
    bool complete;
    std::uint64_t digest = 0;  // fold_digest() over the checksums of the frames written
  };
  struct Callbacks {
    std::function<void(const Progress&)> on_progress;  // after each write; any thread
    std::function<void(const std::string&)> on_error;  // "writing stdout: Broken pipe"
    // Optional: after the last frame, before completion is reported, waits until whoever
    // reads our fd has dealt with all `bytes` (the prbs checker); non-empty = it failed.
    std::function<std::string(std::uint64_t bytes)> settle;
  };

  // `name` says what fd is in error lines ("writing stdout: Broken pipe").
  SinkWriter(int fd, Reassembler& frames, Callbacks cb, std::string name = "stdout")
      : fd_(fd), frames_(frames), cb_(std::move(cb)), name_(std::move(name)) {}

  void run();  // until the last frame, an error, or the reassembler is closed

  // Whether stdout takes spliced pages: a pipe, a socket, a regular file not in append mode
  // (splice refuses O_APPEND) or /dev/null. Frames go to pipes only then.
  static bool accepts_splice(int fd);

  std::uint64_t bytes_written() const { return bytes_.load(std::memory_order_relaxed); }
  double stall_seconds() const { return stall_ns_.load(std::memory_order_relaxed) / 1e9; }

 private:
  bool write_frame(InFrame& frame);
  bool write_all(const std::byte* data, std::size_t len);
  bool splice_all(Pipe& pipe);
  bool copy_out(Pipe& pipe);  // when splice turns out unsupported after all

  int fd_;
  Reassembler& frames_;
  Callbacks cb_;
  std::string name_;
  std::atomic<std::uint64_t> bytes_{0};
  std::atomic<std::int64_t> stall_ns_{0};
  bool splice_works_ = true;
  std::uint64_t digest_ = 0;  // writer thread only
};

}  // namespace vmp
