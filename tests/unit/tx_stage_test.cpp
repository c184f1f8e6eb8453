#include "sidechain/tx_stage.hpp"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <condition_variable>
#include <cstring>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "sidechain/run_on_worker.hpp"

namespace vmp::sidechain {
namespace {

using namespace std::chrono_literals;

struct Collected {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::shared_ptr<OutFrame>> frames;
  std::vector<std::string> failures;
};

std::shared_ptr<OutFrame> make_frame(BufferPool& pool, std::uint64_t seq, std::size_t n,
                                     char fill) {
  auto f = std::make_shared<OutFrame>();
  f->header.seq = seq;
  f->header.offset = seq * n;
  f->header.length = static_cast<std::uint32_t>(n);
  f->payload = pool.get(n);
  std::memset(f->payload.data(), fill, n);
  return f;
}

TxStage::Options options(Collected& out, std::string compress, std::string filter = {}) {
  TxStage::Options o;
  o.threads = 4;
  o.workers_now = [] { return 4U; };
  o.filter.command = std::move(filter);
  o.compression = [c = std::move(compress)] { return *parse_compression(c); };
  o.emit = [&out](std::shared_ptr<OutFrame> f) {
    std::lock_guard lock(out.mutex);
    out.frames.push_back(std::move(f));
    out.cv.notify_all();
  };
  o.fail = [&out](std::string e) {
    std::lock_guard lock(out.mutex);
    out.failures.push_back(std::move(e));
    out.cv.notify_all();
  };
  return o;
}

TEST(TxStage, FramesLeaveInSequenceOrderWhateverOrderTheyFinishIn) {
  BufferPool pool(64 << 20);
  Collected out;
  {
    TxStage stage(options(out, "zstd:3"), pool);
    // Big compressible frames and tiny ones alternate, so later frames often finish first.
    for (std::uint64_t seq = 0; seq < 64; ++seq) {
      ASSERT_TRUE(stage.submit(make_frame(pool, seq, seq % 2 ? 100 : 1 << 20, 'x')));
    }
    std::unique_lock lock(out.mutex);
    ASSERT_TRUE(out.cv.wait_for(lock, 30s, [&] { return out.frames.size() == 64; }));
  }
  for (std::uint64_t seq = 0; seq < 64; ++seq) {
    const auto& h = out.frames[seq]->header;
    EXPECT_EQ(h.seq, seq);
    // The 100-byte frames of one repeated byte shrink too; nothing went raw here.
    EXPECT_EQ(h.codec, wire::Codec::zstd);
    EXPECT_LT(h.wire_length, h.length);
  }
}

// --compress auto with the tuner: the stage samples the stream with every codec on the side.
TEST(TxStage, ProbesTheCodecsOnlyWhenAsked) {
  BufferPool pool(64 << 20);
  for (bool probe : {false, true}) {
    Collected out;
    auto o = options(out, "lz4");
    o.probe_codecs = probe;
    TxStage stage(std::move(o), pool);
    for (std::uint64_t seq = 0; seq < 4; ++seq) {
      ASSERT_TRUE(stage.submit(make_frame(pool, seq, 256 << 10, 'x')));
    }
    {
      std::unique_lock lock(out.mutex);
      ASSERT_TRUE(out.cv.wait_for(lock, 30s, [&] { return out.frames.size() == 4; }));
    }
    const auto p = stage.probe();
    if (!probe) {
      EXPECT_TRUE(p.empty());
      continue;
    }
    // Four frames within a period: one sample, of every choice.
    ASSERT_EQ(p.size(), kCompressChoices.size());
    EXPECT_EQ(p[0].frames, 1u);
    EXPECT_EQ(p[0].raw_bytes, CodecProbe::kSampleBytes);
    // The frames themselves went out as the knob says.
    EXPECT_EQ(out.frames[0]->header.codec, wire::Codec::lz4);
  }
}

TEST(TxStage, HoldsAtMostTwoFramesPerThread) {
  BufferPool pool(64 << 20);
  Collected out;
  auto opts = options(out, "none", "sleep 0.2; cat");  // slow filter: the stage fills up
  opts.threads = 2;
  opts.workers_now = [] { return 2U; };
  TxStage stage(std::move(opts), pool);
  std::atomic<int> submitted{0};
  std::thread reader([&] {
    for (std::uint64_t seq = 0; seq < 8; ++seq) {
      if (!stage.submit(make_frame(pool, seq, 1000, 'y'))) return;
      ++submitted;
    }
  });
  std::this_thread::sleep_for(100ms);
  EXPECT_LE(stage.held(), 4u);
  EXPECT_LE(submitted.load(), 4);
  reader.join();
  std::unique_lock lock(out.mutex);
  ASSERT_TRUE(out.cv.wait_for(lock, 30s, [&] { return out.frames.size() == 8; }));
  EXPECT_EQ(out.frames.back()->header.codec, wire::Codec::filter);
}

TEST(TxStage, AFailedFilterStopsTheStageAndIsReportedOnce) {
  BufferPool pool(64 << 20);
  Collected out;
  TxStage stage(options(out, "none", "exit 4"), pool);
  for (std::uint64_t seq = 0; seq < 100; ++seq) {
    if (!stage.submit(make_frame(pool, seq, 1000, 'z'))) break;
  }
  std::unique_lock lock(out.mutex);
  ASSERT_TRUE(out.cv.wait_for(lock, 30s, [&] { return !out.failures.empty(); }));
  lock.unlock();
  EXPECT_FALSE(stage.submit(make_frame(pool, 100, 1000, 'z')));
  lock.lock();
  EXPECT_EQ(out.failures.size(), 1u);
  EXPECT_NE(out.failures[0].find("status 4"), std::string::npos) << out.failures[0];
  EXPECT_TRUE(out.frames.empty());
}

// A keyed session with nothing to compress: the reader seals each frame in submit() and it
// is emitted before submit() returns, on the reader's thread, sealed so that it opens.
TEST(TxStage, SealOnReaderSealsAndEmitsBeforeSubmitReturns) {
  BufferPool pool(64 << 20);
  Collected out;
  auto opts = options(out, "none");
  const auto keys = std::make_shared<const crypto::FrameKeys>(
      crypto::Secret(std::vector<std::byte>(32, std::byte{'k'})), crypto::Salt{},
      crypto::Cipher::aes_256_gcm);
  opts.keys = keys;
  opts.seal_on_reader = true;
  std::vector<std::thread::id> emitted_on;
  opts.emit = [&](std::shared_ptr<OutFrame> f) {
    emitted_on.push_back(std::this_thread::get_id());
    out.frames.push_back(std::move(f));
  };
  TxStage stage(std::move(opts), pool);
  for (std::uint64_t seq = 0; seq < 5; ++seq) {
    ASSERT_TRUE(stage.submit(make_frame(pool, seq, 1000 + seq, static_cast<char>('a' + seq))));
    ASSERT_EQ(out.frames.size(), seq + 1);  // no lock: emitted on this thread, already
  }
  EXPECT_EQ(stage.held(), 0u);
  EXPECT_GT(stage.busy_seconds(), 0.0);
  for (std::uint64_t seq = 0; seq < 5; ++seq) {
    EXPECT_EQ(emitted_on[seq], std::this_thread::get_id());
    auto& f = *out.frames[seq];
    ASSERT_TRUE(f.header.has(wire::FrameFlag::sealed));
    EXPECT_EQ(f.header.seq, seq);
    EXPECT_EQ(f.header.codec, wire::Codec::none);
    const std::span<std::byte> data(f.payload.data(), f.header.length);
    EXPECT_NE(data[0], static_cast<std::byte>('a' + seq));  // ciphertext, not the fill
    ASSERT_TRUE(keys->open(seq, f.header.encode(), data, f.tag));
    for (auto b : data) ASSERT_EQ(b, static_cast<std::byte>('a' + seq));
  }
}

TEST(WorkerPool, DepthCountsWorkAwaitedByACoroutineUntilItIsDone) {
  BufferPool pool(1 << 20);
  // Before the pool, so destroyed after it: as in the receiver, the workers are joined while
  // the io_context their results go to still exists.
  asio::io_context io;
  WorkerPool workers(1, pool);
  std::promise<void> release;
  auto released = release.get_future().share();
  int result = 0;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        // Captures by reference only: GCC 12 destroys a temporary with a non-trivial
        // destructor twice inside a co_await expression (as the receiver's decode does).
        result = co_await run_on_worker(workers, [&released](FrameCodec&) {
          released.wait();
          return 42;
        });
      },
      asio::detached);
  std::thread runner([&] { io.run(); });
  for (int i = 0; i < 200 && workers.depth() == 0; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(workers.depth(), 1u);  // the receiver's queue-depth metric sees decodes too
  release.set_value();
  runner.join();
  EXPECT_EQ(result, 42);
  EXPECT_EQ(workers.depth(), 0u);
}

}  // namespace
}  // namespace vmp::sidechain
