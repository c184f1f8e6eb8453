// The dedicated stdin reader: fills frames of the current frame-size knob, waits for window
// room before each, and pushes them to the SendQueue. Runs on its own thread so a slow disk
// or producer never stalls the sockets. A partially filled frame is sent once the producer
// pauses (no data for flush_after), so an interactive or slow source is not held back; in
// charmode (flush_after 0) whatever one read() returns goes out at once.
// The original's `leglimit` and `delayus` live here too: the stream ends after limit_bytes
// (whatever stdin still holds stays unread), and the reader sleeps delay_per_chunk at every
// kChunkBytes boundary of the stream.
// When stdin is a regular file, frames are not read at all: they name a span of the file and
// the legs send it with sendfile(2) (zero-copy). The file's reported size decides how far that
// goes; past it, ordinary reads take over, so a file that grows or lies about its size
// (procfs) is still carried to its real end.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>

#include "sidechain/tx_stage.hpp"
#include "tx/send_queue.hpp"
#include "util/buffer_pool.hpp"
#include "util/stop_event.hpp"

namespace vmp {

class SourceReader {
 public:
  struct Options {
    int fd = 0;
    bool checksums = false;  // frames are hashed, so they are read (never zero-copy)
    bool zero_copy = true;   // send a regular file's bytes with sendfile
    std::function<std::uint32_t()> frame_bytes;  // read for every frame (knob may change)
    std::optional<std::uint64_t> expect_bytes;   // stdin must be exactly this long
    // Frames go through the sidechain stage (compress, filter) on their way to the queue;
    // they are read into memory then, never zero-copy.
    sidechain::TxStage* stage = nullptr;
    std::chrono::milliseconds flush_after{5};  // a partly filled frame waits this long for more
    std::optional<std::uint64_t> limit_bytes;  // end the stream after this many bytes
    std::chrono::microseconds delay_per_chunk{0};
  };
  // The original's unit for leglimit and delayus.
  static constexpr std::uint64_t kChunkBytes = 2 * 1024 * 1024;
  struct Result {
    bool ok = true;
    std::string error;  // "reading stdin: Input/output error"
  };

  SourceReader(Options opts, SendQueue& queue, BufferPool& pool, const StopEvent& stop)
      : opts_(std::move(opts)), queue_(queue), pool_(pool), stop_(stop) {}

  // Reads to EOF (the last frame carries FrameFlag::last) or until stopped.
  Result run();

  std::uint64_t bytes_read() const { return bytes_.load(std::memory_order_relaxed); }
  // The whole stream as read, once the frame flagged last was queued (nullopt before): what
  // the receiver's completion must match.
  std::optional<wire::StreamCount> final_count() const;
  std::uint64_t frames() const { return frames_.load(std::memory_order_relaxed); }
  double stall_seconds() const { return stall_ns_.load(std::memory_order_relaxed) / 1e9; }

 private:
  enum class Wait { ready, timeout, stopped, error };
  Wait wait_readable(int timeout_ms);
  // delayus: sleeps for every chunk boundary between the two stream offsets. False: stopped.
  bool pause_for_chunks(std::uint64_t from, std::uint64_t to);
  // Fills frame->payload from read(); sets eof at end of input. Empty optional: stopped.
  std::optional<Result> fill_buffered(OutFrame& frame, std::uint32_t frame_bytes, bool& eof);
  // Bytes of stdin's file past file_pos_ by its reported size (0: its end); an error when
  // the size cannot be read or the file shrank below what earlier frames refer to.
  std::variant<std::uint64_t, Result> file_bytes_left() const;

  Options opts_;
  SendQueue& queue_;
  BufferPool& pool_;
  const StopEvent& stop_;
  std::atomic<std::uint64_t> bytes_{0};
  std::atomic<std::uint64_t> frames_{0};
  std::atomic<std::int64_t> stall_ns_{0};
  std::uint64_t digest_ = 0;  // reader thread; published through ended_
  wire::StreamCount final_{};
  std::atomic<bool> ended_{false};
  std::optional<std::uint64_t> file_pos_;  // set while frames are sent from the file
};

}  // namespace vmp
