#include "rx/receiver.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/ip/v6_only.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <csignal>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include "rx/key_check.hpp"
#include "util/finish_on_throw.hpp"
#include "util/signal_watch.hpp"
#include "util/socket_tuning.hpp"
#include "util/status_report.hpp"

namespace vmp {
namespace {

using namespace asio::experimental::awaitable_operators;
using namespace std::chrono_literals;
using asio::ip::tcp;
constexpr auto nothrow = asio::experimental::as_tuple(asio::use_awaitable);

// After the stdout failed, how long to keep legs open so the abort reaches the transmitter.
constexpr auto kAbortLinger = 5s;
// Frames waiting in pipes at once (zero-copy), and the room asked for each: 32 MiB, half the
// kernel's default per-user budget for pipe pages (fs.pipe-user-pages-soft).
constexpr std::size_t kMaxPipes = 32;
constexpr std::size_t kPipeBytes = 1 * MiB;
// Extra patience on top of the transmitter's announced outage timeout.
constexpr auto kOutageGrace = 30s;

unsigned io_threads(unsigned configured) {
  if (configured > 0) return configured;
  return std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
}

// Rejections are summarised over this interval (see RejectLog).
constexpr auto kRejectInterval = 5s;

std::string address_of(const tcp::socket& s) {
  asio::error_code ec;
  auto ep = s.remote_endpoint(ec);
  if (ec) return "unknown peer";
  auto addr = ep.address();
  if (addr.is_v6() && addr.to_v6().is_v4_mapped())
    addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
  return addr.to_string();
}

std::string peer_of(const tcp::socket& s) {
  asio::error_code ec;
  auto ep = s.remote_endpoint(ec);
  if (ec) return "unknown peer";
  return address_of(s) + ":" + std::to_string(ep.port());
}

tcp::acceptor open_acceptor(asio::io_context& io, const RxConfig& cfg) {
  tcp::acceptor acceptor(io);
  std::vector<tcp::endpoint> candidates;
  if (cfg.bind_address.empty()) {
    candidates = {tcp::endpoint(tcp::v6(), cfg.port), tcp::endpoint(tcp::v4(), cfg.port)};
  } else {
    asio::error_code ec;
    auto addr = asio::ip::make_address(cfg.bind_address, ec);
    if (ec)
      throw std::runtime_error("cannot listen on '" + cfg.bind_address + "': not an IP address");
    candidates = {tcp::endpoint(addr, cfg.port)};
  }
  asio::error_code ec;
  for (const auto& ep : candidates) {
    acceptor = tcp::acceptor(io);
    acceptor.open(ep.protocol(), ec);
    if (ec) continue;
    if (ep.protocol() == tcp::v6()) acceptor.set_option(asio::ip::v6_only(false), ec);
    acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (cfg.rcvbuf_bytes) {
      acceptor.set_option(
          asio::socket_base::receive_buffer_size(static_cast<int>(cfg.rcvbuf_bytes)), ec);
    }
    acceptor.bind(ep, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) return acceptor;
    if (ec == asio::error::address_in_use) break;  // the v4 fallback would only say the same
  }
  throw std::runtime_error("cannot listen on port " + std::to_string(cfg.port) + ": " +
                           ec.message());
}

}  // namespace

Receiver::Receiver(RxConfig cfg, Logger& log, EngineHooks hooks)
    : cfg_(std::move(cfg)),
      log_(log),
      hooks_(std::move(hooks)),
      start_(std::chrono::steady_clock::now()),
      receiver_id_(std::random_device{}() | (std::uint64_t{std::random_device{}()} << 32) | 1),
      rejects_([this](const std::string& line) { log_.error(line); }, kRejectInterval),
      gate_(cfg_.max_handshakes, cfg_.max_handshakes_per_address),
      // Idle payload buffers kept for reuse: at most the window and its headroom, and at most
      // 64 MiB (the reassembler bounds the rest), so memory stays within the window twice plus
      // constants.
      pool_(std::min<std::size_t>(64 * MiB, BufferPool::budget_for_window(cfg_.window_bytes))),
      frames_(cfg_.window_bytes),
      last_leg_seen_(start_),
      acceptor_(open_acceptor(io_, cfg_)),
      port_(acceptor_.local_endpoint().port()),
      decoders_(cfg_.sidechain_workers != 0 ? cfg_.sidechain_workers
                                            : std::max(1U, std::thread::hardware_concurrency()),
                pool_) {}

Receiver::~Receiver() {
  frames_.close();
  // Teardown order (see io_ in receiver.hpp): the legs' sockets and timers belong to io_, so
  // our list lets go of them while io_ lives; the coroutine frames still suspended in io_ hold
  // their own references and are destroyed (with the pipes and buffers they hold) when io_
  // is, first among the members, while the pools they return things to still exist.
  std::lock_guard lock(mutex_);
  legs_.clear();
}

ExitCode Receiver::run(int out_fd) {
  if (cfg_.zero_copy && SinkWriter::accepts_splice(out_fd)) {
    pipes_ = std::make_unique<PipePool>(kMaxPipes, kPipeBytes);
  }
  writer_ = std::make_unique<SinkWriter>(
      out_fd, frames_,
      SinkWriter::Callbacks{[this](const SinkWriter::Progress& p) { on_writer_progress(p); },
                            [this](const std::string& e) { on_writer_error(e); },
                            hooks_.settle_sink},
      cfg_.sink_name);
  std::thread writer([this] { writer_->run(); });
  asio::co_spawn(io_, accept_loop(), on_throw("the accept loop"));
  asio::co_spawn(io_, tick_loop(), on_throw("the tick loop"));
  if (hooks_.handle_signals)
    asio::co_spawn(
        io_,
        watch_signals(io_, log_, hooks_,
                      {[this] { return snapshot(); },
                       [this](int sig) {
                         // Tell the transmitter first, or it would retry until
                         // its outage timeout.
                         abort_transfer({wire::AbortCode::shutdown, ExitCode::interrupted,
                                         "interrupted by signal " + std::to_string(sig)});
                       },
                       [this] { return finished(); }}),
        on_throw("the signal watch"));
  // Each connection runs on its own strand, so its coroutines never run concurrently while
  // different legs copy their bytes on different cores. Shared state is behind mutex_.
  std::vector<std::jthread> helpers;
  for (unsigned i = 1; i < io_threads(cfg_.io_threads); ++i)
    helpers.emplace_back([this] { io_.run(); });
  io_.run();
  for (auto& t : helpers) t.join();
  frames_.close();
  writer.join();
  rejects_.flush(std::chrono::steady_clock::now(), true);
  if (cfg_.progress) log_.progress(format_progress(snapshot(), true));
  return outcome_.code();
}

std::string Receiver::message() const {
  return outcome_.message();
}

bool Receiver::finish(ExitCode code, std::string message) {
  if (!outcome_.decide(code, std::move(message))) return false;
  frames_.close();
  asio::post(io_, [this] { io_.stop(); });
  return true;
}

std::function<void(std::exception_ptr)> Receiver::on_throw(std::string what) {
  return finish_on_throw(log_, std::move(what), [this](ExitCode code, std::string message) {
    return finish(code, std::move(message));
  });
}

void Receiver::on_auth_failure() {
  std::lock_guard lock(mutex_);
  ++auth_failures_;
}

void Receiver::reject(const tcp::socket& socket, const std::string& why) {
  reject(address_of(socket), peer_of(socket), why);
}

void Receiver::reject(const std::string& address, const std::string& peer, const std::string& why) {
  {
    std::lock_guard lock(mutex_);
    ++rejected_;
  }
  rejects_.reject(address, peer, why);
}

asio::awaitable<void> Receiver::accept_loop() {
  while (!finished()) {
    auto [ec, socket] = co_await acceptor_.async_accept(asio::make_strand(io_), nothrow);
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      log_.info(1, "accept: " + ec.message());  // e.g. EMFILE: keep serving existing legs
      asio::steady_timer pause(io_, 100ms);
      co_await pause.async_wait(nothrow);
      continue;
    }
    auto strand = socket.get_executor();
    tcp::socket conn(std::move(socket));
    std::string why;
    auto pass = gate_.enter(address_of(conn), why);
    if (!pass) {
      reject(conn, why);
      asio::error_code ignored;
      conn.close(ignored);
      continue;
    }
    asio::co_spawn(strand, admit(std::move(conn), std::move(*pass)), on_throw("a connection"));
  }
}

// Handshake checks, in the order that tells a stranger the most useful thing.
asio::awaitable<void> Receiver::admit(tcp::socket socket, HandshakeGate::Pass pass) {
  const auto peer = peer_of(socket);
  const auto address = address_of(socket);
  std::array<std::byte, wire::Hello::kSize> buf{};
  asio::steady_timer deadline(socket.get_executor(), cfg_.handshake_timeout);
  auto got = co_await (asio::async_read(socket, asio::buffer(buf), nothrow) ||
                       deadline.async_wait(nothrow));
  if (got.index() == 1) co_return reject(socket, "no handshake within the timeout");
  if (auto [ec, n] = std::get<0>(got); ec) {
    co_return reject(socket, "closed before a complete handshake (" + ec.message() + ")");
  }
  // Set once a keyed transmitter proved the key: every reply after that carries a tag.
  std::optional<ProvenLeg> proven;
  auto send_reply = [&](const wire::HelloReply& reply) -> asio::awaitable<void> {
    const auto encoded = reply.encode();
    std::vector<std::byte> bytes(encoded.begin(), encoded.end());
    if (proven) {
      const auto tag = proven->auth.outgoing.tag(encoded);
      bytes.insert(bytes.end(), tag.begin(), tag.end());
    }
    co_await asio::async_write(socket, asio::buffer(bytes), nothrow);
  };
  // A refusal says why and nothing else: no sequence numbers, ids or counts for strangers.
  auto refuse = [&](wire::ReplyCode code, const std::string& why) -> asio::awaitable<void> {
    wire::HelloReply reply;
    reply.code = code;
    reject(socket, why);
    co_await send_reply(reply);
  };
  const auto hello = wire::Hello::decode(buf);
  if (!hello) co_return co_await refuse(wire::ReplyCode::malformed, "not a viamillipede handshake");
  if (hello->version != wire::kVersion) {
    co_return co_await refuse(wire::ReplyCode::bad_version,
                              "protocol version " + std::to_string(hello->version) +
                                  ", this receiver speaks " + std::to_string(wire::kVersion));
  }
  if (hello->checkphrase != cfg_.checkphrase)
    co_return co_await refuse(wire::ReplyCode::bad_checkphrase, "wrong checkphrase");
  if (hello->has(wire::HelloFlag::keyed) != (cfg_.key != nullptr)) {
    co_return co_await refuse(
        cfg_.key ? wire::ReplyCode::key_required : wire::ReplyCode::no_key,
        cfg_.key ? "the transmitter has no key, and this receiver requires one (--key-file)"
                 : "the transmitter has a key (--key-file), and this receiver has none");
  }
  if (cfg_.key) {
    auto check = co_await check_key(socket, *cfg_.key, buf, deadline);
    if (!check.leg) {
      if (check.failed_proof) on_auth_failure();
      // The socket may be closed by now: the address read when it was new.
      co_return reject(address, peer, check.failure);
    }
    proven = std::move(check.leg);
  }
  if (hello->has(wire::HelloFlag::filtered) != !cfg_.unfilter.command.empty()) {
    co_return co_await refuse(
        wire::ReplyCode::filter_mismatch,
        cfg_.unfilter.command.empty()
            ? "the transmitter filters frames and this receiver has no --unfilter"
            : "the transmitter does not filter and this receiver has --unfilter");
  }
  // A filtered stream is checked by its raw checksums: an unfilter that does not invert the
  // filter must not pass unnoticed. An honest transmitter always sends them with --filter.
  if (hello->has(wire::HelloFlag::filtered) && !hello->has(wire::HelloFlag::checksums))
    co_return co_await refuse(wire::ReplyCode::malformed, "filtered frames without checksums");
  if (cfg_.require_checksums && !hello->has(wire::HelloFlag::checksums)) {
    co_return co_await refuse(
        wire::ReplyCode::checksums_required,
        "transmitter does not send checksums and this receiver requires them");
  }
  const bool probe = hello->leg == wire::kProbeLeg;
  bool complete = false;
  bool admitted = false;
  bool adopted = false;
  std::list<std::shared_ptr<RxLeg>> displaced;
  {
    std::unique_lock lock(mutex_);
    if (session_ && *session_ != hello->session) {
      // A session that never delivered a frame has nothing to lose: a new one takes over,
      // so one stray (or hostile) Hello cannot hold an idle receiver for its outage timeout.
      if (frames_received_ > 0 || probe || abort_) {
        lock.unlock();
        co_return co_await refuse(wire::ReplyCode::busy, "belongs to another transfer (session " +
                                                             std::to_string(hello->session) + ")");
      }
      log_.info(1, "session " + std::to_string(*session_) + " sent nothing; session " +
                       std::to_string(hello->session) + " from " + peer + " takes over");
      displaced.swap(legs_);
      session_.reset();
      seen_leg_ids_.clear();
    }
    // A keyed session's frame keys come from its transmitter's salt, the same on every leg.
    if (proven && session_ && *session_ == hello->session && session_salt_ &&
        *session_salt_ != proven->offer.session_salt) {
      lock.unlock();
      co_return co_await refuse(
          wire::ReplyCode::malformed,
          "a leg of session " + std::to_string(hello->session) + " with another session salt");
    }
    complete = written_.complete;
    // Legs keep coming after completion: the transmitter's end frame may arrive on a new one.
    admitted = !probe && !abort_;
    if (!session_ && admitted) {
      session_ = hello->session;
      ++session_generation_;
      adopted = true;
      if (proven) {
        session_salt_ = proven->offer.session_salt;
        frame_keys_ = std::make_shared<const crypto::FrameKeys>(
            *cfg_.key, proven->offer.session_salt, proven->cipher);
      } else {
        session_salt_.reset();
        frame_keys_.reset();
      }
      outage_timeout_ =
          std::min(std::chrono::seconds(hello->outage_timeout_seconds), cfg_.max_outage);
      log_.info(1, "session " + std::to_string(hello->session) + " from " + peer);
    }
    if (admitted) last_leg_seen_ = std::chrono::steady_clock::now();
  }
  for (auto& leg : displaced) leg->close_soon();
  if (adopted && hooks_.on_session) hooks_.on_session();
  {
    wire::HelloReply reply;
    reply.code = complete ? wire::ReplyCode::complete : wire::ReplyCode::accept;
    std::unique_lock lock(mutex_);
    const auto count = written_count();
    lock.unlock();
    reply.next_seq = count.frames;
    reply.bytes = count.bytes;
    reply.digest = complete ? count.digest : 0;
    // A keyed session's digest travels masked (see FrameKeys::digest_mask).
    if (complete && proven) {
      std::lock_guard keys_lock(mutex_);
      if (frame_keys_) reply.digest ^= frame_keys_->digest_mask();
    }
    reply.receiver_id = receiver_id_;
    reply.window_bytes = cfg_.window_bytes;
    co_await send_reply(reply);
  }
  if (!admitted) co_return;             // a probe, or the transfer has been aborted
  { auto released = std::move(pass); }  // no longer a stranger: out of the handshake caps
  std::shared_ptr<RxLeg> leg;
  {
    std::lock_guard lock(mutex_);
    // The session may have been taken over while we wrote the reply.
    if (session_ != hello->session) co_return;
    // The transmitter reuses its slot number as the leg id: a known id is a reconnect.
    if (!seen_leg_ids_.insert(hello->leg).second) ++reconnects_;
    std::optional<crypto::LegAuth> auth;
    if (proven) auth.emplace(std::move(proven->auth));
    leg = std::make_shared<RxLeg>(*this, std::move(socket), hello->leg, peer, std::move(auth),
                                  frame_keys_, session_generation_);
    legs_.push_back(leg);
  }
  co_await leg->run();
  std::unique_lock lock(mutex_);
  auto ended = leg->stats();
  auto& total = closed_legs_[ended.id];
  total.id = ended.id;
  total.link = ended.link;
  total.bytes += ended.bytes;
  total.frames += ended.frames;
  legs_.remove(leg);
  last_leg_seen_ = std::chrono::steady_clock::now();
}

bool Receiver::same_session(std::uint64_t generation) const {
  std::lock_guard lock(mutex_);
  return generation == session_generation_;
}

wire::StreamCount Receiver::written_count() const {
  return {written_.next_seq, written_.bytes, written_.digest};
}

void Receiver::on_end(const wire::StreamCount& sent) {
  std::unique_lock lock(mutex_);
  if (!written_.complete) {
    // An honest transmitter sends its end frame only after our completion ack.
    lock.unlock();
    log_.error("an end frame arrived before the stream was complete; ignoring it");
    return;
  }
  const auto wrote = written_count();
  lock.unlock();
  if (cfg_.expect_bytes && wrote.bytes != *cfg_.expect_bytes) {
    finish(ExitCode::mismatch, "the stream was " + std::to_string(wrote.bytes) +
                                   " bytes, not the " + std::to_string(*cfg_.expect_bytes) +
                                   " of --expect-bytes");
    return;
  }
  if (wrote == sent) {
    finish(ExitCode::ok, "complete");
    return;
  }
  finish(
      ExitCode::mismatch,
      "the transmitter sent " + wire::to_string(sent) + " but this receiver wrote " +
          wire::to_string(wrote) +
          (sent.frames == wrote.frames && sent.bytes == wrote.bytes ? " with another digest" : "") +
          ": the output is not the stream that was sent");
}

bool Receiver::on_altered(const std::string& why) {
  {
    std::lock_guard lock(mutex_);
    if (frames_received_ == 0) return false;
  }
  abort_transfer({wire::AbortCode::mismatch, ExitCode::mismatch,
                  why + ": the stream was altered on the way; stopping"});
  return true;
}

wire::Control Receiver::current_ack() const {
  std::lock_guard lock(mutex_);
  wire::Control c;
  c.next_seq = written_.next_seq;
  c.bytes = written_.bytes;
  c.complete = written_.complete;
  if (c.complete) c.digest = written_.digest;
  if (abort_) {
    c.type = wire::ControlType::abort;
    c.abort = abort_->code;
  }
  return c;
}

void Receiver::on_unfilter_failed(const std::string& why) {
  abort_transfer({wire::AbortCode::filter_failed, ExitCode::filter, why});
}

bool Receiver::on_frame(const std::string& link, const wire::FrameHeader& header,
                        std::uint64_t generation) {
  {
    std::lock_guard lock(mutex_);
    // Checked and counted under one lock: a session is taken over only while it has no frame
    // counted, so either this frame counts (and the session can no longer be taken over) or
    // the takeover came first (and a frame of the old session stays out of the new one).
    if (generation != session_generation_) return false;
    ++frames_received_;
    bytes_received_ += header.length;               // stream bytes
    link_bytes_[link] += header.payload_on_wire();  // what the path carried
  }
  codecs_.add(header.codec, header.length, header.payload_on_wire());  // its own lock
  return true;
}

void Receiver::on_writer_progress(const SinkWriter::Progress& p) {
  {
    std::lock_guard lock(mutex_);
    written_ = p;
    if (p.complete) ended_at_ = std::chrono::steady_clock::now();
  }
  asio::post(io_, [this] {
    std::lock_guard lock(mutex_);
    for (auto& leg : legs_) leg->notify();
  });
}

void Receiver::on_cancel(wire::CancelReason reason) {
  {
    // We gave up first (and told the transmitter): its cancel is the answer to our abort,
    // and our own reason is the one to report.
    std::unique_lock lock(mutex_);
    if (abort_) {
      auto ours = *abort_;
      lock.unlock();
      finish(ours.exit, ours.message);
      return;
    }
  }
  // Exit as the transmitter does, so both ends of a pipeline report the same failure.
  const ExitCode code = reason == wire::CancelReason::source_failed   ? ExitCode::source
                        : reason == wire::CancelReason::interrupted   ? ExitCode::interrupted
                        : reason == wire::CancelReason::filter_failed ? ExitCode::filter
                                                                      : ExitCode::internal;
  finish(code, "the transmitter cancelled the transfer: " + std::string(wire::describe(reason)));
}

void Receiver::on_writer_error(const std::string& error) {
  // Said once: a sink that failed because the transfer was already ending (a prbs check that
  // stopped us, a tunnel's other direction) adds nothing.
  if (abort_transfer({wire::AbortCode::sink_failed, ExitCode::sink, error}))
    log_.error(error + "; telling the transmitter and stopping");
}

void Receiver::stop(wire::AbortCode reason, ExitCode exit, std::string why) {
  abort_transfer({reason, exit, std::move(why)});
}

bool Receiver::abort_transfer(Abort abort) {
  {
    std::lock_guard lock(mutex_);
    if (abort_) return false;
    abort_ = std::move(abort);
    ended_at_ = std::chrono::steady_clock::now();
  }
  asio::post(io_, [this] {
    std::lock_guard lock(mutex_);
    for (auto& leg : legs_) leg->notify();
  });
  return true;
}

asio::awaitable<void> Receiver::tick_loop() {
  asio::steady_timer timer(io_);
  auto next_sample = std::chrono::steady_clock::now();
  auto next_progress = next_sample;
  while (!finished()) {
    timer.expires_after(200ms);
    co_await timer.async_wait(nothrow);
    const auto now = std::chrono::steady_clock::now();
    std::unique_lock lock(mutex_);
    if (now >= next_sample) {
      for (auto& leg : legs_) leg->sample_tcp();
      next_sample = now + 1s;
    }
    const bool no_legs = legs_.empty();
    if (abort_) {
      if (no_legs || now - ended_at_ > kAbortLinger) {
        auto abort = *abort_;
        lock.unlock();
        finish(abort.exit, abort.message);
      }
      continue;
    }
    if (written_.complete) {
      // Waiting for the transmitter's end frame (on_end finishes the run when it comes).
      if (now - ended_at_ > cfg_.linger) {
        lock.unlock();
        finish(ExitCode::network,
               "the stream was written but the transmitter never confirmed its end (no end "
               "frame within " +
                   std::to_string(cfg_.linger.count()) + " s): the output may be incomplete");
      }
      continue;
    }
    if (session_ && no_legs && now - last_leg_seen_ > outage_timeout_ + kOutageGrace) {
      const auto waited = std::chrono::duration_cast<std::chrono::seconds>(now - last_leg_seen_);
      lock.unlock();
      finish(ExitCode::network, "transmitter gone: no leg for " + std::to_string(waited.count()) +
                                    " s (its outage timeout plus grace)");
      continue;
    }
    lock.unlock();
    rejects_.flush(now);
    report_gap();
    if (cfg_.progress && now >= next_progress) {
      log_.progress(format_progress(snapshot(), false));
      next_progress = now + 500ms;
    }
  }
}

void Receiver::report_gap() {
  // Output waits for one missing frame while others pile up behind it: the transmitter's
  // side of the story is in its "unconfirmed" lines.
  constexpr auto kLong = 1s;
  const auto gap = frames_.gap();
  if (!gap || gap->waited < kLong || gap->seq == gap_reported_) return;
  gap_reported_ = gap->seq;
  char line[160];
  std::snprintf(
      line, sizeof line, "waiting %.1f s for frame %llu; %zu frames (%s) arrived behind it",
      std::chrono::duration<double>(gap->waited).count(), static_cast<unsigned long long>(gap->seq),
      gap->frames_behind, format_bytes(static_cast<double>(gap->bytes_behind)).c_str());
  log_.info(2, line);
}

Stats Receiver::snapshot() const {
  Stats s;
  s.role = Role::rx;
  s.elapsed_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  s.reorder_bytes = frames_.buffered_bytes();
  s.resent_frames = frames_.duplicates();
  s.network_stall_seconds = frames_.stall_seconds();
  if (writer_) s.sink_stall_seconds = writer_->stall_seconds();
  std::lock_guard lock(mutex_);
  s.session_id = session_.value_or(0);
  s.bytes_in = bytes_received_;
  s.bytes_out = written_.bytes;
  s.frames = frames_received_;
  s.rejected_connections = rejected_;
  s.keyed = cfg_.key != nullptr;
  if (frame_keys_) s.cipher = crypto::describe(frame_keys_->cipher());
  s.auth_failures = auth_failures_;
  s.window_bytes_limit = cfg_.window_bytes;
  s.expected_bytes = cfg_.expect_bytes.value_or(0);  // what the reorder buffer may hold at most
  s.reconnects = reconnects_;
  s.finished = outcome_.decided();
  s.exit_reason = outcome_.message();
  if (auto codecs = codecs_.snapshot();
      codecs.size() > 1 || (codecs.size() == 1 && codecs[0].codec != "none")) {
    SidechainStats sc;
    sc.setting = "decode";
    sc.workers = decoders_.workers();
    sc.busy_seconds = decoders_.busy_seconds();
    sc.depth = decoders_.depth();
    sc.codecs = std::move(codecs);
    s.sidechain = std::move(sc);
  }
  for (const auto& [address, bytes] : link_bytes_) {
    LinkStats l;
    l.target = address;
    l.index = static_cast<std::uint32_t>(s.links.size());
    l.bytes = bytes;
    s.links.push_back(std::move(l));
  }
  std::map<std::uint32_t, LegStats> by_id = closed_legs_;
  for (auto& [id, ls] : by_id) {
    ls.state = LegState::down;
    ls.reconnects = 0;
  }
  for (const auto& leg : legs_) {
    auto live = leg->stats();
    auto& ls = by_id[live.id];
    live.bytes += ls.bytes;
    live.frames += ls.frames;
    ls = std::move(live);
  }
  for (auto& [id, ls] : by_id) {
    for (auto& l : s.links) {
      if (l.target != ls.link) continue;
      ls.link_index = l.index;
      if (ls.state == LegState::up) {
        l.up = true;
        ++l.legs_up;
      }
    }
    s.legs.push_back(std::move(ls));
  }
  return s;
}

}  // namespace vmp
