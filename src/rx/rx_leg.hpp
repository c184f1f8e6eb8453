// One accepted leg on the receiver, after a good handshake: reads frames into the
// Reassembler and, concurrently, sends the latest acknowledgement whenever it changed (the
// writer's progress wakes the leg; it also looks once a second, but an unchanged
// acknowledgement is not sent again, so there is no keepalive). A frame the reassembler
// refuses costs the leg its connection before its payload is read.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <memory>
#include <mutex>

#include "stats.hpp"
#include "util/buffer_pool.hpp"
#include "util/wakeup.hpp"
#include "wire/protocol.hpp"

namespace vmp {

class Receiver;

class RxLeg : public std::enable_shared_from_this<RxLeg> {
 public:
  RxLeg(Receiver& rx, asio::ip::tcp::socket socket, std::uint32_t id, std::string peer);

  asio::awaitable<void> run();
  void notify() { wakeup_.notify(); }
  void close_soon();  // any thread: ends the leg (its session was taken over)
  void sample_tcp();
  LegStats stats() const;

 private:
  asio::awaitable<void> read_loop();
  asio::awaitable<void> ack_loop();
  // A compressed or filtered frame's payload, checked against its wire checksum and decoded
  // on the sidechain's workers: the raw frame. Throws (the leg goes) on damage.
  asio::awaitable<Buffer> read_transformed(const wire::FrameHeader& header);
  // Reports a frame that contradicts the stream (see Receiver::on_altered); the leg's error.
  std::string contradiction(const wire::FrameHeader& header);

  Receiver& rx_;
  asio::ip::tcp::socket socket_;
  Wakeup wakeup_;
  mutable std::mutex mutex_;  // guards stats_, and the socket against close vs sample_tcp
  LegStats stats_;
};

}  // namespace vmp
