#include "rx/rx_leg.hpp"

#include <xxhash.h>

#include <asio/read.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "rx/receiver.hpp"
#include "rx/socket_splice.hpp"
#include "util/exception_text.hpp"
#include "util/race.hpp"
#include "util/socket_tuning.hpp"

namespace vmp {
namespace {

using namespace std::chrono_literals;

std::string local_of(const asio::ip::tcp::socket& s) {
  asio::error_code ec;
  auto ep = s.local_endpoint(ec);
  if (ec) return "unknown";
  auto addr = ep.address();
  if (addr.is_v6() && addr.to_v6().is_v4_mapped()) {
    addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
  }
  return addr.to_string() + ":" + std::to_string(ep.port());
}

struct LegError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace

RxLeg::RxLeg(Receiver& rx, asio::ip::tcp::socket socket, std::uint32_t id, std::string peer)
    : rx_(rx), socket_(std::move(socket)), wakeup_(socket_.get_executor()) {
  SocketTuning tuning;
  tuning.rcvbuf_bytes = rx_.cfg_.rcvbuf_bytes;
  apply_socket_tuning(socket_.native_handle(), tuning);
  stats_.id = id;
  stats_.link = local_of(socket_);
  stats_.state = LegState::up;
  rx_.log_.info(1, "leg " + std::to_string(id) + " from " + peer + " on " + stats_.link);
}

LegStats RxLeg::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void RxLeg::sample_tcp() {
  // Called from the receiver's tick on another thread: the lock keeps the descriptor open.
  std::lock_guard lock(mutex_);
  if (!socket_.is_open()) return;
  stats_.tcp = sample_tcp_info(socket_.native_handle());
}

asio::awaitable<void> RxLeg::run() {
  try {
    co_await race(read_loop(), ack_loop());
  } catch (const LegError& e) {
    rx_.log_.error("leg " + std::to_string(stats_.id) + ": " + e.what() + "; closing it");
  } catch (const std::exception& e) {
    rx_.log_.info(1, "leg " + std::to_string(stats_.id) + " closed: " + exception_text(e));
  }
  std::lock_guard lock(mutex_);  // sample_tcp() may be reading the descriptor
  asio::error_code ignored;
  socket_.close(ignored);
}

asio::awaitable<void> RxLeg::read_loop() {
  std::array<std::byte, wire::FrameHeader::kSize> hbuf{};
  for (;;) {
    co_await asio::async_read(socket_, asio::buffer(hbuf), asio::use_awaitable);
    const auto header = wire::FrameHeader::decode(hbuf);
    if (!header) throw LegError("malformed or oversize frame header");
    if (header->cancel != wire::CancelReason::none) {
      rx_.on_cancel(header->cancel);
      co_return;
    }
    InFrame frame;
    frame.seq = header->seq;
    frame.offset = header->offset;
    frame.length = header->length;
    frame.last = header->has(wire::FrameFlag::last);
    const bool checksummed = header->has(wire::FrameFlag::checksum);
    std::size_t spliced = 0;
    // A checksummed frame must pass through our memory to be hashed; others, when stdout
    // takes spliced pages, stay in the kernel (when a pipe is free).
    if (!checksummed && rx_.pipes_ && header->length > 0) {
      frame.pipe = rx_.pipes_->get();
      if (frame.pipe) spliced = co_await splice_from_socket(socket_, frame.pipe, header->length);
    }
    const std::size_t rest = header->length - spliced;
    if (rest > 0 || spliced == 0) {
      frame.payload = rx_.pool_.get(rest);
      co_await asio::async_read(socket_, asio::buffer(frame.payload.data(), rest),
                                asio::use_awaitable);
    }
    if (checksummed && XXH3_64bits(frame.payload.data(), header->length) != header->checksum) {
      // Dropping the leg makes the transmitter resend the frame on another one.
      throw LegError("checksum mismatch on frame " + std::to_string(header->seq));
    }
    {
      std::lock_guard lock(mutex_);
      stats_.bytes += header->length;
      ++stats_.frames;
    }
    rx_.on_frame(stats_.link, header->length);
    if (rx_.frames_.insert(std::move(frame)) == Reassembler::Insert::too_far_ahead) {
      throw LegError("frame " + std::to_string(header->seq) + " is beyond the window");
    }
  }
}

asio::awaitable<void> RxLeg::ack_loop() {
  std::optional<wire::Control> last_sent;
  for (;;) {
    const auto ack = rx_.current_ack();
    const bool changed = !last_sent || ack.next_seq != last_sent->next_seq ||
                         ack.complete != last_sent->complete || ack.type != last_sent->type;
    if (changed) {
      const auto bytes = ack.encode();
      co_await asio::async_write(socket_, asio::buffer(bytes), asio::use_awaitable);
      last_sent = ack;
    }
    co_await wakeup_.wait(1s);
  }
}

}  // namespace vmp
