// The transmitter's sidechain stage: frames from the stdin reader are compressed or filtered on
// the worker pool, several at once, and reach the send queue in sequence order (a frame that
// finishes early waits for the ones before it). What the stage holds is bounded: the reader
// blocks in submit() while 2 x threads frames are in it, on top of the send queue's window.
// The sidechain-workers knob (read per frame, so the tuner can move it) caps how many of the
// pool's threads transform at once.
// A resend sends the transformed bytes kept in the frame, so every copy is the same.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "sidechain/codec_probe.hpp"
#include "sidechain/codec_tally.hpp"
#include "sidechain/frame_codec.hpp"
#include "sidechain/frame_transform.hpp"
#include "sidechain/worker_pool.hpp"
#include "tx/out_frame.hpp"

namespace vmp::sidechain {

class TxStage {
 public:
  struct Options {
    std::uint32_t threads = 1;  // the pool's size
    // The knob: at most this many at once. Called without the stage's lock held.
    std::function<std::uint32_t()> workers_now;
    FilterCommand filter;  // --filter, or none
    // A keyed session: every frame is sealed after it is transformed.
    std::shared_ptr<const crypto::FrameKeys> keys;
    // Read for every frame: --compress (or what `auto` chose last).
    std::function<Compression()> compression;
    // --compress auto with the tuner: sample the stream with every codec (CodecProbe).
    bool probe_codecs = false;
    // A keyed session with nothing to compress or filter: the reader seals each frame itself
    // in submit(), right after reading it. The frame is still in that core's cache, and a
    // hand-off to a worker cost a wake-up and a trip to another core: on loopback, both ends
    // on 2 cores, 2 GB keyed 1154 -> 1287 MB/s, 1.68 -> 1.49 CPU-s/GB (7 rounds each). One
    // core seals at ~5 GB/s (AES-256-GCM), about twice what a pipe reader copies in, so the
    // reader stays ahead of all but the fastest links; --sidechain-workers N brings the pool
    // back.
    bool seal_on_reader = false;
    std::function<void(std::shared_ptr<OutFrame>)> emit;  // in sequence order
    std::function<void(std::string)> fail;                // a filter failed (once)
  };
  TxStage(Options opts, BufferPool& pool);

  // Reader thread. Blocks while the stage is full; false once stop() was called or a frame
  // failed (nothing more is emitted then). With seal_on_reader a frame to be sealed only is
  // sealed and emitted before this returns.
  bool submit(std::shared_ptr<OutFrame> frame);
  void stop();
  // After stop(): waits until no worker runs (nothing is emitted or reported after it).
  void join() { workers_.join(); }

  std::vector<CodecStats> counts() const { return tally_.snapshot(); }
  // With probe_codecs: every codec's sizes on the same samples (empty before the first).
  std::vector<CodecStats> probe() const { return probe_.snapshot(); }
  std::uint32_t workers() const { return workers_.workers(); }
  double busy_seconds() const {
    return workers_.busy_seconds() + inline_busy_ns_.load(std::memory_order_relaxed) / 1e9;
  }
  // Frames in the stage now (being transformed or waiting for an earlier one).
  std::size_t held() const;
  // Frames from this sequence on take the compression setting after now (a frame reads it
  // when it enters the stage).
  std::uint64_t next_seq() const { return next_seq_.load(std::memory_order_acquire); }
  // Seconds the reader waited for room in the stage: the sidechain was the bottleneck.
  double stall_seconds() const { return stall_ns_.load(std::memory_order_relaxed) / 1e9; }

 private:
  void done(std::shared_ptr<OutFrame> frame, std::optional<std::string> error);

  Options opts_;
  BufferPool& pool_;
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable room_;
  std::size_t held_ = 0;     // submitted, not yet emitted
  std::size_t running_ = 0;  // submitted, not yet transformed
  std::uint64_t next_emit_ = 0;
  bool first_ = true;  // next_emit_ is set from the first frame's seq
  std::map<std::uint64_t, std::shared_ptr<OutFrame>> finished_;  // done, waiting for earlier ones
  bool stopped_ = false;
  CodecTally tally_;
  CodecProbe probe_;
  std::atomic<std::int64_t> stall_ns_{0};
  std::atomic<std::int64_t> inline_busy_ns_{0};  // sealing on the reader (seal_on_reader)
  std::atomic<std::uint64_t> next_seq_{0};
  WorkerPool workers_;  // last: its threads call done() until it is destroyed
};

}  // namespace vmp::sidechain
