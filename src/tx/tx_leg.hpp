// One leg slot of the transmitter: connects to the link the planner gives it, says Hello,
// then sends frames from the SendQueue while reading acks, until the connection dies (then it
// hands its frames back and reconnects) or it is retired. One coroutine per connection, as in
// Asio's cpp20 examples. It sees the transfer only through TxLegHost.
//
// Threads: run() and every method not marked otherwise run on the host's I/O thread.
// request_drain() and stats() may be called from any thread.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "stats.hpp"
#include "tx/delivery_tracker.hpp"
#include "tx/leg_speed.hpp"
#include "tx/tx_leg_host.hpp"
#include "util/socket_tuning.hpp"
#include "util/wakeup.hpp"

namespace vmp {

class TxLeg {
 public:
  TxLeg(TxLegHost& host, asio::any_io_executor io, std::uint32_t slot);

  asio::awaitable<void> run();

  // Any thread: finish the frames on hand and close (legs knob lowered, or the slot moves to
  // another link).
  void request_drain() {
    drain_.store(true);
    wakeup_.notify();
  }
  bool drain_requested() const { return drain_.load(); }
  // Whether run() is spawned; the host sets it (under its own lock) before spawning run().
  bool running() const { return running_; }
  void set_running() { running_ = true; }
  std::uint32_t slot() const { return slot_; }

  void sample_tcp();
  // The current connection's speed, as of the last sample_tcp() (nullopt: no connection, or
  // not known yet).
  std::optional<LegSpeed> speed() const { return conn_ ? conn_->speed.speed() : std::nullopt; }
  void apply_live_tuning(const SocketTuning& tuning);
  // The transfer has fewer legs now and this one stays: its congestion control starts afresh
  // (restart_congestion_control), so that it takes the freed share within round trips.
  void restart_congestion_control();
  void kill();  // abortive close (chaos); the run loop notices and reconnects
  // The transfer failed here: after the frame in progress, tell the receiver (cancel frame).
  void request_cancel() { wakeup_.notify(); }
  bool cancel_sent() const { return cancel_sent_; }
  // In send_frame: its closing frame can go out only after the rest of that frame.
  bool writing_frame() const { return conn_ && conn_->writing; }
  // The frame went out on this leg's current connection and, as of the last sample_tcp(), the
  // receiver's TCP has not acknowledged all of it.
  bool in_flight(std::uint64_t seq) const { return conn_ && conn_->delivery.in_flight(seq); }
  // From now until the receiver's TCP has all of frame `seq`, at the leg's speed now: what
  // the leg still has to deliver up to its end (nullopt: not on this connection, or the
  // speed is not known yet).
  std::optional<double> seconds_to_deliver(std::uint64_t seq) const;
  // In flight, or being written to the socket now (a write that blocks on a dead path).
  bool unacknowledged(std::uint64_t seq) const {
    return in_flight(seq) || (conn_ && conn_->writing && conn_->writing_seq == seq);
  }
  // How long the connection has had data out with nothing acknowledged (leg_speed.hpp), as
  // of the last sample_tcp().
  std::chrono::steady_clock::duration stalled_for() const {
    return conn_ ? conn_->speed.stalled_for() : std::chrono::steady_clock::duration{};
  }
  LegStats stats() const;  // any thread
  // The kernel's TCP_NOTSENT_LOWAT of the current connection (nullopt: none).
  std::optional<std::uint32_t> notsent_lowat() {
    return conn_ && conn_->socket.is_open() ? vmp::notsent_lowat(conn_->socket.native_handle())
                                            : std::nullopt;
  }

 private:
  // Everything that is true of one connection only. Each connection starts from a fresh
  // value and the value is dropped when it ends, so nothing of one leaks into the next.
  struct Connection {
    asio::ip::tcp::socket socket;
    std::size_t link;
    DeliveryTracker delivery{};
    LegSpeedMeter speed{};
    bool writing = false;  // in send_frame: the leg has work even if nothing is in flight
    std::optional<crypto::LegAuth> auth;  // keyed: tags our cancel/end, checks acks
    bool half_closed = false;             // its drain sent our FIN
    bool peer_finished = false;           // ...and the receiver closed its side after it
    std::uint32_t notsent_lowat = 0;      // as last set (socket_tuning.hpp); 0 = the default
    std::uint64_t writing_seq = 0;        // the frame in send_frame, while `writing`
  };

  asio::awaitable<bool> connect(std::size_t link);
  asio::awaitable<void> send_loop();
  asio::awaitable<void> ack_loop();
  asio::awaitable<void> drain();
  void set_state(LegState s);

  TxLegHost& host_;
  const std::uint32_t slot_;
  Wakeup wakeup_;
  std::optional<Connection> conn_;
  std::atomic<bool> drain_{false};  // any thread; cleared when a new connection is tried
  bool running_ = false;
  // The slot's history across connections.
  bool ever_connected_ = false;
  bool drained_ = false;      // the last connection ended by request_drain()
  bool cancel_sent_ = false;  // the closing frame (cancel or end) went out: the leg then ends
  bool pause_before_retry_ = false;  // the last connect failed authentication

  mutable std::mutex mutex_;  // guards the fields stats() copies
  LegStats stats_;
  std::uint64_t acked_before_ = 0;      // tcp_acked_bytes of this slot's earlier connections
  std::uint64_t acked_raw_before_ = 0;  // ... and their tcp_acked_raw_bytes
};

}  // namespace vmp
