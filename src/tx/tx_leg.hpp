// One leg slot of the transmitter: connects to the link the planner gives it, says Hello,
// then sends frames from the SendQueue while reading acks, until the connection dies (then it
// hands its frames back and reconnects) or it is retired. One coroutine per connection, as in
// Asio's cpp20 examples.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "stats.hpp"
#include "tx/delivery_tracker.hpp"
#include "util/socket_tuning.hpp"
#include "util/wakeup.hpp"

namespace vmp {

class Transmitter;

class TxLeg {
 public:
  TxLeg(Transmitter& tx, std::uint32_t slot);

  asio::awaitable<void> run();

  // Finish the frames on hand and close (legs knob lowered, or the slot moves to another link).
  void request_drain() {
    drain_.store(true);
    wakeup_.notify();
  }
  bool running() const { return running_; }
  void set_running() { running_ = true; }
  std::uint32_t slot() const { return slot_; }

  // Called on the I/O thread.
  void sample_tcp();
  void apply_live_tuning(const SocketTuning& tuning);
  void kill();  // abortive close (chaos); the run loop notices and reconnects
  // The transfer failed here: after the frame in progress, tell the receiver (cancel frame).
  void request_cancel() { wakeup_.notify(); }
  bool cancel_sent() const { return cancel_sent_; }
  // I/O thread: the frame went out on this leg's current connection and, as of the last
  // sample_tcp(), the receiver's TCP has not acknowledged all of it.
  bool in_flight(std::uint64_t seq) const { return delivery_.in_flight(seq); }
  LegStats stats() const;

 private:
  asio::awaitable<bool> connect(std::size_t link);
  asio::awaitable<void> send_loop();
  asio::awaitable<void> ack_loop();
  asio::awaitable<void> drain();
  void set_state(LegState s);

  Transmitter& tx_;
  const std::uint32_t slot_;
  Wakeup wakeup_;
  std::optional<asio::ip::tcp::socket> socket_;
  std::optional<std::size_t> link_;
  std::atomic<bool> drain_{false};
  bool running_ = false;
  bool ever_connected_ = false;
  bool drained_ = false;        // the last connection ended by request_drain()
  bool cancel_sent_ = false;    // I/O thread only: a cancel or end frame went out
  bool half_closed_ = false;    // I/O thread: this connection's drain sent its FIN
  bool peer_finished_ = false;  // I/O thread: ...and the receiver closed its side after it
  DeliveryTracker delivery_;    // I/O thread only

  mutable std::mutex mutex_;  // guards the fields snapshot() copies
  LegStats stats_;
  std::uint64_t acked_before_ = 0;  // tcp_acked_bytes of this slot's earlier connections
};

}  // namespace vmp
