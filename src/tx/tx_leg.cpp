#include "tx/tx_leg.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <random>

#include "tx/dialer.hpp"
#include "tx/frame_sender.hpp"
#include "tx/transmitter.hpp"
#include "util/exception_text.hpp"
#include "util/race.hpp"

namespace vmp {
namespace {

using namespace std::chrono_literals;
constexpr auto nothrow = asio::experimental::as_tuple(asio::use_awaitable);

// How long a draining leg waits for the receiver to read what it sent and close its side
// before the leg resets the connection and gives its frames back to the queue.
constexpr auto kDrainLimit = 10s;

asio::awaitable<void> sleep_for(std::chrono::steady_clock::duration d) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(d);
  co_await t.async_wait(nothrow);
}

}  // namespace

TxLeg::TxLeg(Transmitter& tx, std::uint32_t slot)
    : tx_(tx), slot_(slot), wakeup_(tx.io_.get_executor()) {
  stats_.id = slot;
}

void TxLeg::set_state(LegState s) {
  std::lock_guard lock(mutex_);
  stats_.state = s;
}

LegStats TxLeg::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void TxLeg::sample_tcp() {
  if (!socket_ || !socket_->is_open()) return;
  auto sample = sample_tcp_info(socket_->native_handle());
  if (sample.valid) delivery_.acked(sample.bytes_acked);
  std::lock_guard lock(mutex_);
  if (sample.valid) stats_.tcp_acked_bytes = acked_before_ + sample.bytes_acked;
  stats_.tcp = std::move(sample);
}

void TxLeg::apply_live_tuning(const SocketTuning& tuning) {
  if (!socket_ || !socket_->is_open()) return;
  auto err = vmp::apply_live_tuning(socket_->native_handle(), tuning);
  if (!err.empty()) tx_.log_.info(1, "leg " + std::to_string(slot_) + ": " + err);
}

void TxLeg::kill() {
  if (!socket_ || !socket_->is_open()) return;
  // After a cancel frame, close gracefully: a reset could overtake the frame and make the
  // receiver discard it.
  if (!cancel_sent_) set_linger_reset(socket_->native_handle());
  asio::error_code ignored;
  socket_->close(ignored);
}

asio::awaitable<void> TxLeg::run() {
  std::minstd_rand jitter_rng(slot_ + 1);
  while (!tx_.finished() && tx_.slot_wanted(slot_)) {
    drain_.store(false);
    const auto link = tx_.link_for(slot_);
    if (!link) {  // every link is down: wait for a probe to bring one back
      set_state(LegState::down);
      co_await wakeup_.wait(250ms);
      continue;
    }
    if (!co_await connect(*link)) continue;
    half_closed_ = false;
    peer_finished_ = false;
    try {
      co_await race(send_loop(), ack_loop());
    } catch (const SourceError& e) {
      tx_.finish(ExitCode::source, e.what());
    } catch (const std::exception& e) {
      if (!tx_.finished()) {
        tx_.log_.info(1, "leg " + std::to_string(slot_) + " to " + tx_.target(*link).label() +
                             " lost: " + exception_text(e));
      }
    }
    sample_tcp();  // the last count of this connection before it goes
    if (peer_finished_) {
      asio::error_code ignored;
      socket_->close(ignored);
    } else {
      kill();
    }
    socket_.reset();
    delivery_.reset(0);
    {
      std::lock_guard lock(mutex_);
      acked_before_ = stats_.tcp_acked_bytes;
    }
    if (peer_finished_) {
      // The receiver read all we sent before it closed: the frames are there.
      tx_.queue_.park(slot_);
    } else if (const auto requeued = tx_.queue_.requeue(slot_); requeued > 0) {
      tx_.log_.info(2, "leg " + std::to_string(slot_) + ": " + std::to_string(requeued) +
                           " unacknowledged frames go back to the queue");
    }
    set_state(LegState::down);
    drained_ = drain_.load();
    if (!drained_) {
      // Reconnect soon, but not in lockstep with the other legs that just died with us.
      co_await sleep_for(std::chrono::milliseconds(20 + jitter_rng() % 80));
    }
  }
  set_state(LegState::down);
  running_ = false;
}

asio::awaitable<bool> TxLeg::connect(std::size_t link) {
  set_state(LegState::connecting);
  const auto& target = tx_.target(link);
  {
    std::lock_guard lock(mutex_);
    stats_.link = target.label();
    stats_.link_index = static_cast<std::uint32_t>(link);
  }
  auto result =
      co_await dial(target, tx_.hello_for(slot_), tx_.socket_tuning(), tx_.cfg_.connect_timeout);
  if (tx_.finished()) co_return false;
  if (result.status != DialResult::Status::ok) {
    tx_.link_failed(link, result.error, result.status == DialResult::Status::unresolvable);
    co_return false;
  }
  const auto code = result.reply.code;
  if (code == wire::ReplyCode::complete) {
    tx_.finish(ExitCode::ok, "complete");
    co_return false;
  }
  if (code != wire::ReplyCode::accept) {
    tx_.finish(ExitCode::rejected, "receiver " + target.label() + " refused the connection: " +
                                       std::string(wire::describe(code)));
    co_return false;
  }
  if (!tx_.same_receiver(result.reply.receiver_id)) {
    // A receiver that lost what it had confirmed (restarted, or another one took the port)
    // cannot continue the stream: those bytes are gone from our window.
    tx_.finish(ExitCode::network, "receiver " + target.label() +
                                      " restarted during the transfer; the stream cannot be "
                                      "resumed (it had confirmed " +
                                      std::to_string(tx_.acked_bytes_.load()) + " bytes)");
    co_return false;
  }
  socket_ = std::move(result.socket);
  link_ = link;
  delivery_.reset(wire::Hello::kSize);
  apply_live_tuning(tx_.socket_tuning());  // now that the path's RTT is known (default cc)
  tx_.queue_.on_ack(result.reply.next_seq);
  tx_.link_up(link);
  {
    std::lock_guard lock(mutex_);
    stats_.state = LegState::up;
    // A slot that was drained on purpose (fewer legs, or moved to another link) is not
    // reconnecting after a loss.
    if (ever_connected_ && !drained_) ++stats_.reconnects;
  }
  ever_connected_ = true;
  tx_.log_.info(1, "leg " + std::to_string(slot_) + " up on " + target.label());
  co_return true;
}

asio::awaitable<void> TxLeg::send_loop() {
  for (;;) {
    if (const auto reason = tx_.cancel_reason(); reason != wire::CancelReason::none) {
      wire::FrameHeader cancel;
      cancel.cancel = reason;
      const auto bytes = cancel.encode();
      co_await asio::async_write(*socket_, asio::buffer(bytes), asio::use_awaitable);
      cancel_sent_ = true;
      tx_.cancel_progress_.notify();
      co_return;
    }
    if (drain_.load()) {
      co_await drain();
      co_return;
    }
    auto taken = tx_.queue_.take(slot_, static_cast<std::uint32_t>(*link_));
    if (!taken) {
      tx_.queue_.wait_for_work(slot_, static_cast<std::uint32_t>(*link_), &wakeup_);
      co_await wakeup_.wait(1s);
      tx_.queue_.cancel_wait(slot_);
      continue;
    }
    const auto& frame = *taken->frame;
    co_await send_frame(*socket_, frame);
    delivery_.sent(frame.header.seq, wire::FrameHeader::kSize + frame.header.length);
    tx_.link_bytes_[*link_] += frame.header.length;
    {
      std::lock_guard lock(mutex_);
      stats_.bytes += frame.header.length;
      ++stats_.frames;
      if (taken->resend) {
        ++stats_.resent_frames;
        stats_.resent_bytes += frame.header.length;
      }
    }
    if (tx_.chaos_strikes()) {
      tx_.log_.info(1, "chaos: resetting leg " + std::to_string(slot_));
      kill();
      throw std::system_error(asio::error::connection_reset);
    }
  }
}

asio::awaitable<void> TxLeg::ack_loop() {
  std::array<std::byte, wire::Control::kSize> buf{};
  for (;;) {
    auto [ec, n] = co_await asio::async_read(*socket_, asio::buffer(buf), nothrow);
    if (ec == asio::error::eof && half_closed_) {
      peer_finished_ = true;  // the end of a drain (see drain())
      co_return;
    }
    if (ec) throw std::system_error(ec);
    auto control = wire::Control::decode(buf);
    if (!control) throw std::system_error(std::make_error_code(std::errc::protocol_error));
    if (control->type == wire::ControlType::abort) {
      tx_.finish(
          control->abort == wire::AbortCode::sink_failed ? ExitCode::sink : ExitCode::network,
          "receiver aborted the transfer: " + std::string(wire::describe(control->abort)));
      co_return;
    }
    tx_.on_ack(control->next_seq, control->bytes);
    if (control->complete) {
      tx_.finish(ExitCode::ok, "complete");
      co_return;
    }
  }
}

asio::awaitable<void> TxLeg::drain() {
  set_state(LegState::draining);
  tx_.queue_.stop_taking(slot_);
  // Every frame this leg carries is in its socket. Half-close: the receiver reads them all,
  // sees the end of the stream and closes its side, which ends ack_loop() and with it this
  // connection (the frames are parked, not resent). Not "wait until the receiver confirms
  // them": confirmations can hang on frames only the other legs carry, and when every leg
  // drains at once (a new genome moves them all to other links) nobody would.
  asio::error_code ignored;
  socket_->shutdown(asio::socket_base::shutdown_send, ignored);
  half_closed_ = true;
  co_await sleep_for(kDrainLimit);  // normally cut short by ack_loop()
}

}  // namespace vmp
