#include "tx/transmitter.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <csignal>
#include <cstdio>
#include <limits>
#include <random>
#include <stdexcept>
#include <thread>

#include "crypto/primitives.hpp"
#include "tx/dialer.hpp"
#include "util/finish_on_throw.hpp"
#include "util/signal_watch.hpp"
#include "util/status_report.hpp"

namespace vmp {
namespace {

using namespace std::chrono_literals;
constexpr auto nothrow = asio::experimental::as_tuple(asio::use_awaitable);
constexpr auto kTick = 200ms;
// Frames are sized so that the slowest leg carries one in about this long, never below
// kMinSizedFrame (the per-frame cost stays small: at 64 KiB, 1 Gbit/s is ~2000 frames/s).
constexpr double kFrameTime = 0.25;  // seconds
constexpr std::uint64_t kMinSizedFrame = 64 * KiB;
// Until the legs' speeds are measured (two ticks), frames are at most this big.
constexpr std::uint64_t kFirstFrames = 256 * KiB;
constexpr auto kFirstFramesFor = 2 * kTick;
// The reader reads at most this far ahead of what the legs deliver (and at least two frames
// per leg): frames are cut when they are about to be sent, sized from the legs' speeds then,
// not all at the start (a 64 MiB window swallows a whole 15 MB stream in 1 MiB frames before
// anything is known; on four reno legs at 3% loss each then carried 1 MiB for 8 s).
constexpr double kReadAhead = 2.0;  // seconds
constexpr std::uint64_t kMinWindow = 4 * MiB;

std::uint64_t random_session_id() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

crypto::Salt random_salt() {
  crypto::Salt salt{};
  crypto::random_bytes(salt);
  return salt;
}

}  // namespace

Transmitter::Transmitter(TxConfig cfg, Logger& log, EngineHooks hooks)
    : cfg_(std::move(cfg)),
      log_(log),
      hooks_(std::move(hooks)),
      session_(random_session_id()),
      dial_key_(cfg_.key ? std::optional<DialKey>(DialKey{cfg_.key, random_salt(), cfg_.cipher})
                         : std::nullopt),
      frame_keys_(dial_key_ ? std::make_shared<const crypto::FrameKeys>(
                                  *cfg_.key, dial_key_->session_salt, cfg_.cipher)
                            : nullptr),
      start_(std::chrono::steady_clock::now()),
      pool_(BufferPool::budget_for_window(cfg_.knobs.window_bytes)),
      queue_(cfg_.knobs.window_bytes),
      limiter_(cfg_.targets.size(), cfg_.knobs),
      knobs_(cfg_.knobs),
      planner_(cfg_.targets, session_),
      unresolvable_(cfg_.targets.size(), false),
      link_bytes_(std::make_unique<std::atomic<std::uint64_t>[]>(cfg_.targets.size())),
      last_leg_up_(start_) {
  if (auto err = validate(knobs_)) throw std::invalid_argument(*err);
  planner_.set_shape(knobs_.legs, knobs_.legs_per_link_max, knobs_.link_weights);
  // Here, not in run(): the tuner and metrics threads may take snapshots before run() starts.
  start_sidechain();
}

Transmitter::~Transmitter() {
  reader_stop_.signal();
  queue_.close();
  // Teardown order (see io_ in transmitter.hpp): the legs' sockets and timers belong to io_;
  // their coroutines, destroyed with io_, hold the last references.
  std::lock_guard lock(mutex_);
  legs_.clear();
}

ExitCode Transmitter::run(int in_fd) {
  SourceReader::Options ropts;
  ropts.fd = in_fd;
  ropts.checksums = cfg_.checksums;
  ropts.expect_bytes = cfg_.expect_bytes;
  expected_bytes_ = cfg_.expect_bytes.value_or(0);
  if (struct stat st{}; !cfg_.expect_bytes && ::fstat(in_fd, &st) == 0 && S_ISREG(st.st_mode)) {
    const auto at = ::lseek(in_fd, 0, SEEK_CUR);
    if (at >= 0 && at <= st.st_size) expected_bytes_ = static_cast<std::uint64_t>(st.st_size - at);
  }
  ropts.zero_copy = cfg_.zero_copy;
  if (cfg_.charmode) ropts.flush_after = std::chrono::milliseconds(0);
  ropts.limit_bytes = cfg_.limit_bytes;
  ropts.delay_per_chunk = cfg_.delay_per_chunk;
  if (cfg_.limit_bytes && (expected_bytes_ == 0 || *cfg_.limit_bytes < expected_bytes_))
    expected_bytes_ = *cfg_.limit_bytes;
  ropts.frame_bytes = [this] {
    std::lock_guard lock(mutex_);
    return frame_size_locked();
  };
  ropts.stage = stage_.get();
  // From the first frame on: the queue starts with the knob, and a file stdin would fill all of
  // it with first-size frames before the first tick (200 ms) could lower it.
  update_window();
  reader_ = std::make_unique<SourceReader>(std::move(ropts), queue_, pool_, reader_stop_);
  std::thread reader([this] {
    auto result = reader_->run();
    if (!result.ok) finish(ExitCode::source, result.error);
  });

  asio::post(io_, [this] { reshape_legs(); });
  asio::co_spawn(io_, tick_loop(), on_throw("the tick loop"));
  if (hooks_.handle_signals)
    asio::co_spawn(io_,
                   watch_signals(io_, log_, hooks_,
                                 {[this] { return snapshot(); },
                                  [this](int sig) {
                                    finish(ExitCode::interrupted,
                                           "interrupted by signal " + std::to_string(sig));
                                  },
                                  [this] { return finished(); }}),
                   on_throw("the signal watch"));
  io_.run();

  reader_stop_.signal();
  queue_.close();
  if (stage_) stage_->stop();
  reader.join();
  if (cfg_.progress) print_progress(true);
  // Its workers call into this transmitter: none may run once run() returns. The stage stays
  // for the last snapshot (the final --stats-json).
  if (stage_) stage_->join();
  return outcome_.code();
}

void Transmitter::start_sidechain() {
  if (cfg_.filter.command.empty() && knobs_.compress == "none" && !cfg_.compress_auto &&
      !frame_keys_)
    return;
  sidechain::TxStage::Options opts;
  const auto cores = std::max(1U, std::thread::hardware_concurrency());
  opts.threads = std::max(cores, knobs_.sidechain_workers);
  opts.workers_now = [this, cores] {
    std::lock_guard lock(mutex_);
    return knobs_.sidechain_workers == 0 ? cores : knobs_.sidechain_workers;
  };
  opts.filter = cfg_.filter;
  opts.keys = frame_keys_;
  // Sealing alone, and the workers not asked for: on the reader (see Options::seal_on_reader).
  opts.seal_on_reader = cfg_.filter.command.empty() && knobs_.compress == "none" &&
                        !cfg_.compress_auto && knobs_.sidechain_workers == 0;
  opts.compression = [this] {
    std::lock_guard lock(mutex_);
    // validate() let only parseable values into the knob.
    return sidechain::parse_compression(knobs_.compress).value_or(sidechain::Compression{});
  };
  opts.probe_codecs = cfg_.compress_tuned;
  opts.emit = [this](std::shared_ptr<OutFrame> frame) { queue_.push(std::move(frame), true); };
  opts.fail = [this](std::string error) { finish(ExitCode::filter, std::move(error)); };
  stage_ = std::make_unique<sidechain::TxStage>(std::move(opts), pool_);
  // With the tuner it takes over from the feedback at its first apply(), and must then be the
  // only one moving the codec.
  if (cfg_.compress_auto) feedback_.emplace(knobs_.compress);
}

std::string Transmitter::message() const {
  return outcome_.message();
}

std::function<void(std::exception_ptr)> Transmitter::on_throw(std::string what) {
  return finish_on_throw(log_, std::move(what), [this](ExitCode code, std::string message) {
    return finish(code, std::move(message));
  });
}

bool Transmitter::finish(ExitCode code, std::string message) {
  if (!outcome_.decide(code, std::move(message))) return false;
  reader_stop_.signal();
  queue_.close();
  if (stage_) stage_->stop();
  // Failures of our own are told to the receiver, which would otherwise wait out the outage
  // timeout; failures it told us about, or an unreachable receiver, need no word.
  // A complete stream is confirmed with an end frame the same way.
  const auto reason = code == ExitCode::source        ? wire::CancelReason::source_failed
                      : code == ExitCode::interrupted ? wire::CancelReason::interrupted
                      : code == ExitCode::internal    ? wire::CancelReason::internal
                      : code == ExitCode::mismatch    ? wire::CancelReason::mismatch
                      : code == ExitCode::filter      ? wire::CancelReason::filter_failed
                                                      : wire::CancelReason::none;
  if (reason == wire::CancelReason::none && !end_confirmed_.load()) {
    asio::post(io_, [this] { stop_now(); });
    return true;
  }
  cancel_reason_.store(reason);
  // Not on_throw(): the outcome is decided, and a throw here must still stop the I/O thread.
  asio::co_spawn(io_, cancel_and_stop(), [this](std::exception_ptr e) {
    if (!e) return;
    log_.error("internal error while cancelling the transfer");
    stop_now();
  });
  return true;
}

std::optional<wire::FrameHeader> Transmitter::closing_frame() const {
  if (const auto reason = cancel_reason_.load(); reason != wire::CancelReason::none) {
    wire::FrameHeader cancel;
    cancel.kind = wire::FrameKind::cancel;
    cancel.cancel = reason;
    return cancel;
  }
  if (end_confirmed_.load()) return wire::FrameHeader::end_of(end_count_);
  return std::nullopt;
}

void Transmitter::on_complete(const wire::StreamCount& written) {
  if (finished()) return;
  const auto sent = reader_ ? reader_->final_count() : std::nullopt;
  if (sent && *sent == written) {
    end_count_ = *sent;
    end_confirmed_.store(true);
    finish(ExitCode::ok, "complete");
    return;
  }
  std::string what = "the receiver reports the stream complete with " + wire::to_string(written);
  if (!sent) {
    what += " written, but stdin has not ended (" + std::to_string(reader_->frames()) +
            " frames, " + std::to_string(reader_->bytes_read()) + " bytes read so far)";
  } else {
    what += (sent->frames == written.frames && sent->bytes == written.bytes)
                ? " written, but its digest differs from what was sent"
                : " written, but " + wire::to_string(*sent) + " were sent";
  }
  finish(ExitCode::mismatch, what + ": the stream was altered or cut short on the way");
}

void Transmitter::set_receiver_window(std::uint64_t bytes) {
  if (bytes == 0 || receiver_window_.exchange(bytes) == bytes) return;
  std::lock_guard lock(mutex_);
  if (effective_window(knobs_.window_bytes) < knobs_.window_bytes) {
    log_.info(1, "the receiver holds at most " + std::to_string(bytes) +
                     " bytes for reordering: window lowered to that");
  }
  queue_.set_window(window_locked());
}

std::uint32_t Transmitter::frame_size_locked() const {
  // Two frames fit in the window the receiver allows, or the reader would wait forever.
  auto fit = std::max<std::uint64_t>(kFrameRange.min, effective_window(knobs_.window_bytes) / 2);
  // A frame takes its leg at most about kFrameTime: a frame is the unit the receiver waits
  // for, so a 1 MiB frame on a leg that carries 6 Mbit/s (16 legs sharing a lossy
  // 100 Mbit/s path) would hold the stream 1.4 s, and the last frames of a stream would
  // trail it by that much (issue 12). The knob is the ceiling (fast legs: fewer frames).
  if (const auto slowest = queue_.slowest_bytes_per_second()) {
    fit = std::min(fit, std::max<std::uint64_t>(kMinSizedFrame,
                                                static_cast<std::uint64_t>(*slowest * kFrameTime)));
  } else if (std::chrono::steady_clock::now() - start_ < kFirstFramesFor) {
    fit = std::min(fit, kFirstFrames);
  }
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(knobs_.frame_bytes, fit));
}

std::uint64_t Transmitter::window_locked() const {
  const auto ceiling = effective_window(knobs_.window_bytes);
  const std::uint64_t floor =
      std::max<std::uint64_t>(kMinWindow, 2ull * knobs_.legs * frame_size_locked());
  const auto ahead = static_cast<std::uint64_t>(delivery_rate_ * kReadAhead);
  return std::min(ceiling, std::max(floor, ahead));
}

void Transmitter::update_window() {
  std::lock_guard lock(mutex_);
  queue_.set_window(window_locked());
}

std::uint64_t Transmitter::effective_window(std::uint64_t knob) const {
  const auto limit = receiver_window_.load();
  return limit == 0 ? knob : std::min(knob, limit);
}

void Transmitter::stop_now() {
  std::lock_guard lock(mutex_);
  for (auto& leg : legs_) leg->kill();
  io_.stop();
}

asio::awaitable<void> Transmitter::cancel_and_stop() {
  // Each up leg sends the cancel frame after the frame it is writing; a leg stuck on a dead
  // path does not hold the exit up for more than kCancelLimit.
  constexpr auto kCancelLimit = 1s;
  std::vector<TxLeg*> up;
  {
    std::lock_guard lock(mutex_);
    for (auto& leg : legs_) {
      if (leg->stats().state != LegState::up) continue;
      leg->request_cancel();
      up.push_back(leg.get());
    }
  }
  // A confirmed end needs one leg: the receiver finishes on the first end frame. Then a leg
  // still writing a frame (which the receiver has: it confirmed the whole stream) is not
  // waited for; on a slow leg whose frame a copy overtook, the rest of that frame held the
  // exit up by the whole kCancelLimit (8 of 78 transfers over the rig's unequal paths).
  // A cancel goes out on every leg that can take it, in case some path is dead.
  const bool ending = cancel_reason_.load() == wire::CancelReason::none;
  const auto told = [&] {
    const auto sent = [](TxLeg* l) { return l->cancel_sent(); };
    if (!ending) return std::all_of(up.begin(), up.end(), sent);
    return std::any_of(up.begin(), up.end(), sent) &&
           std::all_of(up.begin(), up.end(),
                       [](TxLeg* l) { return l->cancel_sent() || l->writing_frame(); });
  };
  // Legs notify cancel_progress_ as each sends its closing frame.
  const auto limit = std::chrono::steady_clock::now() + kCancelLimit;
  for (auto now = std::chrono::steady_clock::now(); now < limit && !told();
       now = std::chrono::steady_clock::now()) {
    co_await cancel_progress_.wait(limit - now);
  }
  stop_now();
}

Knobs Transmitter::knobs() const {
  std::lock_guard lock(mutex_);
  return knobs_;
}

void Transmitter::apply(const Knobs& k) {
  if (auto err = validate(k)) throw std::invalid_argument(*err);
  bool fewer_legs = false;
  {
    std::lock_guard lock(mutex_);
    tuner_moved_knobs_ = true;
    if (k == knobs_) return;
    fewer_legs = k.legs < knobs_.legs;
    const bool socket_knobs_changed = k.sndbuf_bytes != knobs_.sndbuf_bytes ||
                                      k.rcvbuf_bytes != knobs_.rcvbuf_bytes ||
                                      k.congestion != knobs_.congestion;
    if (k.compress != knobs_.compress) note_compress_change();
    knobs_ = k;
    planner_.set_shape(k.legs, k.legs_per_link_max, k.link_weights);
    log_.info(2, "knobs: " + to_string(k));
    if (socket_knobs_changed) {
      asio::post(io_, [this] {
        const auto tuning = socket_tuning();
        std::lock_guard l(mutex_);
        for (auto& leg : legs_) leg->apply_live_tuning(tuning);
      });
    }
  }
  update_window();
  pool_.set_max_idle_bytes(BufferPool::budget_for_window(k.window_bytes));
  limiter_.set(k);
  asio::post(io_, [this, fewer_legs] {
    reshape_legs();  // first: the legs that go are asked to drain
    if (!fewer_legs) return;
    std::lock_guard lock(mutex_);
    for (auto& leg : legs_) leg->restart_congestion_control();
  });
}

void Transmitter::note_compress_change() {
  if (stage_) compress_first_seq_ = stage_->next_seq();
}

void Transmitter::publish(const TuningReport& report) {
  std::lock_guard lock(mutex_);
  last_tuning_ = report;
  ++tuning_generations_;
}

std::optional<std::size_t> Transmitter::link_for(std::uint32_t slot) const {
  std::lock_guard lock(mutex_);
  return planner_.link_for(slot);
}

bool Transmitter::slot_wanted(std::uint32_t slot) const {
  std::lock_guard lock(mutex_);
  return slot < planner_.slots();
}

wire::Hello Transmitter::hello_for(std::uint32_t leg) const {
  wire::Hello h;
  if (cfg_.checksums) h.flags |= static_cast<std::uint16_t>(wire::HelloFlag::checksums);
  if (!cfg_.filter.command.empty())
    h.flags |= static_cast<std::uint16_t>(wire::HelloFlag::filtered);
  if (dial_key_) h.flags |= static_cast<std::uint16_t>(wire::HelloFlag::keyed);
  h.checkphrase = cfg_.checkphrase;
  h.session = session_;
  h.leg = leg;
  h.outage_timeout_seconds = static_cast<std::uint32_t>(cfg_.outage_timeout.count());
  return h;
}

SocketTuning Transmitter::socket_tuning() const {
  std::lock_guard lock(mutex_);
  SocketTuning t;
  t.sndbuf_bytes = knobs_.sndbuf_bytes;
  t.rcvbuf_bytes = knobs_.rcvbuf_bytes;
  t.congestion = knobs_.congestion;
  return t;
}

void Transmitter::link_up(std::size_t link) {
  bool changed = false;
  {
    std::lock_guard lock(mutex_);
    unresolvable_[link] = false;
    changed = !planner_.is_up(link);
    planner_.mark_up(link);
  }
  if (changed) {
    log_.info(0, "link " + target(link).label() + " is up again");
    reshape_legs();
  }
}

void Transmitter::link_failed(std::size_t link, const std::string& why, bool unresolvable) {
  bool was_up = false;
  bool none_resolvable = false;
  {
    std::lock_guard lock(mutex_);
    was_up = planner_.is_up(link);
    planner_.mark_down(link, std::chrono::steady_clock::now());
    unresolvable_[link] = unresolvable;
    none_resolvable =
        std::all_of(unresolvable_.begin(), unresolvable_.end(), [](bool b) { return b; });
  }
  if (none_resolvable && acked_frames_.load() == 0) {
    // A name that resolves nowhere at start-up is a typo, not an outage.
    finish(ExitCode::network, why);
    return;
  }
  if (was_up) {
    log_.info(0, "link " + target(link).label() + " is down (" + why + "); bypassing it, retrying");
    reshape_legs();
  }
}

bool Transmitter::same_receiver(std::uint64_t receiver_id, std::size_t link) {
  std::uint64_t expected = 0;
  if (receiver_id_.compare_exchange_strong(expected, receiver_id) || expected == receiver_id) {
    return true;
  }
  // A receiver that lost what it had confirmed (restarted, or another one took the port)
  // cannot continue the stream: those bytes are gone from our window.
  finish(ExitCode::network, "receiver " + target(link).label() +
                                " restarted during the transfer; the stream cannot be resumed (it "
                                "had confirmed " +
                                std::to_string(acked_bytes_.load()) + " bytes)");
  return false;
}

asio::awaitable<DialResult> Transmitter::dial(std::size_t link, std::uint32_t slot) {
  co_return co_await vmp::dial(target(link), hello_for(slot), dial_key_ ? &*dial_key_ : nullptr,
                               socket_tuning(), cfg_.connect_timeout);
}

void Transmitter::auth_failed(const std::string& what) {
  ++auth_failures_;
  log_.error("authentication failed: " + what);
}

bool Transmitter::chaos_strikes() {
  return cfg_.chaos != 0 && ++frames_sent_ % cfg_.chaos == 0;
}

void Transmitter::on_ack(std::uint64_t next_seq, std::uint64_t bytes) {
  queue_.on_ack(next_seq);
  // Acks arrive on every leg; keep the high-water mark.
  auto prev = acked_bytes_.load();
  while (prev < bytes && !acked_bytes_.compare_exchange_weak(prev, bytes)) {
  }
  auto prev_frames = acked_frames_.load();
  while (prev_frames < next_seq && !acked_frames_.compare_exchange_weak(prev_frames, next_seq)) {
  }
}

void Transmitter::reshape_legs() {
  std::vector<std::shared_ptr<TxLeg>> to_start;
  {
    std::lock_guard lock(mutex_);
    const auto slots = planner_.slots();
    while (legs_.size() < slots) {
      legs_.push_back(std::make_shared<TxLeg>(static_cast<TxLegHost&>(*this), io_.get_executor(),
                                              static_cast<std::uint32_t>(legs_.size())));
    }
    for (auto& leg : legs_) {
      const bool wanted = leg->slot() < slots;
      if (wanted && !leg->running()) {
        leg->set_running();
        to_start.push_back(leg);
        continue;
      }
      if (!leg->running()) continue;
      const auto stats = leg->stats();
      const auto link = planner_.link_for(leg->slot());
      const bool moved = stats.state == LegState::up && link && *link != stats.link_index;
      if (!wanted || moved || (stats.state == LegState::up && !link)) leg->request_drain();
    }
  }
  // Outside the lock: co_spawn may start running the leg right here.
  for (auto& leg : to_start) {
    // The coroutine holds its leg (see io_ in transmitter.hpp).
    asio::co_spawn(
        io_, [leg]() -> asio::awaitable<void> { co_await leg->run(); },
        on_throw("leg " + std::to_string(leg->slot())));
  }
}

asio::awaitable<void> Transmitter::tick_loop() {
  asio::steady_timer timer(io_);
  auto next_progress = std::chrono::steady_clock::now();
  auto next_feedback = next_progress;
  while (!finished()) {
    timer.expires_after(kTick);
    co_await timer.async_wait(nothrow);
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::size_t> probes;
    bool any_up = false;
    {
      std::lock_guard lock(mutex_);
      probes = planner_.probes_due(now);
      for (auto& leg : legs_) {
        // A draining leg (knob change) still has a live connection to the receiver.
        const auto state = leg->stats().state;
        any_up = any_up || state == LegState::up || state == LegState::draining;
      }
      // Every tick: the tuner's meter reads the acked-byte counts at this resolution.
      std::uint64_t acked = 0;
      for (auto& leg : legs_) {
        leg->sample_tcp();
        queue_.set_leg_speed(leg->slot(), leg->speed());
        acked += leg->stats().tcp_acked_bytes;
      }
      // What the legs deliver, smoothed over about a second: the window's read-ahead.
      if (acked >= acked_at_tick_) {
        const double rate = static_cast<double>(acked - acked_at_tick_) /
                            std::chrono::duration<double>(now - last_tick_).count();
        // Up quickly (a window that lags a ramp holds it back), down slowly (a dip while a new
        // genome's legs connect must not shrink the window under the legs that remain).
        const double gain = rate > delivery_rate_ ? 0.5 : 0.1;
        delivery_rate_ =
            delivery_rate_ == 0 ? rate : delivery_rate_ + gain * (rate - delivery_rate_);
      }
      acked_at_tick_ = acked;
      last_tick_ = now;
      queue_.set_window(window_locked());
    }
    for (auto link : probes) asio::co_spawn(io_, probe(link), on_throw("a link probe"));
    tend_stalled_legs();
    hedge_stuck_frames();
    report_stuck_head();
    // A drained leg's frames are parked at the receiver (SendQueue::park); it can only lack
    // them if it dropped that leg's data on an error. Then the head of the window waits
    // forever unless it is resent.
    if (queue_.unpark_overdue_head(reconnect::kParkedHeadResendAfter)) {
      log_.info(1, "the receiver still waits for a frame a closed leg delivered: sending it again");
    }
    if (any_up) {
      last_leg_up_ = now;
      outage_reported_ = false;
    } else if (now - last_leg_up_ > reconnect::kOutageReportAfter && !outage_reported_) {
      outage_reported_ = true;
      log_.error("no leg can reach the receiver; retrying for up to " +
                 std::to_string(cfg_.outage_timeout.count()) + " s (--outage-timeout)");
    }
    if (!any_up && now - last_leg_up_ > cfg_.outage_timeout) {
      finish(ExitCode::network, "receiver unreachable for longer than the outage timeout (" +
                                    std::to_string(cfg_.outage_timeout.count()) + " s)");
    }
    if (feedback_ && now >= next_feedback) {
      next_feedback = now + 1s;
      auto compress = feedback_->step(snapshot());
      std::lock_guard lock(mutex_);
      if (tuner_moved_knobs_) {
        feedback_.reset();
      } else if (compress) {
        log_.info(1, "--compress auto: " + *compress);
        note_compress_change();
        knobs_.compress = *compress;
      }
    }
    if (cfg_.progress && now >= next_progress) {
      print_progress(false);
      next_progress = now + 500ms;
    }
  }
}

asio::awaitable<void> Transmitter::probe(std::size_t link) {
  auto result = co_await dial(link, wire::kProbeLeg);
  if (result.status == DialResult::Status::ok && (result.reply.code == wire::ReplyCode::accept ||
                                                  result.reply.code == wire::ReplyCode::complete)) {
    link_up(link);
  } else {
    log_.info(2, "probe of " + target(link).label() + " failed: " +
                     (result.error.empty() ? std::string(wire::describe(result.reply.code))
                                           : result.error));
  }
}

void Transmitter::hedge_stuck_frames() {
  // The receiver writes in stream order, so a frame held up on its leg (behind a loss its TCP
  // recovers from slowly, an RTO, a path that went dark) holds up everything behind it. Once
  // the window is spent on frames waiting for it, the queue starves: a leg is idle, nothing is
  // left to hand it, and the reader waits for room. Then, as multipath TCP's opportunistic
  // retransmission does, a frame at the front of the window that is late against its own leg
  // and that the receiver's TCP has not acknowledged goes out again on another leg (or one an
  // idle leg would deliver in far less time than its own leg now needs: copy_reason). Both
  // conditions matter: while legs have work a copy only takes the place of new data on the
  // path, and a frame on a slow leg is not late (the send queue gave it a frame far enough
  // ahead for that), so a copy would spend the path for nothing (issue 12: with the old rule,
  // "older than 500 ms with the window full", 16 legs on one lossy path sent a third of the
  // stream twice). A few frames per tick, oldest first. The tuner does not count the copies
  // as goodput (Stats::resent_bytes).
  constexpr std::size_t kFramesLooked = 16;  // at the front of the window
  constexpr int kPerTick = 4;
  if (!queue_.starved()) return;
  const auto held = queue_.front_held(kFramesLooked);
  std::lock_guard lock(mutex_);
  const auto up = std::count_if(legs_.begin(), legs_.end(),
                                [](const auto& l) { return l->stats().state == LegState::up; });
  if (up < 2) return;  // no other leg to carry a copy
  int hedged = 0;
  for (const auto& h : held) {
    if (hedged == kPerTick) break;
    if (h.leg >= legs_.size()) continue;
    const TxLeg& leg = *legs_[h.leg];
    // At the receiver already, waiting for others? (A frame still being written is not: its
    // leg's socket may not take the rest for seconds.)
    if (!leg.unacknowledged(h.seq)) continue;
    WaitedForFrame w;
    w.out_for = std::chrono::duration<double>(h.out_for).count();
    // Taken before its leg's speed was known (the first frames of a transfer): judged by the
    // speed known now, else a leg still in slow start would look late.
    w.expected_seconds = h.expected_seconds;
    if (const auto speed = leg.speed(); w.expected_seconds <= 0 && speed)
      w.expected_seconds = speed->seconds_for(h.length);
    w.rtt_seconds = leg.stats().tcp.rtt_seconds;
    w.holder_seconds = leg.seconds_to_deliver(h.seq);
    w.idle_seconds = queue_.quickest_idle_seconds(h.length, h.leg);
    const auto reason = copy_reason(w);
    if (reason == CopyReason::none || !queue_.hedge(h.seq, h.leg)) continue;
    ++hedged;
    auto ms = [](double s) { return std::to_string(static_cast<int>(s * 1000)) + " ms"; };
    const std::string why = reason == CopyReason::late
                                ? "late: expected " + ms(w.expected_seconds)
                                : "its leg slowed down: it needs " + ms(*w.holder_seconds) +
                                      " more, an idle leg " + ms(*w.idle_seconds);
    log_.info(2, "frame " + std::to_string(h.seq) + " held up " +
                     std::to_string(static_cast<int>(w.out_for * 1000)) + " ms on leg " +
                     std::to_string(h.leg) + " (" + why +
                     ") with the stream waiting for it: sent again on another leg");
  }
}

void Transmitter::tend_stalled_legs() {
  std::lock_guard lock(mutex_);
  const auto legs = mark_stalled_legs_locked();
  reset_moved_stalled_legs_locked(legs.stalled);
  // Only while some leg is not stalled: with all of them stuck a copy would join the queue.
  if (legs.any_moving && legs.any_stalled) hedge_stalled_frames_locked(legs.stalled);
}

Transmitter::StalledLegs Transmitter::mark_stalled_legs_locked() {
  // A leg whose TCP has acknowledged nothing for a while (stall_after: its path went dark, or
  // a retransmission timeout's resend was lost as well) delivers none of its frames until it
  // recovers or TCP_USER_TIMEOUT ends it. The send queue must not let it keep its link the
  // preferred one (SendQueue::set_stalled): the other links' legs then take only spill-over.
  StalledLegs out;
  out.stalled.assign(legs_.size(), false);
  for (std::size_t i = 0; i < legs_.size(); ++i) {
    const TxLeg& leg = *legs_[i];
    const auto state = leg.stats().state;
    // A draining leg (the tuner lowered the legs) still has to deliver what it holds.
    if (state != LegState::up && state != LegState::draining) continue;
    out.stalled[i] = leg.stalled_for() >= stall_after(leg.stats().tcp.rtt_seconds);
    queue_.set_stalled(leg.slot(), out.stalled[i]);
    out.any_stalled = out.any_stalled || out.stalled[i];
    out.any_moving = out.any_moving || (state == LegState::up && !out.stalled[i]);
  }
  return out;
}

void Transmitter::reset_moved_stalled_legs_locked(const std::vector<bool>& stalled) {
  // A stalled leg the plan no longer wants here (its link went down, or a new genome moved or
  // dropped its slot) cannot drain: it is stuck writing to a dark path, or its graceful close
  // would wait kDrainLimit. Reset, it gives its frames back and its slot connects where the
  // plan wants it. Left alone, it held the slot until TCP_USER_TIMEOUT (15 s): after the first
  // of three paths was blackholed, a genome whose legs for the second path were such slots ran
  // on the third path alone (29 of 90 Mbit/s).
  // Not while every link is down (an outage): then there is nowhere else to go, and a leg left
  // alone resumes by itself if its path comes back before TCP_USER_TIMEOUT.
  for (std::size_t i = 0; i < legs_.size(); ++i) {
    if (!stalled[i] || !legs_[i]->drain_requested()) continue;
    if (i < planner_.slots() && !planner_.link_for(static_cast<std::uint32_t>(i))) continue;
    log_.info(1, "leg " + std::to_string(i) + " (" + legs_[i]->stats().link +
                     "): stalled and moved by the plan: reset instead of drained");
    legs_[i]->kill();
  }
}

void Transmitter::hedge_stalled_frames_locked(const std::vector<bool>& stalled) {
  // Each frame a stalled leg carries will hold up the stream. Waiting for the stream to stop
  // first (hedge_stuck_frames) costs the time the window takes to fill, and copying a few
  // frames per tick after that the time the leg's whole socket queue takes: after a path went
  // down, the stream stood still for 8-12 s. So every frame such a leg carries and its
  // receiver has not acknowledged goes out again at once on the other legs (lowest first, as
  // they ask), and so does any frame it takes while stalled.
  // Listed only now: the whole window's frames, every tick, for nothing is what it would cost.
  const auto held = queue_.front_held(std::numeric_limits<std::size_t>::max());
  std::vector<std::uint32_t> copied(legs_.size(), 0);
  for (const auto& h : held) {
    if (h.leg >= legs_.size() || !stalled[h.leg]) continue;
    if (!legs_[h.leg]->unacknowledged(h.seq)) continue;  // at the receiver already
    if (queue_.hedge(h.seq, h.leg)) ++copied[h.leg];
  }
  for (std::size_t i = 0; i < legs_.size(); ++i) {
    if (copied[i] == 0) continue;
    const auto& leg = *legs_[i];
    char line[200];
    std::snprintf(line, sizeof line,
                  "leg %zu (%s): nothing acknowledged for %.1f s with %u segments out: its %u "
                  "unconfirmed frames sent again on other legs",
                  i, leg.stats().link.c_str(),
                  std::chrono::duration<double>(leg.stalled_for()).count(),
                  leg.stats().tcp.unacked_segments, copied[i]);
    log_.info(1, line);
  }
}

void Transmitter::report_stuck_head() {
  // The receiver writes in order: while this frame is missing nothing comes out of it, and
  // once the window is full nothing goes in either. Worth a line when it lasts.
  constexpr auto kStuck = 1s;
  const auto head = queue_.head();
  if (!head || !head->leg || head->out_for < kStuck || head->seq == stuck_reported_) return;
  stuck_reported_ = head->seq;
  LegStats leg;
  {
    std::lock_guard lock(mutex_);
    if (*head->leg < legs_.size()) leg = legs_[*head->leg]->stats();
  }
  // With segments to send and none in flight, the pacing rate or the receiver's window says
  // which of the two holds the leg.
  char line[400];
  std::snprintf(line, sizeof line,
                "frame %llu (%u bytes, send %u) unconfirmed for %.1f s on leg %u (%s, %s): rtt "
                "%.0f ms, cwnd %u, in flight %u segments, not sent %u bytes, pacing %.2f Mbit/s, "
                "receiver's window %u bytes",
                static_cast<unsigned long long>(head->seq), head->length, head->sends,
                std::chrono::duration<double>(head->out_for).count(), *head->leg, leg.link.c_str(),
                std::string(to_string(leg.state)).c_str(), leg.tcp.rtt_seconds * 1e3,
                leg.tcp.cwnd_segments, leg.tcp.unacked_segments, leg.tcp.notsent_bytes,
                leg.tcp.pacing_rate_bytes_per_second * 8 / 1e6, leg.tcp.peer_window_bytes);
  log_.info(2, line);
}

void Transmitter::print_progress(bool final_line) {
  log_.progress(format_progress(snapshot(), final_line));
}

Stats Transmitter::snapshot() const {
  Stats s;
  s.role = Role::tx;
  s.session_id = session_;
  s.keyed = frame_keys_ != nullptr;
  if (frame_keys_) s.cipher = crypto::describe(frame_keys_->cipher());
  s.auth_failures = auth_failures_.load();
  s.elapsed_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  s.expected_bytes = expected_bytes_;
  if (reader_) {
    s.bytes_in = reader_->bytes_read();
    s.source_stall_seconds = reader_->stall_seconds();
  }
  s.bytes_out = acked_bytes_.load();
  s.frames = acked_frames_.load();
  s.window_bytes_used = queue_.held_bytes();
  s.window_bytes_limit = queue_.window_bytes();
  s.network_stall_seconds = queue_.stall_seconds();
  s.reorder_stall_seconds = queue_.reorder_stall_seconds();
  s.rate_wait_seconds = limiter_.wait_seconds();
  if (stage_) {
    // Before mutex_: the stage's lock is never taken inside ours (see TxStage::submit).
    SidechainStats sc;
    sc.workers = stage_->workers();
    sc.busy_seconds = stage_->busy_seconds();
    sc.depth = stage_->held();
    sc.codecs = stage_->counts();
    sc.probe = stage_->probe();
    s.sidechain = std::move(sc);
    s.sidechain_stall_seconds = stage_->stall_seconds();
  }
  std::lock_guard lock(mutex_);
  s.knobs = knobs_;
  if (s.sidechain) {
    s.sidechain->setting = cfg_.filter.command.empty() ? knobs_.compress : "filter";
    s.sidechain->setting_first_seq = compress_first_seq_;
  }
  s.last_tuning = last_tuning_;
  s.tuning_generations = tuning_generations_;
  s.finished = outcome_.decided();
  s.exit_reason = outcome_.message();
  for (std::size_t i = 0; i < cfg_.targets.size(); ++i) {
    LinkStats l;
    l.target = cfg_.targets[i].label();
    l.index = static_cast<std::uint32_t>(i);
    l.up = planner_.is_up(i);
    l.connect_failures = planner_.connect_failures(i);
    l.bytes = link_bytes_[i].load();
    s.links.push_back(std::move(l));
  }
  for (const auto& leg : legs_) {
    auto ls = leg->stats();
    s.resent_frames += ls.resent_frames;
    s.resent_bytes += ls.resent_bytes;
    s.reconnects += ls.reconnects;
    s.tcp_acked_bytes += ls.tcp_acked_bytes;
    s.tcp_acked_raw_bytes += ls.tcp_acked_raw_bytes;
    s.tcp_acked_seq = std::max(s.tcp_acked_seq, ls.tcp_acked_seq);
    if (ls.link_index < s.links.size() && !ls.link.empty()) {
      if (ls.state == LegState::up) ++s.links[ls.link_index].legs_up;
    }
    s.legs.push_back(std::move(ls));
  }
  return s;
}

}  // namespace vmp
