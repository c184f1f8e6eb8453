// The Tuner's thread: prompt stop on the real clock, the best genome left applied, and engine
// failures that never escape the thread.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>

#include "fake_transfer.hpp"
#include "knobs_printer.hpp"
#include "temp_dir.hpp"
#include "virtual_clock.hpp"
#include "vmp/tuner/profile.hpp"
#include "vmp/tuner/tuner.hpp"

namespace vmp::tuner {
namespace {

using testing::FakeTransfer;
using testing::TempDir;
using testing::VirtualClock;

double steady_rate(const Knobs& k, double) {
  return 1e6 * std::min<double>(k.legs, 8);
}

TEST(Tuner, StopInterruptsALongWindowPromptly) {
  auto clock = std::make_shared<SteadyClock>();
  FakeTransfer fake(*clock, Knobs{}, steady_rate);
  TunerOptions o;
  o.clock = clock;
  o.seed = 1;
  o.window.measure_min_seconds = 10;  // every experiment would take 10 s
  o.window.warmup_min_seconds = 0.01;
  o.window.warmup_max_seconds = 0.01;
  Tuner tuner(fake, o);
  tuner.start();
  fake.wait_until([](const auto&, const auto& applied) { return !applied.empty(); });
  auto before = std::chrono::steady_clock::now();
  tuner.stop();
  auto took = std::chrono::steady_clock::now() - before;
  EXPECT_LT(took, std::chrono::milliseconds(500));
  tuner.stop();  // idempotent
}

TEST(Tuner, LeavesTheBestAppliedAndSavedAtStop) {
  TempDir dir;
  auto clock = std::make_shared<VirtualClock>();
  FakeTransfer fake(*clock, Knobs{}, steady_rate);
  TunerOptions o;
  o.clock = clock;
  o.seed = 2;
  o.profile_path = dir.file("p.json");
  {
    Tuner tuner(fake, o);
    tuner.start();
    fake.wait_until([](const auto& reports, const auto&) { return reports.size() >= 10; });
  }  // destructor stops
  EXPECT_EQ(load_profile(o.profile_path).knobs, fake.knobs());
}

TEST(Tuner, EngineFailuresEndTuningWithOneLine) {
  auto clock = std::make_shared<VirtualClock>();
  FakeTransfer fake(*clock, Knobs{}, steady_rate);
  fake.throw_after_snapshots(40);
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::string> warnings;
  TunerOptions o;
  o.clock = clock;
  o.seed = 3;
  o.warn = [&](std::string_view w) {
    std::lock_guard lock(m);
    warnings.emplace_back(w);
    cv.notify_all();
  };
  Tuner tuner(fake, o);
  tuner.start();
  {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return !warnings.empty(); });
    EXPECT_EQ(warnings[0], "tuner stopped: engine gone");
  }
  tuner.stop();
}

TEST(Tuner, BadLogPathFailsBeforeTheTransferStarts) {
  auto clock = std::make_shared<VirtualClock>();
  FakeTransfer fake(*clock, Knobs{}, steady_rate);
  TunerOptions o;
  o.clock = clock;
  o.log_path = "/nonexistent-dir/t.jsonl";
  EXPECT_THROW(Tuner(fake, o), std::runtime_error);
}

}  // namespace
}  // namespace vmp::tuner
