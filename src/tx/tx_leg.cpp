#include "tx/tx_leg.hpp"

#include <algorithm>
#include <asio/experimental/as_tuple.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <random>
#include <vector>

#include "tx/frame_sender.hpp"
#include "tx/reconnect_policy.hpp"
#include "tx/send_queue.hpp"
#include "util/exception_text.hpp"
#include "util/race.hpp"

namespace vmp {
namespace {

using namespace std::chrono_literals;
constexpr auto nothrow = asio::experimental::as_tuple(asio::use_awaitable);

asio::awaitable<void> sleep_for(std::chrono::steady_clock::duration d) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(d);
  co_await t.async_wait(nothrow);
}

}  // namespace

TxLeg::TxLeg(TxLegHost& host, asio::any_io_executor io, std::uint32_t slot)
    : host_(host), slot_(slot), wakeup_(std::move(io)) {
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
  if (!conn_ || !conn_->socket.is_open()) return;
  auto sample = sample_tcp_info(conn_->socket.native_handle());
  if (sample.valid) conn_->delivery.acked(sample.bytes_acked);
  conn_->speed.sample(std::chrono::steady_clock::now(), sample,
                      conn_->writing || conn_->delivery.frames_in_flight() > 0);
  std::lock_guard lock(mutex_);
  if (sample.valid) {
    stats_.tcp_acked_bytes = acked_before_ + sample.bytes_acked;
    stats_.tcp_acked_raw_bytes = acked_raw_before_ + conn_->delivery.raw_acked();
    stats_.tcp_acked_seq = std::max(stats_.tcp_acked_seq, conn_->delivery.seq_acked());
  }
  const auto speed = conn_->speed.speed();
  stats_.goodput_bytes_per_second = speed ? speed->bytes_per_second : 0;
  stats_.tcp = std::move(sample);
  // The socket's queue follows the leg's speed; reset only on a real change (25%).
  const auto lowat =
      notsent_lowat_for(speed ? std::optional(speed->bytes_per_second) : std::nullopt);
  const auto last = conn_->notsent_lowat;
  if (last == 0 || lowat * 4 < last * 3 || lowat * 3 > last * 4) {
    if (auto err = set_notsent_lowat(conn_->socket.native_handle(), lowat); err.empty()) {
      conn_->notsent_lowat = lowat;
    }
  }
}

std::optional<double> TxLeg::seconds_to_deliver(std::uint64_t seq) const {
  if (!conn_) return std::nullopt;
  const auto speed = conn_->speed.speed();
  const auto bytes = conn_->delivery.unacked_through(seq);
  if (!speed || !bytes) return std::nullopt;
  return speed->seconds_for(*bytes);
}

void TxLeg::apply_live_tuning(const SocketTuning& tuning) {
  if (!conn_ || !conn_->socket.is_open()) return;
  auto err = vmp::apply_live_tuning(conn_->socket.native_handle(), tuning);
  if (!err.empty()) host_.log().info(1, "leg " + std::to_string(slot_) + ": " + err);
}

void TxLeg::restart_congestion_control() {
  if (!conn_ || !conn_->socket.is_open() || drain_requested()) return;
  auto err = vmp::restart_congestion_control(conn_->socket.native_handle());
  if (!err.empty()) host_.log().info(1, "leg " + std::to_string(slot_) + ": " + err);
}

void TxLeg::kill() {
  if (!conn_ || !conn_->socket.is_open()) return;
  // After a cancel frame, close gracefully: a reset could overtake the frame and make the
  // receiver discard it.
  if (!cancel_sent_) set_linger_reset(conn_->socket.native_handle());
  asio::error_code ignored;
  conn_->socket.close(ignored);
}

asio::awaitable<void> TxLeg::run() {
  std::minstd_rand jitter_rng(slot_ + 1);
  while (!host_.finished() && host_.slot_wanted(slot_)) {
    drain_.store(false);
    const auto link = host_.link_for(slot_);
    if (!link) {  // every link is down: wait for a probe to bring one back
      set_state(LegState::down);
      co_await wakeup_.wait(reconnect::kNoLinkRecheck);
      continue;
    }
    if (!co_await connect(*link)) {
      if (std::exchange(pause_before_retry_, false))
        co_await sleep_for(reconnect::leg_retry_pause(jitter_rng));
      continue;
    }
    try {
      co_await race(send_loop(), ack_loop());
    } catch (const SourceError& e) {
      host_.finish(ExitCode::source, e.what());
    } catch (const std::exception& e) {
      if (!host_.finished()) {
        host_.log().info(1, "leg " + std::to_string(slot_) + " to " + host_.link_label(*link) +
                                " lost: " + exception_text(e));
      }
    }
    sample_tcp();  // the last count of this connection before it goes
    const bool peer_finished = conn_->peer_finished;
    if (peer_finished) {
      asio::error_code ignored;
      conn_->socket.close(ignored);
    } else {
      kill();
    }
    conn_.reset();
    {
      std::lock_guard lock(mutex_);
      acked_before_ = stats_.tcp_acked_bytes;
      acked_raw_before_ = stats_.tcp_acked_raw_bytes;
    }
    if (peer_finished) {
      // The receiver read all we sent before it closed: the frames are there.
      host_.queue().park(slot_);
    } else if (const auto requeued = host_.queue().requeue(slot_); requeued > 0) {
      host_.log().info(2, "leg " + std::to_string(slot_) + ": " + std::to_string(requeued) +
                              " unacknowledged frames go back to the queue");
    }
    set_state(LegState::down);
    drained_ = drain_.load();
    if (!drained_) co_await sleep_for(reconnect::leg_retry_pause(jitter_rng));
  }
  set_state(LegState::down);
  running_ = false;
}

asio::awaitable<bool> TxLeg::connect(std::size_t link) {
  set_state(LegState::connecting);
  const auto label = host_.link_label(link);
  {
    std::lock_guard lock(mutex_);
    stats_.link = label;
    stats_.link_index = static_cast<std::uint32_t>(link);
  }
  auto result = co_await host_.dial(link, slot_);
  if (host_.finished()) co_return false;
  // A receiver that proved our key on an earlier leg has not changed keys: a failed proof
  // now is someone on the path, who must not be able to end the transfer with one packet.
  if (result.status == DialResult::Status::wrong_key && !host_.receiver_proven()) {
    host_.finish(ExitCode::rejected, result.error);
    co_return false;
  }
  if (result.status == DialResult::Status::forged ||
      result.status == DialResult::Status::wrong_key) {
    // Someone on the path: this connection is worthless, the next may get through (after
    // the usual pause, so a forger cannot make us redial in a tight loop).
    host_.auth_failed(result.error);
    pause_before_retry_ = true;
    co_return false;
  }
  if (result.status != DialResult::Status::ok) {
    host_.link_failed(link, result.error, result.status == DialResult::Status::unresolvable);
    co_return false;
  }
  const auto code = result.reply.code;
  if (code != wire::ReplyCode::accept && code != wire::ReplyCode::complete) {
    host_.finish(ExitCode::rejected, "receiver " + label + " refused the connection: " +
                                         std::string(wire::describe(code)));
    co_return false;
  }
  if (!host_.same_receiver(result.reply.receiver_id, link)) co_return false;
  conn_.emplace(Connection{std::move(*result.socket), link, {}, {}, false, std::move(result.auth)});
  conn_->delivery.reset(wire::Hello::kSize);
  apply_live_tuning(host_.socket_tuning());  // now that the path's RTT is known (default cc)
  host_.set_receiver_window(result.reply.window_bytes);
  host_.queue().on_ack(result.reply.next_seq);
  host_.link_up(link);
  {
    std::lock_guard lock(mutex_);
    stats_.state = LegState::up;
    // A slot that was drained on purpose (fewer legs, or moved to another link) is not
    // reconnecting after a loss.
    if (ever_connected_ && !drained_) ++stats_.reconnects;
  }
  ever_connected_ = true;
  host_.log().info(1, "leg " + std::to_string(slot_) + " up on " + label);
  if (code == wire::ReplyCode::complete) {
    // Our completion ack was lost with the legs that carried it: check the count now, and
    // this leg, now up, carries the end frame.
    const auto& r = result.reply;
    host_.on_complete({r.next_seq, r.bytes, r.digest ^ host_.digest_mask()});
  }
  co_return true;
}

asio::awaitable<void> TxLeg::send_loop() {
  for (;;) {
    if (auto closing = host_.closing_frame()) {
      if (closing->kind == wire::FrameKind::end) closing->checksum ^= host_.digest_mask();
      const auto header = closing->encode();
      std::vector<std::byte> bytes(header.begin(), header.end());
      if (conn_->auth) {
        const auto tag = conn_->auth->outgoing.tag(header);
        bytes.insert(bytes.end(), tag.begin(), tag.end());
      }
      co_await asio::async_write(conn_->socket, asio::buffer(bytes), asio::use_awaitable);
      cancel_sent_ = true;
      host_.cancel_sent();
      co_return;
    }
    if (drain_.load()) {
      co_await drain();
      co_return;
    }
    const auto preference = static_cast<std::uint32_t>(conn_->link);
    auto taken = host_.queue().take(slot_, preference);
    if (!taken) {
      const auto idle_from = std::chrono::steady_clock::now();
      host_.queue().wait_for_work(slot_, preference, &wakeup_);
      co_await wakeup_.wait(1s);
      host_.queue().cancel_wait(slot_);
      std::lock_guard lock(mutex_);
      stats_.idle_seconds +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - idle_from).count();
      continue;
    }
    const auto& frame = *taken->frame;
    auto pacer = host_.pacer(conn_->link);
    conn_->writing = true;
    conn_->writing_seq = frame.header.seq;
    // Legs and links count what the network carried: compressed bytes, when compressed.
    const std::uint32_t on_wire = frame.header.payload_on_wire();
    conn_->delivery.writing(frame.header.seq, wire::FrameHeader::kSize + on_wire,
                            taken->resend ? 0 : frame.header.length);
    co_await send_frame(conn_->socket, frame, pacer);
    conn_->writing = false;
    conn_->delivery.sent(frame.header.seq);
    if (pacer.waited() > decltype(pacer.waited())::zero())
      host_.queue().held_back(slot_, frame.header.seq, pacer.waited());
    host_.sent(conn_->link, on_wire);
    {
      std::lock_guard lock(mutex_);
      stats_.bytes += on_wire;
      ++stats_.frames;
      if (taken->resend) {
        ++stats_.resent_frames;
        stats_.resent_bytes += on_wire;
      }
    }
    if (host_.chaos_strikes()) {
      host_.log().info(1, "chaos: resetting leg " + std::to_string(slot_));
      kill();
      throw std::system_error(asio::error::connection_reset);
    }
  }
}

asio::awaitable<void> TxLeg::ack_loop() {
  std::array<std::byte, wire::Control::kSize + wire::kTagSize> buf{};
  const std::size_t size = wire::Control::kSize + (conn_->auth ? wire::kTagSize : 0);
  for (;;) {
    auto [ec, n] =
        co_await asio::async_read(conn_->socket, asio::buffer(buf.data(), size), nothrow);
    if (ec == asio::error::eof && conn_->half_closed) {
      conn_->peer_finished = true;  // the end of a drain (see drain())
      co_return;
    }
    if (ec) throw std::system_error(ec);
    const std::span<const std::byte, wire::Control::kSize> message(buf.data(),
                                                                   wire::Control::kSize);
    if (conn_->auth &&
        !conn_->auth->incoming.verify(message, std::span(buf).subspan(wire::Control::kSize))) {
      // Forged, replayed or altered: nothing it says counts, and the leg is not to be trusted.
      host_.auth_failed("leg " + std::to_string(slot_) +
                        ": a control message failed authentication; dropping the leg");
      throw std::system_error(std::make_error_code(std::errc::protocol_error));
    }
    auto control = wire::Control::decode(message);
    if (!control) throw std::system_error(std::make_error_code(std::errc::protocol_error));
    if (control->type == wire::ControlType::abort) {
      const auto exit = control->abort == wire::AbortCode::sink_failed     ? ExitCode::sink
                        : control->abort == wire::AbortCode::mismatch      ? ExitCode::mismatch
                        : control->abort == wire::AbortCode::filter_failed ? ExitCode::filter
                                                                           : ExitCode::network;
      host_.finish(exit,
                   "receiver aborted the transfer: " + std::string(wire::describe(control->abort)));
      co_return;
    }
    host_.on_ack(control->next_seq, control->bytes);
    // Keep reading: send_loop() now sends the end frame (or a cancel) and ends the leg.
    if (control->complete) {
      auto count = control->count();
      count.digest ^= host_.digest_mask();
      host_.on_complete(count);
    }
  }
}

asio::awaitable<void> TxLeg::drain() {
  set_state(LegState::draining);
  host_.queue().stop_taking(slot_);
  // Every frame this leg carries is in its socket. Half-close: the receiver reads them all,
  // sees the end of the stream and closes its side, which ends ack_loop() and with it this
  // connection (the frames are parked, not resent). Not "wait until the receiver confirms
  // them": confirmations can hang on frames only the other legs carry, and when every leg
  // drains at once (a new genome moves them all to other links) nobody would.
  asio::error_code ignored;
  conn_->socket.shutdown(asio::socket_base::shutdown_send, ignored);
  conn_->half_closed = true;
  co_await sleep_for(reconnect::kDrainLimit);  // normally cut short by ack_loop()
}

}  // namespace vmp
