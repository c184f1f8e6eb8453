// One TxLeg against a fake host (the way the tuner is tested against a fake transfer): the
// host dials loopback connections whose far end is played by the test, so the leg's own
// behaviour (send, ack, reconnect and resend, drain) is checked without a Transmitter.
#include "tx/tx_leg.hpp"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <functional>

#include "tx/send_queue.hpp"
#include "util/outcome.hpp"

namespace vmp {
namespace {

using asio::ip::tcp;
using namespace std::chrono_literals;

class FakeHost final : public TxLegHost {
 public:
  // Plays the receiver's side of one connection.
  using Peer = std::function<asio::awaitable<void>(tcp::socket)>;

  explicit FakeHost(asio::io_context& io)
      : io_(io), acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}

  bool finished() const override { return outcome.decided(); }
  bool slot_wanted(std::uint32_t) const override { return wanted; }
  std::optional<std::size_t> link_for(std::uint32_t) const override { return 0; }
  std::string link_label(std::size_t) const override { return "fake:1"; }
  asio::awaitable<DialResult> dial(std::size_t, std::uint32_t) override {
    ++dials;
    tcp::socket client(io_);
    co_await client.async_connect(acceptor_.local_endpoint(), asio::use_awaitable);
    auto server = co_await acceptor_.async_accept(asio::use_awaitable);
    asio::co_spawn(io_, peers.at(dials - 1)(std::move(server)), asio::detached);
    DialResult r;
    r.status = DialResult::Status::ok;
    r.socket = std::move(client);
    r.reply.code = wire::ReplyCode::accept;
    r.reply.receiver_id = 7;
    r.reply.next_seq = queue_.acked_seq();
    co_return r;
  }
  SocketTuning socket_tuning() const override { return {}; }
  void link_up(std::size_t) override { ++links_up; }
  void link_failed(std::size_t, const std::string&, bool) override { ++links_failed; }
  bool same_receiver(std::uint64_t id, std::size_t) override { return id == 7; }
  SendQueue& queue() override { return queue_; }
  std::optional<wire::FrameHeader> closing_frame() const override { return closing; }
  void cancel_sent() override {}
  bool chaos_strikes() override { return false; }
  void sent(std::size_t, std::uint32_t bytes) override { sent_bytes += bytes; }
  LinkPacer pacer(std::size_t) override { return {}; }
  void on_ack(std::uint64_t next_seq, std::uint64_t) override { queue_.on_ack(next_seq); }
  // As the transmitter does when the count matches: the legs then send the end frame.
  void on_complete(const wire::StreamCount& written) override {
    completed = written;
    closing = wire::FrameHeader::end_of(written);
    finish(ExitCode::ok, "complete");
  }
  void set_receiver_window(std::uint64_t bytes) override { receiver_window = bytes; }
  bool finish(ExitCode code, std::string message) override {
    return outcome.decide(code, std::move(message));
  }
  const Logger& log() const override { return log_; }
  void auth_failed(const std::string&) override { ++auth_failures; }
  std::uint64_t digest_mask() const override { return 0; }
  bool receiver_proven() const override { return false; }

  std::vector<Peer> peers;  // one per expected connection, in order
  bool wanted = true;
  int dials = 0;
  int links_up = 0;
  int links_failed = 0;
  int auth_failures = 0;
  std::uint64_t sent_bytes = 0;
  std::uint64_t receiver_window = 0;
  std::optional<wire::StreamCount> completed;
  std::optional<wire::FrameHeader> closing;
  Outcome outcome;

 private:
  asio::io_context& io_;
  tcp::acceptor acceptor_;
  SendQueue queue_{1 * MiB};
  Logger log_{"tx_leg_test"};
};

OutFramePtr frame(BufferPool& pool, std::uint64_t seq, std::uint32_t len) {
  auto f = std::make_shared<OutFrame>();
  f->header.seq = seq;
  f->header.offset = seq * len;
  f->header.length = len;
  f->payload = pool.get(len);
  std::fill_n(f->payload.data(), len, static_cast<std::byte>(seq + 1));
  return f;
}

// Reads one frame; returns its header.
asio::awaitable<wire::FrameHeader> read_frame(tcp::socket& s) {
  std::array<std::byte, wire::FrameHeader::kSize> hbuf{};
  co_await asio::async_read(s, asio::buffer(hbuf), asio::use_awaitable);
  auto header = wire::FrameHeader::decode(hbuf);
  if (!header) throw std::runtime_error("bad frame header");
  std::vector<std::byte> payload(header->length);
  co_await asio::async_read(s, asio::buffer(payload), asio::use_awaitable);
  co_return *header;
}

asio::awaitable<void> send_ack(tcp::socket& s, std::uint64_t next_seq, bool complete) {
  wire::Control c;
  c.next_seq = next_seq;
  c.complete = complete;
  c.bytes = 1000 * next_seq;
  const auto bytes = c.encode();
  co_await asio::async_write(s, asio::buffer(bytes), asio::use_awaitable);
}

void run_leg(asio::io_context& io, TxLeg& leg) {
  leg.set_running();
  asio::co_spawn(io, leg.run(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run_for(20s);
  EXPECT_FALSE(leg.running()) << "the leg did not end";
}

TEST(TxLeg, SendsAFrameAndEndsOnTheCompleteAckWithAnEndFrame) {
  asio::io_context io;
  BufferPool pool(0);
  FakeHost host(io);
  std::vector<wire::FrameHeader> got;
  host.peers.push_back([&](tcp::socket s) -> asio::awaitable<void> {
    got.push_back(co_await read_frame(s));
    co_await send_ack(s, 1, true);
    got.push_back(co_await read_frame(s));  // the end frame confirms the count
  });
  host.queue().push(frame(pool, 0, 1000));
  TxLeg leg(host, io.get_executor(), 0);
  run_leg(io, leg);

  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].seq, 0u);
  EXPECT_EQ(got[0].length, 1000u);
  EXPECT_EQ(got[1].kind, wire::FrameKind::end);
  EXPECT_EQ(got[1].end_count(), (wire::StreamCount{1, 1000, 0}));
  EXPECT_EQ(host.outcome.code(), ExitCode::ok);
  EXPECT_EQ(host.links_up, 1);
  EXPECT_EQ(host.sent_bytes, 1000u);
  EXPECT_EQ(host.queue().held_bytes(), 0u);
  const auto stats = leg.stats();
  EXPECT_EQ(stats.frames, 1u);
  EXPECT_EQ(stats.reconnects, 0u);
  EXPECT_EQ(stats.state, LegState::down);
}

TEST(TxLeg, ALostConnectionGivesItsFramesBackAndReconnects) {
  asio::io_context io;
  BufferPool pool(0);
  FakeHost host(io);
  host.peers.push_back([&](tcp::socket s) -> asio::awaitable<void> {
    co_await read_frame(s);
    s.close();  // gone without an ack
  });
  std::vector<wire::FrameHeader> second;
  host.peers.push_back([&](tcp::socket s) -> asio::awaitable<void> {
    second.push_back(co_await read_frame(s));
    co_await send_ack(s, 1, true);
  });
  host.queue().push(frame(pool, 0, 1000));
  TxLeg leg(host, io.get_executor(), 0);
  run_leg(io, leg);

  EXPECT_EQ(host.dials, 2);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].seq, 0u);  // the same frame, sent again on the new connection
  EXPECT_EQ(host.outcome.code(), ExitCode::ok);
  const auto stats = leg.stats();
  EXPECT_EQ(stats.reconnects, 1u);
  EXPECT_EQ(stats.resent_frames, 1u);
  EXPECT_FALSE(leg.in_flight(0));  // nothing survives the connection it was sent on
}

TEST(TxLeg, ADrainHalfClosesAndParksWhatTheReceiverRead) {
  asio::io_context io;
  BufferPool pool(0);
  FakeHost host(io);
  TxLeg leg(host, io.get_executor(), 0);
  bool saw_eof = false;
  host.peers.push_back([&](tcp::socket s) -> asio::awaitable<void> {
    co_await read_frame(s);
    host.wanted = false;  // the legs knob went down
    leg.request_drain();
    std::array<std::byte, 1> b{};
    auto [ec, n] = co_await asio::async_read(s, asio::buffer(b),
                                             asio::experimental::as_tuple(asio::use_awaitable));
    saw_eof = ec == asio::error::eof;
    s.close();
  });
  host.queue().push(frame(pool, 0, 1000));
  run_leg(io, leg);

  EXPECT_TRUE(saw_eof);
  EXPECT_EQ(host.dials, 1);
  EXPECT_FALSE(host.finished());
  // Parked, not pending: the frame is unconfirmed but held by no leg and not sent again.
  const auto head = host.queue().head();
  ASSERT_TRUE(head);
  EXPECT_FALSE(head->leg);
  EXPECT_EQ(host.queue().held_bytes(), 1000u);
  EXPECT_EQ(host.queue().take(1, 0), std::nullopt);
}

TEST(TxLeg, TheSocketsUnsentQueueFollowsTheLegsMeasuredSpeed) {
  // The peer reads about 700 KB/s through a small receive buffer, so the leg's measured speed
  // is far below what sets the 256 KiB it starts with (socket_tuning.hpp: 0.1 s of it).
  asio::io_context io;
  BufferPool pool(0);
  FakeHost host(io);
  TxLeg leg(host, io.get_executor(), 0);
  constexpr std::uint64_t kFrames = 80;
  constexpr std::uint32_t kLength = 16 * 1024;
  std::optional<std::uint32_t> seen_lowat;
  std::optional<LegSpeed> seen_speed;
  host.peers.push_back([&](tcp::socket s) -> asio::awaitable<void> {
    s.set_option(asio::socket_base::receive_buffer_size(64 * 1024));
    asio::steady_timer pace(s.get_executor());
    for (std::uint64_t i = 0; i < kFrames; ++i) {
      co_await read_frame(s);
      pace.expires_after(20ms);
      co_await pace.async_wait(asio::use_awaitable);
      if (i == kFrames / 2) {
        seen_speed = leg.speed();
        seen_lowat = leg.notsent_lowat();
      }
    }
    co_await send_ack(s, kFrames, true);
    co_await read_frame(s);
  });
  for (std::uint64_t i = 0; i < kFrames; ++i) host.queue().push(frame(pool, i, kLength));
  // As the transmitter's tick does.
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer tick(io);
        while (!host.finished()) {
          leg.sample_tcp();
          tick.expires_after(200ms);
          co_await tick.async_wait(asio::use_awaitable);
        }
      },
      asio::detached);
  run_leg(io, leg);

  EXPECT_EQ(host.outcome.code(), ExitCode::ok);
  ASSERT_TRUE(seen_speed) << "no speed measured after " << kFrames / 2 << " frames";
  ASSERT_TRUE(seen_lowat);
  EXPECT_LT(*seen_lowat, 256u * 1024) << "measured " << seen_speed->bytes_per_second << " B/s";
  // Reset only when the speed moves by 25%: within that of what its speed asks for.
  const double wanted = notsent_lowat_for(seen_speed->bytes_per_second);
  EXPECT_GE(*seen_lowat, 0.74 * wanted);
  EXPECT_LE(*seen_lowat, 1.34 * wanted);
}

}  // namespace
}  // namespace vmp
