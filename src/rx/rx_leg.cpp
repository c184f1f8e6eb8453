#include "rx/rx_leg.hpp"

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "rx/receiver.hpp"
#include "rx/socket_splice.hpp"
#include "sidechain/frame_transform.hpp"
#include "sidechain/run_on_worker.hpp"
#include "util/exception_text.hpp"
#include "util/race.hpp"
#include "util/socket_tuning.hpp"
#include "wire/checksum.hpp"

namespace vmp {
namespace {

using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;
constexpr auto nothrow = asio::experimental::as_tuple(asio::use_awaitable);

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

RxLeg::RxLeg(Receiver& rx, asio::ip::tcp::socket socket, std::uint32_t id, std::string peer,
             std::optional<crypto::LegAuth> auth, std::shared_ptr<const crypto::FrameKeys> keys,
             std::uint64_t generation)
    : rx_(rx),
      socket_(std::move(socket)),
      auth_(std::move(auth)),
      keys_(std::move(keys)),
      generation_(generation),
      wakeup_(socket_.get_executor()),
      max_decoding_(std::min<std::size_t>(2, rx_.decoders_.workers())),
      decoded_(socket_.get_executor()) {
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

void RxLeg::close_soon() {
  // The leg may end on its own before this runs: the handler keeps it alive.
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    std::lock_guard lock(self->mutex_);
    asio::error_code ignored;
    self->socket_.close(ignored);
  });
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
  } catch (const std::system_error& e) {
    // The transmitter closes its legs when the stream is done, drained or moved: an end of
    // file is the normal way for a leg to go.
    const bool normal = e.code() == asio::error::eof;
    rx_.log_.info(normal ? 2 : 1,
                  "leg " + std::to_string(stats_.id) + " closed" +
                      (normal ? std::string(" by the transmitter") : ": " + exception_text(e)));
  } catch (const std::exception& e) {
    rx_.log_.info(1, "leg " + std::to_string(stats_.id) + " closed: " + exception_text(e));
  }
  // When this leg's frame made us give up, it may be the transmitter's only one: say so on
  // it before it closes (best effort), or the transmitter would retry for its outage timeout.
  if (const auto last_word = rx_.current_ack(); last_word.type == wire::ControlType::abort) {
    const auto bytes = control_bytes(last_word);
    asio::steady_timer limit(socket_.get_executor(), 1s);
    co_await (asio::async_write(socket_, asio::buffer(bytes), nothrow) ||
              limit.async_wait(nothrow));
  }
  std::lock_guard lock(mutex_);  // sample_tcp() may be reading the descriptor
  asio::error_code ignored;
  socket_.close(ignored);
}

std::string RxLeg::forged(const std::string& what) {
  rx_.on_auth_failure();
  return what + " (failed authentication)";
}

std::uint64_t RxLeg::digest_mask() const {
  return keys_ ? keys_->digest_mask() : 0;
}

std::vector<std::byte> RxLeg::control_bytes(wire::Control control) {
  control.digest ^= control.complete ? digest_mask() : 0;
  const auto encoded = control.encode();
  std::vector<std::byte> bytes(encoded.begin(), encoded.end());
  if (auth_) {
    const auto tag = auth_->outgoing.tag(encoded);
    bytes.insert(bytes.end(), tag.begin(), tag.end());
  }
  return bytes;
}

asio::awaitable<void> RxLeg::closing_frame(
    const wire::FrameHeader& header, std::span<const std::byte, wire::FrameHeader::kSize> raw) {
  if (auth_) {
    std::array<std::byte, wire::kTagSize> tag{};
    co_await asio::async_read(socket_, asio::buffer(tag), asio::use_awaitable);
    if (!auth_->incoming.verify(raw, tag))
      throw LegError(
          forged(header.kind == wire::FrameKind::cancel ? "a cancel frame" : "an end frame"));
  }
  // A leg of a session that was taken over (it had delivered nothing) speaks for nobody.
  if (!rx_.same_session(generation_)) throw LegError("its session was taken over");
  if (header.kind == wire::FrameKind::cancel) {
    rx_.on_cancel(header.cancel);
  } else {
    auto count = header.end_count();
    count.digest ^= digest_mask();
    rx_.on_end(count);
  }
}

std::string RxLeg::contradiction(const wire::FrameHeader& header) {
  const auto what = "frame " + std::to_string(header.seq) + " (offset " +
                    std::to_string(header.offset) + ", " + std::to_string(header.length) +
                    " bytes) contradicts the frames around it";
  rx_.on_altered(what);
  return what;
}

asio::awaitable<void> RxLeg::read_loop() {
  std::array<std::byte, wire::FrameHeader::kSize> hbuf{};
  for (;;) {
    if (failed_) co_return;  // a decode failed (see fail())
    co_await asio::async_read(socket_, asio::buffer(hbuf), asio::use_awaitable);
    const auto header = wire::FrameHeader::decode(hbuf);
    if (!header) throw LegError("malformed or oversize frame header");
    if (header->kind == wire::FrameKind::cancel || header->kind == wire::FrameKind::end) {
      co_await closing_frame(*header, hbuf);
      co_return;
    }
    const bool last = header->has(wire::FrameFlag::last);
    const bool checksummed = header->has(wire::FrameFlag::checksum);
    // In a keyed session every frame is sealed (and nothing else is): an unsealed one is
    // forged, and one that contradicts the stream is judged by its tag, below.
    const bool sealed = header->has(wire::FrameFlag::sealed);
    if (sealed != (keys_ != nullptr)) {
      if (keys_) throw LegError(forged("frame " + std::to_string(header->seq) + " is not sealed"));
      throw LegError("frame " + std::to_string(header->seq) +
                     " is sealed in a session without a key");
    }
    // The handshake agreed on filtering (both ends have a filter, or neither): in a filtered
    // session every frame is filtered and checksummed, in another none is filtered.
    const bool filtered_session = !rx_.cfg_.unfilter.command.empty();
    if (filtered_session != (header->codec == wire::Codec::filter) ||
        (filtered_session && !checksummed))
      throw LegError("frame " + std::to_string(header->seq) + " does not match the session (" +
                     std::string(filtered_session ? "" : "not ") + "filtered)");
    // Refuse from the header alone, before the payload is read into memory. A checksummed
    // frame that contradicts the stream may just be damaged: its checksum decides below.
    switch (rx_.frames_.check(header->seq, header->offset, header->length, last)) {
      case Reassembler::Insert::too_far_ahead:
        throw LegError("frame " + std::to_string(header->seq) + " is beyond the window");
      case Reassembler::Insert::inconsistent:
      case Reassembler::Insert::conflicting:
        if (!checksummed && !sealed) throw LegError(contradiction(*header));
        break;
      case Reassembler::Insert::accepted:
      case Reassembler::Insert::duplicate:
        break;
    }
    InFrame frame;
    frame.seq = header->seq;
    frame.offset = header->offset;
    frame.length = header->length;
    frame.last = last;
    if (sealed && header->codec == wire::Codec::none) {
      frame.payload = co_await read_and_open(*header);
      auto opened = *header;  // its checksum (masked on the wire, see FrameKeys) checked now
      if (checksummed) opened.checksum ^= keys_->checksum_mask(opened.seq);
      accept(opened, std::move(frame));
      continue;
    }
    if (header->codec != wire::Codec::none || sealed) {
      // Decoded on the sidechain's workers while this leg reads on: several frames of one leg
      // decode at once (a transmitter may well send most frames on its first leg).
      Buffer wire_bytes = co_await read_wire(*header);
      while (decoding_ >= max_decoding_ && !failed_) co_await decoded_.wait(1s);
      if (failed_) co_return;
      ++decoding_;
      asio::co_spawn(socket_.get_executor(),
                     decode_and_accept(*header, std::move(frame), std::move(wire_bytes)),
                     [self = shared_from_this()](std::exception_ptr error) {
                       --self->decoding_;
                       self->decoded_.notify();
                       if (error) self->fail(error);
                     });
      continue;
    }
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
    accept(*header, std::move(frame));
  }
}

void RxLeg::accept(const wire::FrameHeader& header, InFrame frame) {
  if (header.has(wire::FrameFlag::checksum)) {
    const auto sum = wire::frame_checksum(
        header, std::span<const std::byte>(frame.payload.data(), header.length));
    if (sum != header.checksum) {
      // The wire checksum held, so the bytes arrived as sent: the unfilter changed them.
      if (header.codec == wire::Codec::filter) {
        const auto why = "frame " + std::to_string(header.seq) + ": --unfilter '" +
                         rx_.cfg_.unfilter.command +
                         "' did not give back the frame the transmitter filtered (checksum " +
                         "mismatch): it does not invert the --filter";
        rx_.on_unfilter_failed(why);
        throw LegError(why);
      }
      // Dropping the leg makes the transmitter resend the frame on another one.
      throw LegError("checksum mismatch on frame " + std::to_string(header.seq));
    }
    frame.checksum = sum;
  }
  {
    std::lock_guard lock(mutex_);
    stats_.bytes += header.payload_on_wire();
    ++stats_.frames;
  }
  if (!rx_.on_frame(stats_.link, header, generation_)) {
    throw LegError("frame " + std::to_string(header.seq) +
                   " belongs to a session that was taken over");
  }
  switch (rx_.frames_.insert(std::move(frame))) {
    case Reassembler::Insert::too_far_ahead:
      throw LegError("frame " + std::to_string(header.seq) + " is beyond the window");
    case Reassembler::Insert::inconsistent:
    case Reassembler::Insert::conflicting:
      // Another leg's copy got in between our check and now, and it differs.
      throw LegError(contradiction(header));
    case Reassembler::Insert::accepted:
    case Reassembler::Insert::duplicate:
      break;
  }
}

void RxLeg::fail(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const LegError& e) {
    rx_.log_.error("leg " + std::to_string(stats_.id) + ": " + e.what() + "; closing it");
  } catch (const std::exception& e) {
    rx_.log_.error("leg " + std::to_string(stats_.id) + ": " + exception_text(e) + "; closing it");
  }
  // The read loop ends: cancelled when it waits on the socket, at its next step when it does
  // not (failed_), and whatever it reads next is an end of file. run() then tells the
  // transmitter when the transfer is aborted, and closes the socket; else the transmitter
  // resends what was not written. (Cancelling alone left a leg that was between two reads
  // open, with its frame never written and never resent.)
  failed_ = true;
  std::lock_guard lock(mutex_);
  asio::error_code ignored;
  socket_.shutdown(asio::socket_base::shutdown_receive, ignored);
  socket_.cancel(ignored);
}

asio::awaitable<Buffer> RxLeg::read_wire(const wire::FrameHeader& header) {
  Buffer wire_bytes = rx_.pool_.get(header.wire_length);
  co_await asio::async_read(socket_, asio::buffer(wire_bytes.data(), header.wire_length),
                            asio::use_awaitable);
  const std::span<const std::byte> wire(wire_bytes.data(), header.wire_length);
  if (!header.has(wire::FrameFlag::sealed) &&
      wire::wire_checksum(header, wire) != header.wire_checksum)
    throw LegError("frame " + std::to_string(header.seq) + " was damaged on the wire");
  co_return wire_bytes;
}

asio::awaitable<Buffer> RxLeg::read_and_open(const wire::FrameHeader& header) {
  // Pieces of at most this many bytes are opened as they come, inside a core's L2. On
  // loopback (2 cores, 2 GB keyed, 5 rounds) 64 KiB pieces gave 1223 MB/s, 128 KiB 1253,
  // 256 KiB 1314, 512 KiB 1284: fewer reads a frame, until a piece no longer stays in cache.
  constexpr std::size_t kPiece = 256 * 1024;
  // The header checked wire_length == length + tag. The tag is read beside the payload, so
  // the buffer is a frame's size (1 MiB frames: two to a huge page, see BufferPool).
  const std::size_t length = header.length;
  Buffer bytes = rx_.pool_.get(length);
  auto opener = keys_->opener(header.seq, header.encode());
  std::array<std::byte, crypto::kTagBytes> tag{};
  std::size_t tag_got = 0;
  for (std::size_t at = 0; at < length;) {
    const std::size_t want = std::min(kPiece, length - at);
    // The last piece and the tag in one read where both have come (one call less a frame).
    const std::array<asio::mutable_buffer, 2> into{
        asio::buffer(bytes.data() + at, want),
        asio::buffer(tag.data(), want == length - at ? tag.size() : 0)};
    const auto got = co_await socket_.async_read_some(into, asio::use_awaitable);
    const std::size_t payload = std::min(got, want);
    opener.update(std::span(bytes.data() + at, payload));
    at += payload;
    tag_got = got - payload;
  }
  if (tag_got < tag.size())
    co_await asio::async_read(socket_, asio::buffer(tag.data() + tag_got, tag.size() - tag_got),
                              asio::use_awaitable);
  if (!opener.finish(tag))
    throw LegError(forged("frame " + std::to_string(header.seq) +
                          ": failed authentication (forged or damaged)"));
  co_return bytes;
}

asio::awaitable<void> RxLeg::decode_and_accept(wire::FrameHeader header, InFrame frame,
                                               Buffer wire_bytes) {
  auto decoded = co_await sidechain::run_on_worker(
      rx_.decoders_, [&header, &wire_bytes, this](sidechain::FrameCodec& codec) {
        return sidechain::decode_frame(codec, rx_.cfg_.unfilter, keys_.get(), header, wire_bytes,
                                       rx_.pool_);
      });
  if (auto* err = std::get_if<sidechain::DecodeError>(&decoded)) {
    if (err->fatal) rx_.on_unfilter_failed(err->text);
    if (err->forged) throw LegError(forged(err->text));
    throw LegError(err->text);
  }
  frame.payload = std::move(std::get<Buffer>(decoded));
  // Opened: its checksum (masked on the wire, see FrameKeys) can be checked now.
  if (keys_ && header.has(wire::FrameFlag::checksum))
    header.checksum ^= keys_->checksum_mask(header.seq);
  accept(header, std::move(frame));
}

asio::awaitable<void> RxLeg::ack_loop() {
  std::optional<wire::Control> last_sent;
  for (;;) {
    const auto ack = rx_.current_ack();
    const bool changed = !last_sent || ack.next_seq != last_sent->next_seq ||
                         ack.complete != last_sent->complete || ack.type != last_sent->type;
    if (changed) {
      const auto bytes = control_bytes(ack);
      co_await asio::async_write(socket_, asio::buffer(bytes), asio::use_awaitable);
      last_sent = ack;
    }
    co_await wakeup_.wait(1s);
  }
}

}  // namespace vmp
