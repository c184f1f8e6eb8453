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
#include <optional>
#include <span>
#include <vector>

#include "crypto/frame_keys.hpp"
#include "crypto/leg_auth.hpp"
#include "rx/reassembler.hpp"
#include "stats.hpp"
#include "util/buffer_pool.hpp"
#include "util/wakeup.hpp"
#include "wire/protocol.hpp"

namespace vmp {

class Receiver;

class RxLeg : public std::enable_shared_from_this<RxLeg> {
 public:
  // auth and keys: a keyed session's leg (its control tags, the session's frame keys).
  RxLeg(Receiver& rx, asio::ip::tcp::socket socket, std::uint32_t id, std::string peer,
        std::optional<crypto::LegAuth> auth, std::shared_ptr<const crypto::FrameKeys> keys,
        std::uint64_t generation);

  asio::awaitable<void> run();
  void notify() { wakeup_.notify(); }
  void close_soon();  // any thread: ends the leg (its session was taken over)
  void sample_tcp();
  LegStats stats() const;

 private:
  asio::awaitable<void> read_loop();
  asio::awaitable<void> ack_loop();
  // A compressed, filtered or sealed frame's payload as it crossed the wire; unless sealed
  // (its tag is checked when it is opened), checked against its wire checksum (throws
  // LegError: the leg goes, the frame comes again).
  asio::awaitable<Buffer> read_wire(const wire::FrameHeader& header);
  // A sealed frame that is not compressed or filtered: its payload opened piece by piece as it
  // arrives, on this leg's thread (each piece decrypted while still in the cache, and no hop
  // to a worker; legs open in parallel). Throws LegError when it fails authentication.
  asio::awaitable<Buffer> read_and_open(const wire::FrameHeader& header);
  // Decodes on the sidechain's workers, then accept(); spawned beside the read loop.
  asio::awaitable<void> decode_and_accept(wire::FrameHeader header, InFrame frame,
                                          Buffer wire_bytes);
  // A raw frame: its checksum (when it has one) checked, counted, into the reassembler.
  // Throws LegError when it cannot be taken.
  void accept(const wire::FrameHeader& header, InFrame frame);
  // A spawned decode failed: log it once and end the leg.
  void fail(std::exception_ptr error);
  // Reports a frame that contradicts the stream (see Receiver::on_altered); the leg's error.
  std::string contradiction(const wire::FrameHeader& header);
  // Counts a message of a keyed leg that failed authentication; the leg's error.
  std::string forged(const std::string& what);
  // The transmitter's cancel or end frame; keyed, its tag is checked first.
  asio::awaitable<void> closing_frame(const wire::FrameHeader& header,
                                      std::span<const std::byte, wire::FrameHeader::kSize> raw);
  // An ack or abort as it goes on the wire: keyed, its digest masked and a tag after it.
  std::vector<std::byte> control_bytes(wire::Control control);
  // What hides the stream digest on the wire in a keyed session; 0 otherwise.
  std::uint64_t digest_mask() const;

  Receiver& rx_;
  asio::ip::tcp::socket socket_;
  std::optional<crypto::LegAuth> auth_;
  const std::shared_ptr<const crypto::FrameKeys> keys_;
  const std::uint64_t generation_;  // the session this leg was admitted for
  Wakeup wakeup_;
  // Decodes in flight (on this leg's strand only), and at most how many: two keep the workers
  // of a small machine busy from one leg; each holds up to two frames beyond the window.
  std::size_t decoding_ = 0;
  bool failed_ = false;  // a spawned decode failed: the leg is ending (see fail())
  const std::size_t max_decoding_;
  Wakeup decoded_;
  mutable std::mutex mutex_;  // guards stats_, and the socket against close vs sample_tcp
  LegStats stats_;
};

}  // namespace vmp
