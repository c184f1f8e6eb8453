// The transmitter engine: stdin -> frames -> legs over links, until the receiver confirms the
// last byte. Owns the I/O thread (Asio), the stdin reader thread, the SendQueue (window and
// resends) and the LinkPlanner (preference, bypass, retry). Implements TransferControl so the
// tuner can read stats and change knobs while it runs.
//
// Threads:
// - the I/O thread (the caller of run(), running io_): every leg coroutine (TxLeg), link
//   probes, the tick loop (outage timeout, hedging, progress line), the signal watch and the
//   cancel on failure. Leg sockets are touched only here.
// - the reader thread (SourceReader): reads stdin into frames and pushes them into queue_
//   (or into stage_, which may seal a keyed frame on this thread, see
//   TxStage::Options::seal_on_reader); blocks in SendQueue::wait_for_room() while the window is
//   full.
// - with a sidechain, its worker threads (stage_): transform frames, push them into queue_.
// - the tuner thread (if tuning): knobs(), apply(), snapshot(), publish().
// - metrics threads (exporter, SIGUSR1 JSON): snapshot() only.
// Who owns what: the Transmitter owns the legs (legs_, created and retired on the I/O thread
// under mutex_), the queue owns unconfirmed frames, each TxLeg owns its connection.
// Lock order: mutex_ before a TxLeg's or the SendQueue's own mutex; those two, the BufferPool's
// and the Outcome's are leaves (nothing else is locked or called back while they are held).
// The stage's lock is taken before the SendQueue's (it emits frames under it) and never with
// mutex_ held, nor mutex_ with it (snapshot() reads the stage before taking mutex_).
// finish() may be called from any thread and takes no lock of ours.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine_hooks.hpp"
#include "sidechain/compress_feedback.hpp"
#include "transfer_control.hpp"
#include "tx/link_planner.hpp"
#include "tx/rate_limiter.hpp"
#include "tx/send_queue.hpp"
#include "tx/source_reader.hpp"
#include "tx/tx_config.hpp"
#include "tx/tx_leg.hpp"
#include "tx/tx_leg_host.hpp"
#include "util/buffer_pool.hpp"
#include "util/exit_code.hpp"
#include "util/logger.hpp"
#include "util/outcome.hpp"
#include "util/socket_tuning.hpp"
#include "util/stop_event.hpp"
#include "util/wakeup.hpp"

namespace vmp {

// Legs reach the transfer only through TxLegHost (private: nobody else needs those calls).
class Transmitter final : public TransferControl, private TxLegHost {
 public:
  Transmitter(TxConfig cfg, Logger& log, EngineHooks hooks = {});
  ~Transmitter() override;

  // Sends everything readable from in_fd; returns when the receiver confirmed the last byte
  // (ExitCode::ok) or the transfer failed (message() says why).
  ExitCode run(int in_fd);
  std::string message() const;
  // Ends the transfer from outside, from any thread (the other direction of a tunnel failed),
  // as a signal would: the receiver is told, run() returns `code`.
  void stop(ExitCode code, std::string why) { finish(code, std::move(why)); }

  Knobs knobs() const override;
  void apply(const Knobs& knobs) override;
  Stats snapshot() const override;
  void publish(const TuningReport& report) override;

 private:
  // TxLegHost: called by legs (I/O thread).
  bool finished() const override { return outcome_.decided(); }
  bool slot_wanted(std::uint32_t slot) const override;
  std::optional<std::size_t> link_for(std::uint32_t slot) const override;
  std::string link_label(std::size_t link) const override { return target(link).label(); }
  asio::awaitable<DialResult> dial(std::size_t link, std::uint32_t slot) override;
  SocketTuning socket_tuning() const override;
  void link_up(std::size_t link) override;
  void link_failed(std::size_t link, const std::string& why, bool unresolvable) override;
  // Remembers the first receiver id; a later leg that reaches a different receiver process
  // ends the transfer.
  bool same_receiver(std::uint64_t receiver_id, std::size_t link) override;
  SendQueue& queue() override { return queue_; }
  // Set when the transfer ended on our side: legs send this frame (a cancel, or the end frame
  // that confirms a complete stream) before closing.
  std::optional<wire::FrameHeader> closing_frame() const override;
  void cancel_sent() override { cancel_progress_.notify(); }
  bool chaos_strikes() override;
  void sent(std::size_t link, std::uint32_t payload_bytes) override {
    link_bytes_[link] += payload_bytes;
  }
  LinkPacer pacer(std::size_t link) override { return {limiter_, link}; }
  void on_ack(std::uint64_t next_seq, std::uint64_t bytes) override;
  // The receiver says it wrote the whole stream: finish 0 when that is what we read (the
  // legs then send our own count in an end frame), 8 otherwise.
  void on_complete(const wire::StreamCount& written) override;
  // The receiver holds at most this much for reordering: our window stays within it.
  void set_receiver_window(std::uint64_t bytes) override;
  // Any thread; the first call wins (and returns true).
  bool finish(ExitCode code, std::string message) override;
  const Logger& log() const override { return log_; }
  void auth_failed(const std::string& what) override;
  std::uint64_t digest_mask() const override {
    return frame_keys_ ? frame_keys_->digest_mask() : 0;
  }
  bool receiver_proven() const override { return receiver_id_.load() != 0; }

  const Target& target(std::size_t link) const { return cfg_.targets[link]; }
  wire::Hello hello_for(std::uint32_t leg) const;
  // The window knob within what the receiver allows.
  std::uint64_t effective_window(std::uint64_t knob) const;
  // The next frame's size: the knob, smaller when the legs are slow (mutex_ held).
  std::uint32_t frame_size_locked() const;
  // The window the reader may fill now: what the legs deliver in a couple of seconds, within
  // effective_window() (mutex_ held).
  std::uint64_t window_locked() const;
  void update_window();
  // co_spawn completion: an escaped exception finishes the transfer with ExitCode::internal.
  std::function<void(std::exception_ptr)> on_throw(std::string what);
  asio::awaitable<void> cancel_and_stop();
  void stop_now();      // I/O thread: reset every leg and stop
  void reshape_legs();  // spawn / drain legs to match the plan
  asio::awaitable<void> tick_loop();
  asio::awaitable<void> probe(std::size_t link);
  void report_stuck_head();   // I/O thread
  void hedge_stuck_frames();  // I/O thread
  // I/O thread, every tick: marks stalled legs in the send queue, resets the ones the plan
  // moved, copies their frames to the other legs.
  void tend_stalled_legs();
  // Under mutex_: the stalled legs (by slot), also told to the send queue.
  struct StalledLegs {
    std::vector<bool> stalled;
    bool any_stalled = false;
    bool any_moving = false;  // an up leg that is not stalled
  };
  StalledLegs mark_stalled_legs_locked();
  void reset_moved_stalled_legs_locked(const std::vector<bool>& stalled);
  void hedge_stalled_frames_locked(const std::vector<bool>& stalled);
  void print_progress(bool final_line);
  void start_sidechain();
  // Under mutex_, before the compress knob changes: the frames it will transform start here.
  void note_compress_change();

  TxConfig cfg_;
  Logger& log_;
  EngineHooks hooks_;
  const std::uint64_t session_;
  // --key-file: every leg's part in the proofs, and the keys that seal the frames.
  const std::optional<DialKey> dial_key_;
  const std::shared_ptr<const crypto::FrameKeys> frame_keys_;
  std::atomic<std::uint64_t> auth_failures_{0};
  const std::chrono::steady_clock::time_point start_;
  BufferPool pool_;
  SendQueue queue_;
  RateLimiter limiter_;  // --rate-limit, --link-rates; thread-safe
  StopEvent reader_stop_;
  std::unique_ptr<SourceReader> reader_;
  // Compresses or filters frames between reader_ and queue_ (absent on the plain path). Set
  // before the reader starts; run() joins its workers before it returns, while everything
  // they call exists.
  std::unique_ptr<sidechain::TxStage> stage_;
  // --compress auto; tick loop only. With the tuner it runs until the tuner's first apply()
  // (tuner_moved_knobs_), which starts its search from the codec the feedback reached.
  std::optional<sidechain::CompressFeedback> feedback_;

  mutable std::mutex mutex_;  // guards the fields up to the blank line below
  Knobs knobs_;
  bool tuner_moved_knobs_ = false;  // apply() was called: the codec is the tuner's
  LinkPlanner planner_;
  // Shared with each leg's coroutine, which keeps its leg alive until it is destroyed.
  std::vector<std::shared_ptr<TxLeg>> legs_;
  std::vector<bool> unresolvable_;
  std::optional<TuningReport> last_tuning_;
  // The tick's measure of what all legs deliver (tcp_acked_bytes per second, smoothed).
  double delivery_rate_ = 0;
  std::uint64_t acked_at_tick_ = 0;
  std::chrono::steady_clock::time_point last_tick_ = std::chrono::steady_clock::now();
  std::uint64_t tuning_generations_ = 0;
  // The first frame the compress knob in force transforms (SidechainStats::setting_first_seq).
  std::uint64_t compress_first_seq_ = 0;

  // Payload bytes sent per link, whichever leg carried them (legs move between links).
  std::unique_ptr<std::atomic<std::uint64_t>[]> link_bytes_;
  Outcome outcome_;
  std::atomic<std::uint64_t> acked_bytes_{0};
  std::atomic<wire::CancelReason> cancel_reason_{wire::CancelReason::none};
  std::atomic<bool> end_confirmed_{false};  // end_count_ is set and the legs may send it
  wire::StreamCount end_count_{};
  std::atomic<std::uint64_t> receiver_window_{0};  // 0: not told yet
  std::atomic<std::uint64_t> expected_bytes_{0};   // set in run(); the metrics thread reads it
  std::atomic<std::uint64_t> receiver_id_{0};      // 0 until the first leg is accepted
  std::atomic<std::uint64_t> acked_frames_{0};
  std::uint64_t frames_sent_ = 0;  // I/O thread only (chaos counter)
  std::chrono::steady_clock::time_point last_leg_up_;
  bool outage_reported_ = false;
  std::optional<std::uint64_t> stuck_reported_;  // I/O thread: last head frame logged as stuck

  // Last, so destroyed first: destroying the io_context destroys the coroutine frames still
  // suspended in it (legs mid-frame), which hold frames whose buffers go back to pool_ and
  // the legs themselves; everything above must still exist then. ~Transmitter lets go of
  // legs_ first, while io_ lives.
  asio::io_context io_;
  Wakeup cancel_progress_{io_.get_executor()};  // a leg sent its closing frame
};

}  // namespace vmp
