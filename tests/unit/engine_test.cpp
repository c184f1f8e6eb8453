// Transmitter and Receiver in one process over loopback, fed and drained through pipes: the
// Engine API the tuner uses, exercised while data flows.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <xxhash.h>

#include <atomic>
#include <csignal>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "rx/receiver.hpp"
#include "tx/transmitter.hpp"

namespace vmp {
namespace {

struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    r = fds[0];
    w = fds[1];
  }
  ~Pipe() {
    if (r >= 0) ::close(r);
    if (w >= 0) ::close(w);
  }
  void close_write() {
    ::close(w);
    w = -1;
  }
};

// Produces `total` deterministic pseudo-random bytes into fd and returns their hash.
std::uint64_t produce(int fd, std::uint64_t total, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint64_t> block(8192);
  XXH3_state_t* st = XXH3_createState();
  XXH3_64bits_reset(st);
  for (std::uint64_t sent = 0; sent < total;) {
    for (auto& v : block) v = rng();
    auto n = std::min<std::uint64_t>(block.size() * 8, total - sent);
    XXH3_64bits_update(st, block.data(), n);
    const char* p = reinterpret_cast<const char*>(block.data());
    for (std::uint64_t done = 0; done < n;) {
      auto w = ::write(fd, p + done, n - done);
      if (w <= 0) {
        // The transmitter stopped reading (it failed). A failure here, not an exception: one
        // thrown past the test's joinable threads would abort the whole test binary.
        ADD_FAILURE() << "producer: write failed after " << sent + done << " bytes";
        XXH3_freeState(st);
        return 0;
      }
      done += static_cast<std::uint64_t>(w);
    }
    sent += n;
  }
  auto h = XXH3_64bits_digest(st);
  XXH3_freeState(st);
  return h;
}

std::pair<std::uint64_t, std::uint64_t> consume(int fd) {
  std::vector<char> buf(1 << 16);
  XXH3_state_t* st = XXH3_createState();
  XXH3_64bits_reset(st);
  std::uint64_t total = 0;
  for (;;) {
    auto n = ::read(fd, buf.data(), buf.size());
    if (n <= 0) break;
    XXH3_64bits_update(st, buf.data(), static_cast<std::size_t>(n));
    total += static_cast<std::uint64_t>(n);
  }
  auto h = XXH3_64bits_digest(st);
  XXH3_freeState(st);
  return {h, total};
}

struct Loopback {
  Loopback(const Loopback&) = delete;
  Logger log{"test", 0};
  std::unique_ptr<Receiver> rx;
  std::unique_ptr<Transmitter> tx;
  Pipe in, out;
  ExitCode rx_code = ExitCode::internal, tx_code = ExitCode::internal;
  std::thread rx_thread, tx_thread;

  // `links` targets, all the same receiver (so knobs can move legs between links).
  // compress_auto: --compress auto (the stage's codec feedback runs until the tuner applies).
  explicit Loopback(Knobs knobs, bool checksums = false, std::size_t links = 1,
                    bool compress_auto = false) {
    std::signal(SIGPIPE, SIG_IGN);
    RxConfig rc;
    rc.bind_address = "127.0.0.1";
    rc.require_checksums = checksums;
    rx = std::make_unique<Receiver>(rc, log, embedded_hooks());
    TxConfig tc;
    tc.targets.assign(links, {"127.0.0.1", rx->port()});
    tc.knobs = knobs;
    tc.checksums = checksums;
    tc.compress_auto = compress_auto;
    tc.outage_timeout = std::chrono::seconds(20);
    tx = std::make_unique<Transmitter>(tc, log, embedded_hooks());
    rx_thread = std::thread([this] {
      rx_code = rx->run(out.w);
      out.close_write();  // EOF for the consumer
    });
    tx_thread = std::thread([this] {
      tx_code = tx->run(in.r);
      // If the transmitter stopped early, a producer blocked on the pipe gets EPIPE instead of
      // hanging the test.
      ::close(in.r);
      in.r = -1;
    });
  }
  void join() {
    tx_thread.join();
    // A transmitter that gave up leaves the receiver waiting for it until its outage timeout.
    if (tx_code != ExitCode::ok) {
      rx->stop(wire::AbortCode::shutdown, ExitCode::internal, "the test's transmitter failed");
    }
    rx_thread.join();
  }
  // A test that ends before join() does not leave the engines' threads joinable (that would
  // abort the whole binary). The tests' own producer and consumer threads are theirs to join:
  // no fatal assertion while they run.
  ~Loopback() {
    if (!tx_thread.joinable() && !rx_thread.joinable()) return;
    tx->stop(ExitCode::internal, "test ended");
    rx->stop(wire::AbortCode::shutdown, ExitCode::internal, "test ended");
    if (tx_thread.joinable()) tx_thread.join();
    if (rx_thread.joinable()) rx_thread.join();
  }
};

TEST(Engine, TransfersExactly) {
  Knobs k;
  k.frame_bytes = 64 * KiB;
  k.window_bytes = 4 * MiB;
  Loopback lb(k, /*checksums=*/true);
  std::pair<std::uint64_t, std::uint64_t> got;
  std::thread consumer([&] { got = consume(lb.out.r); });
  const std::uint64_t total = 20 * MiB + 12345;
  auto want = produce(lb.in.w, total, 1);
  lb.in.close_write();
  lb.join();
  consumer.join();
  EXPECT_EQ(lb.tx_code, ExitCode::ok) << lb.tx->message();
  EXPECT_EQ(lb.rx_code, ExitCode::ok) << lb.rx->message();
  EXPECT_EQ(got.second, total);
  EXPECT_EQ(got.first, want);
  const auto s = lb.tx->snapshot();
  EXPECT_EQ(s.bytes_in, total);
  EXPECT_EQ(s.bytes_out, total);
}

TEST(Engine, KnobsChangeMidStreamWithoutLosingData) {
  Knobs k;
  k.legs = 1;
  k.frame_bytes = 16 * KiB;
  k.window_bytes = 2 * MiB;
  Loopback lb(k);
  std::pair<std::uint64_t, std::uint64_t> got;
  std::thread consumer([&] { got = consume(lb.out.r); });
  const std::uint64_t total = 96 * MiB;
  std::uint64_t want = 0;
  std::thread producer([&] {
    want = produce(lb.in.w, total, 2);
    lb.in.close_write();
  });

  // Walk through very different shapes while data flows, wait for each to take effect.
  std::vector<Knobs> steps;
  for (auto [legs, frame, window, cc] : {std::tuple{8u, 256 * KiB, 16 * MiB, "cubic"},
                                         {3u, 4 * KiB, 1 * MiB, "reno"},
                                         {16u, 1 * MiB, 64 * MiB, ""},
                                         {2u, 64 * KiB, 8 * MiB, "bbr"}}) {
    Knobs n = k;
    n.legs = legs;
    n.frame_bytes = static_cast<std::uint32_t>(frame);
    n.window_bytes = window;
    n.congestion = cc;
    n.sndbuf_bytes = legs % 2 ? 256 * KiB : 0;
    steps.push_back(n);
  }
  for (const auto& n : steps) {
    lb.tx->apply(n);
    EXPECT_EQ(lb.tx->knobs(), n);
    // Let some data pass with these knobs; the transfer must not stall whatever they are.
    const auto before = lb.tx->snapshot().bytes_out;
    for (int i = 0;
         i < 200 && lb.tx->snapshot().bytes_out < before + 4 * MiB && !lb.tx->snapshot().finished;
         ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  Knobs bad = k;
  bad.legs = 0;
  EXPECT_THROW(lb.tx->apply(bad), std::invalid_argument);
  producer.join();
  lb.join();
  consumer.join();
  EXPECT_EQ(lb.tx_code, ExitCode::ok) << lb.tx->message();
  EXPECT_EQ(got.second, total);
  EXPECT_EQ(got.first, want);
  const auto s = lb.tx->snapshot();
  EXPECT_GE(s.legs.size(), 16u);  // the slots grew to 16 at one point
  EXPECT_EQ(s.knobs, steps.back());
}

// A genome that moves every leg to another link drains them all at once. Draining legs must
// not wait on each other (once, each waited up to 10 s for confirmations that hung on frames
// only a working leg could carry, and the stream stopped).
TEST(Engine, MovingEveryLegToAnotherLinkDoesNotStallTheStream) {
  Knobs k;
  k.legs = 4;
  k.frame_bytes = 64 * KiB;
  k.window_bytes = 8 * MiB;
  k.link_weights = {100, 0};
  Loopback lb(k, false, 2);
  std::pair<std::uint64_t, std::uint64_t> got;
  std::thread consumer([&] { got = consume(lb.out.r); });
  // The producer writes only what the test allows, so data is in flight at every switch.
  constexpr std::uint64_t kStep = 8 * MiB;
  constexpr int kRounds = 6;
  const std::uint64_t total = kStep * (kRounds + 1);
  std::atomic<std::uint64_t> allowed{kStep};
  std::uint64_t want = 0;
  std::thread producer([&] {
    std::mt19937_64 rng(3);
    std::vector<std::uint64_t> block(8192);
    XXH3_state_t* st = XXH3_createState();
    XXH3_64bits_reset(st);
    for (std::uint64_t sent = 0; sent < total;) {
      if (sent >= allowed.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        continue;
      }
      for (auto& v : block) v = rng();
      const auto n = std::min<std::uint64_t>(block.size() * 8, allowed.load() - sent);
      XXH3_64bits_update(st, block.data(), n);
      const char* p = reinterpret_cast<const char*>(block.data());
      for (std::uint64_t done = 0; done < n;) {
        const auto w = ::write(lb.in.w, p + done, n - done);
        if (w <= 0) break;  // the transmitter gave up; the checks below say so
        done += static_cast<std::uint64_t>(w);
      }
      sent += n;
    }
    want = XXH3_64bits_digest(st);
    XXH3_freeState(st);
    lb.in.close_write();
  });
  auto confirmed_within = [&](std::uint64_t bytes, std::chrono::seconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (lb.tx->snapshot().bytes_out < bytes) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  };
  // Not ASSERT: returning here would leave the producer and consumer threads joinable, and
  // their destructors would abort the whole test binary.
  const bool started = confirmed_within(kStep, std::chrono::seconds(30));
  if (!started) {
    ADD_FAILURE() << "the first " << kStep << " bytes were not confirmed within 30 s";
    lb.tx->stop(ExitCode::internal, "the test gave up waiting");
    allowed = total;  // the producer runs out against the closed pipe
  }
  for (int round = 0; started && round < kRounds; ++round) {
    Knobs n = k;
    n.link_weights = round % 2 ? std::vector<double>{100, 0} : std::vector<double>{0, 100};
    lb.tx->apply(n);
    allowed += kStep;
    // Far below the old 10 s drain limit, far above what loopback needs for 8 MiB.
    EXPECT_TRUE(confirmed_within(allowed.load(), std::chrono::seconds(5))) << "round " << round;
  }
  producer.join();
  lb.join();
  consumer.join();
  EXPECT_EQ(lb.tx_code, ExitCode::ok) << lb.tx->message();
  EXPECT_EQ(got.second, total);
  EXPECT_EQ(got.first, want);
  EXPECT_GE(lb.tx->snapshot().links.at(1).bytes, kStep);  // the legs did move
}

// --compress auto with the tuner: the stage's codec feedback moves the codec until the tuner's
// first apply(), and never after it (the search owns the codec from then on). Random data at a
// limited rate: left alone, the feedback leaves lz4 for none within a few seconds (frames do
// not shrink); after an apply() it must not.
TEST(Engine, TheCodecFeedbackStopsAtTheTunersFirstApply) {
  auto codecs_seen = [](bool tuner_applies) {
    Knobs k;
    k.compress = "lz4";
    k.rate_limit = 16 * MiB;
    Loopback lb(k, false, 1, true);
    if (tuner_applies) lb.tx->apply(k);
    std::thread consumer([&] { consume(lb.out.r); });
    std::thread producer([&] {
      produce(lb.in.w, 64 * MiB, 3);
      lb.in.close_write();
    });
    std::set<std::string> seen;
    for (int i = 0; i < 350 && !lb.tx->snapshot().finished; ++i) {
      seen.insert(lb.tx->knobs().compress);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    producer.join();
    lb.join();
    consumer.join();
    EXPECT_EQ(lb.tx_code, ExitCode::ok) << lb.tx->message();
    return seen;
  };
  EXPECT_TRUE(codecs_seen(false).contains("none"));  // the feedback runs in this setup
  EXPECT_EQ(codecs_seen(true), std::set<std::string>{"lz4"});
}

TEST(Engine, PublishedTuningShowsInSnapshot) {
  Knobs k;
  Loopback lb(k);
  TuningReport r;
  r.generation = 3;
  r.fitness = 1e6;
  r.best_fitness = 2e6;
  lb.tx->publish(r);
  lb.in.close_write();
  std::thread consumer([&] { consume(lb.out.r); });
  lb.join();
  consumer.join();
  const auto s = lb.tx->snapshot();
  ASSERT_TRUE(s.last_tuning);
  EXPECT_EQ(s.last_tuning->generation, 3u);
  EXPECT_EQ(s.tuning_generations, 1u);
  EXPECT_EQ(lb.tx_code, ExitCode::ok);  // and an empty stream completes
}

}  // namespace
}  // namespace vmp
