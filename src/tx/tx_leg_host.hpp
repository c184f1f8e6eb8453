// What a TxLeg needs from the transfer it belongs to, and nothing more: the plan (which link
// its slot uses), a way to dial, the send queue, and where to report what happened. The
// Transmitter implements it; tests give a leg a fake host (as TransferControl fronts the
// transfer for the tuner). Every call comes from the I/O thread, the one the leg runs on.
#pragma once

#include <asio/awaitable.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "tx/dialer.hpp"
#include "tx/rate_limiter.hpp"
#include "util/exit_code.hpp"
#include "util/logger.hpp"
#include "util/socket_tuning.hpp"
#include "wire/protocol.hpp"

namespace vmp {

class SendQueue;

class TxLegHost {
 public:
  virtual ~TxLegHost() = default;

  // --- the plan ---
  virtual bool finished() const = 0;
  // The slot is still part of the plan (the legs knob may have shrunk).
  virtual bool slot_wanted(std::uint32_t slot) const = 0;
  // The link this slot should use; nullopt while every link is down.
  virtual std::optional<std::size_t> link_for(std::uint32_t slot) const = 0;
  virtual std::string link_label(std::size_t link) const = 0;  // "host:port"

  // --- connecting ---
  // Opens a connection for this slot on this link and says Hello (see dial()).
  virtual asio::awaitable<DialResult> dial(std::size_t link, std::uint32_t slot) = 0;
  // Socket options in force now (they change with the knobs).
  virtual SocketTuning socket_tuning() const = 0;
  virtual void link_up(std::size_t link) = 0;
  virtual void link_failed(std::size_t link, const std::string& why, bool unresolvable) = 0;
  // The receiver that accepted a leg; false (and the transfer ends) if it is not the process
  // the earlier legs reached: it lost what it had confirmed.
  virtual bool same_receiver(std::uint64_t receiver_id, std::size_t link) = 0;

  // --- sending ---
  virtual SendQueue& queue() = 0;
  // Set once the transfer ended on our side: a cancel frame (it failed here), or the end frame
  // that confirms a complete stream. Legs send it to the receiver before closing.
  virtual std::optional<wire::FrameHeader> closing_frame() const = 0;
  virtual void cancel_sent() = 0;    // a leg has sent its closing frame
  virtual bool chaos_strikes() = 0;  // the frame just sent should cost its leg its life
  virtual void sent(std::size_t link, std::uint32_t payload_bytes) = 0;
  // What paces this leg's writes on this link (--rate-limit, --link-rates).
  virtual LinkPacer pacer(std::size_t link) = 0;
  virtual void on_ack(std::uint64_t next_seq, std::uint64_t bytes) = 0;
  // The receiver says it wrote the whole stream (in an ack, or in the reply to a Hello when
  // that ack was lost): the transfer checks it against what was read and ends.
  virtual void on_complete(const wire::StreamCount& written) = 0;
  // The most the receiver holds for reordering (its reply to every Hello).
  virtual void set_receiver_window(std::uint64_t bytes) = 0;

  // --- ending ---
  // Ends the transfer; the first call wins (and returns true).
  virtual bool finish(ExitCode code, std::string message) = 0;
  virtual const Logger& log() const = 0;
  // A keyed leg got a message that failed authentication (counted, logged; the leg goes).
  virtual void auth_failed(const std::string& what) = 0;
  // Keyed: what hides the stream digest on the wire (crypto::FrameKeys::digest_mask); 0 else.
  virtual std::uint64_t digest_mask() const = 0;
  // A keyed leg of this transfer has proven the receiver holds our key (see connect()).
  virtual bool receiver_proven() const = 0;
};

}  // namespace vmp
