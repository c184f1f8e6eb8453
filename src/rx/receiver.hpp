// The receiver engine: listens, admits legs of exactly one session (checkphrase, version and
// session id checked on every connection; anything else is answered with its reason only,
// counted, logged in summary and closed without touching the transfer), reorders frames and
// writes stdout through a dedicated writer, acknowledging what is written. Exits 0 when the
// stream is complete and flushed and the transmitter's end frame agrees with what was written;
// otherwise when stdout fails (telling the transmitter), when frames contradict each other or
// the counts differ (exit 8), or when the transmitter has been gone for longer than the
// outage timeout it announced (capped by our own --outage-timeout).
//
// What a stranger can cost it: connections in their handshake are capped in total and per
// address and time out after cfg.handshake_timeout; reordering holds at most the window; a
// session that has not delivered a single frame can be taken over by a new one, so a lone
// Hello cannot claim an idle receiver.
//
// Threads:
// - I/O threads (the caller of run() plus up to three helpers, all running io_): the accept
//   loop, one admit()/RxLeg coroutine per connection on its own strand, the tick loop
//   (outage, linger, progress) and the signal watch.
// - the writer thread (SinkWriter): takes frames in order from the Reassembler, writes stdout
//   and reports progress/errors through on_writer_progress() / on_writer_error().
// - metrics threads (exporter, SIGUSR1 JSON): snapshot() only.
// Who owns what: the Receiver owns the session, the list of live legs and the totals (all
// under mutex_); each RxLeg owns its socket; the Reassembler owns frames not yet written.
// Lock order: mutex_ before an RxLeg's mutex; the Reassembler's, the BufferPool's, the
// PipePool's, the RejectLog's, the HandshakeGate's and the Outcome's mutexes are leaves.
// finish() may be called from any thread. Teardown: io_ is destroyed first (see there).
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <atomic>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "crypto/frame_keys.hpp"
#include "engine_hooks.hpp"
#include "rx/handshake_gate.hpp"
#include "rx/reassembler.hpp"
#include "rx/reject_log.hpp"
#include "rx/rx_config.hpp"
#include "rx/rx_leg.hpp"
#include "rx/sink_writer.hpp"
#include "sidechain/codec_tally.hpp"
#include "sidechain/worker_pool.hpp"
#include "stats.hpp"
#include "util/buffer_pool.hpp"
#include "util/exit_code.hpp"
#include "util/logger.hpp"
#include "util/outcome.hpp"
#include "util/pipe_pool.hpp"

namespace vmp {

class Receiver final : public StatsSource {
 public:
  // Binds and listens at once; throws std::runtime_error ("cannot listen on port 8834:
  // Address already in use") so the caller can report it before anything else happens.
  Receiver(RxConfig cfg, Logger& log, EngineHooks hooks = {});
  ~Receiver() override;

  std::uint16_t port() const { return port_; }
  ExitCode run(int out_fd);
  std::string message() const;
  // Ends the transfer from outside, from any thread (the prbs check found a wrong byte; the
  // other direction of a tunnel failed): the transmitter is told `reason`, run() returns
  // `exit` and message() says `why`.
  void stop(wire::AbortCode reason, ExitCode exit, std::string why);
  Stats snapshot() const override;

 private:
  friend class RxLeg;

  struct Abort {
    wire::AbortCode code;
    ExitCode exit;
    std::string message;
  };

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> admit(asio::ip::tcp::socket socket, HandshakeGate::Pass pass);
  asio::awaitable<void> tick_loop();
  void report_gap();  // I/O thread (tick)
  void reject(const asio::ip::tcp::socket& socket, const std::string& why);
  void reject(const std::string& address, const std::string& peer, const std::string& why);
  // Keyed: a proof, frame or control message failed authentication (counted).
  void on_auth_failure();
  // A leg's frame passed its checks: counted, and true, when the leg belongs to the session
  // being served (`generation` is the session's the leg was admitted for; a session that
  // delivered nothing may have been taken over since).
  bool on_frame(const std::string& link, const wire::FrameHeader& header, std::uint64_t generation);
  bool same_session(std::uint64_t generation) const;
  // The --unfilter failed on a frame, or did not give back what the transmitter filtered:
  // resending cannot help, so the transfer ends (exit 9) and the transmitter is told.
  void on_unfilter_failed(const std::string& why);
  // A leg read the transmitter's end frame: its own count of the stream.
  void on_end(const wire::StreamCount& sent);
  // Frames contradict each other: the stream being written is not the one sent. Ends the
  // transfer (true) once the session has delivered frames; before that only the leg goes,
  // so a stranger's nonsense cannot end a receiver that is still waiting for its transfer.
  bool on_altered(const std::string& why);
  wire::StreamCount written_count() const;  // mutex_ held
  void on_writer_progress(const SinkWriter::Progress& p);
  void on_writer_error(const std::string& error);
  bool abort_transfer(Abort abort);  // any thread; false when the transfer was already aborted
  void on_cancel(wire::CancelReason reason);  // the transmitter gave up: so do we
  wire::Control current_ack() const;
  bool finish(ExitCode code, std::string message);  // any thread; true for the first call
  // co_spawn completion: an escaped exception finishes the transfer with ExitCode::internal.
  std::function<void(std::exception_ptr)> on_throw(std::string what);
  bool finished() const { return outcome_.decided(); }

  RxConfig cfg_;
  Logger& log_;
  EngineHooks hooks_;
  const std::chrono::steady_clock::time_point start_;
  const std::uint64_t receiver_id_;
  RejectLog rejects_;
  HandshakeGate gate_;
  BufferPool pool_;
  // Set when stdout takes spliced pages; declared before frames_ so that it outlives the
  // frames holding its pipes.
  std::unique_ptr<PipePool> pipes_;
  Reassembler frames_;
  std::unique_ptr<SinkWriter> writer_;

  mutable std::mutex mutex_;  // guards everything below
  std::optional<std::uint64_t> session_;
  std::uint64_t session_generation_ = 0;  // +1 for every session adopted
  // Keyed sessions: the transmitter's session salt, and the keys its frames are sealed with.
  std::optional<crypto::Salt> session_salt_;
  std::shared_ptr<const crypto::FrameKeys> frame_keys_;
  std::uint64_t auth_failures_ = 0;
  std::chrono::seconds outage_timeout_{0};
  std::list<std::shared_ptr<RxLeg>> legs_;
  std::set<std::uint32_t> seen_leg_ids_;
  // Totals of closed connections per leg id, so per-leg counters stay monotonic across
  // reconnects and the end-of-transfer summary still lists every leg.
  std::map<std::uint32_t, LegStats> closed_legs_;
  // Received payload per local address (one per path the legs arrived on), all time.
  std::map<std::string, std::uint64_t> link_bytes_;
  std::uint64_t rejected_ = 0;
  std::uint64_t frames_received_ = 0;
  std::uint64_t bytes_received_ = 0;
  std::uint64_t reconnects_ = 0;
  SinkWriter::Progress written_{0, 0, false};
  // Set when we give up (stdout failed, or we were interrupted): every leg sends this abort
  // to the transmitter, then we exit with `exit` once the legs are gone or kAbortLinger passed.
  std::optional<Abort> abort_;
  std::chrono::steady_clock::time_point last_leg_seen_;
  std::optional<std::uint64_t> gap_reported_;       // tick only: last missing frame logged
  std::chrono::steady_clock::time_point ended_at_;  // completion or sink failure
  Outcome outcome_;

  // Nearly last, so destroyed early: destroying the io_context destroys the coroutine frames still
  // suspended in it (legs mid-frame), and those hold pipes, buffers and locks of the members
  // above, which must still exist then. (In the other order a frame returned its pipe to a
  // pool already destroyed, and the receiver hung in ~Receiver.)
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  // Decode transformed frames for the legs. After io_, so destroyed before it: a job that
  // finishes during teardown still posts its result into a live io_context (which drops it).
  sidechain::CodecTally codecs_;
  sidechain::WorkerPool decoders_;
};

}  // namespace vmp
