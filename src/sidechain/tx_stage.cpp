#include "sidechain/tx_stage.hpp"

#include <algorithm>
#include <chrono>

#include "sidechain/frame_transform.hpp"

namespace vmp::sidechain {

TxStage::TxStage(Options opts, BufferPool& pool)
    : opts_(std::move(opts)),
      pool_(pool),
      capacity_(2 * std::size_t{opts_.threads}),
      workers_(opts_.threads, pool) {}

bool TxStage::submit(std::shared_ptr<OutFrame> frame) {
  // Read before our lock: the knob's owner takes its own lock, and holds it while it reads
  // our counters (snapshots); taking them in the other order here could deadlock.
  const std::size_t active = std::max<std::uint32_t>(1, opts_.workers_now());
  {
    std::unique_lock lock(mutex_);
    if (first_) {
      next_emit_ = frame->header.seq;
      first_ = false;
    }
    const auto start = std::chrono::steady_clock::now();
    room_.wait(lock, [&] { return stopped_ || (held_ < capacity_ && running_ < active); });
    stall_ns_.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count(),
                        std::memory_order_relaxed);
    if (stopped_) return false;
    ++held_;
    ++running_;
  }
  const auto how = opts_.compression();
  next_seq_.store(frame->header.seq + 1, std::memory_order_release);
  if (opts_.seal_on_reader && opts_.keys && how.codec == wire::Codec::none &&
      opts_.filter.command.empty()) {
    const auto start = std::chrono::steady_clock::now();
    std::optional<std::string> error;
    try {
      seal_frame(*opts_.keys, *frame);
    } catch (const std::exception& e) {
      error = std::string("sidechain: ") + e.what();
    }
    inline_busy_ns_.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::steady_clock::now() - start)
                                  .count(),
                              std::memory_order_relaxed);
    // In order: frames before it may still be in the pool.
    done(std::move(frame), std::move(error));
    return true;
  }
  workers_.post([this, how, frame = std::move(frame)](FrameCodec& codec) mutable {
    // A job must not throw (it would end the worker thread): every failure ends the transfer.
    try {
      std::optional<std::string> error;
      try {
        if (opts_.probe_codecs && probe_.due(std::chrono::steady_clock::now())) {
          probe_.sample(codec, {frame->payload.data(), frame->header.length});
        }
        error = encode_frame(codec, how, opts_.filter, opts_.keys.get(), *frame, pool_);
      } catch (const std::exception& e) {
        error = std::string("sidechain: ") + e.what();  // e.g. bad_alloc
      }
      done(std::move(frame), std::move(error));
    } catch (const std::exception& e) {
      stop();
      opts_.fail(std::string("sidechain: ") + e.what());
    }
  });
  return true;
}

void TxStage::stop() {
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
  }
  room_.notify_all();
}

std::size_t TxStage::held() const {
  std::lock_guard lock(mutex_);
  return held_;
}

void TxStage::done(std::shared_ptr<OutFrame> frame, std::optional<std::string> error) {
  {
    std::lock_guard lock(mutex_);
    --running_;
  }
  room_.notify_all();
  if (error) {
    bool first_failure = false;
    {
      std::lock_guard lock(mutex_);
      first_failure = !stopped_;
      stopped_ = true;
    }
    room_.notify_all();
    if (first_failure) opts_.fail(std::move(*error));
    return;
  }
  std::lock_guard lock(mutex_);
  if (stopped_) return;
  finished_.emplace(frame->header.seq, std::move(frame));
  // Emitting under the lock keeps the order; emit() only queues the frame.
  std::size_t emitted = 0;
  for (auto it = finished_.begin(); it != finished_.end() && it->first == next_emit_;
       it = finished_.erase(it)) {
    const auto& h = it->second->header;
    tally_.add(h.codec, h.length, h.payload_on_wire());
    opts_.emit(std::move(it->second));
    ++next_emit_;
    ++emitted;
  }
  held_ -= emitted;
  if (emitted > 0) room_.notify_all();
}

}  // namespace vmp::sidechain
