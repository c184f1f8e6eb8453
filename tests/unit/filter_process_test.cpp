#include "sidechain/filter_process.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace vmp::sidechain {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMiB = 1024 * 1024;
constexpr FilterLimits kRoomy{64 * kMiB, 10s};

std::vector<std::byte> random_bytes(std::size_t n, std::uint64_t seed = 1) {
  std::mt19937_64 rng(seed);
  std::vector<std::byte> v(n);
  for (auto& b : v) b = static_cast<std::byte>(rng());
  return v;
}

// Random words from a small alphabet: compresses, unlike random_bytes.
std::vector<std::byte> text_bytes(std::size_t n, std::uint64_t seed = 1) {
  std::mt19937_64 rng(seed);
  std::vector<std::byte> v(n);
  for (auto& b : v) b = static_cast<std::byte>("abcdefgh \n"[rng() % 10]);
  return v;
}

std::vector<std::byte> bytes_of(const std::string& s) {
  std::vector<std::byte> v(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) v[i] = static_cast<std::byte>(s[i]);
  return v;
}

std::size_t open_fds() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

// Every test must leave no descriptor open and no child behind (not even a zombie).
class RunFilter : public ::testing::Test {
 protected:
  void SetUp() override { fds_before_ = open_fds(); }
  void TearDown() override {
    EXPECT_EQ(open_fds(), fds_before_) << "a descriptor leaked";
    errno = 0;
    EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1) << "a child was left unreaped";
    EXPECT_EQ(errno, ECHILD);
  }

 private:
  std::size_t fds_before_ = 0;
};

TEST_F(RunFilter, CatReturnsMoreThanAPipeBufferUnchanged) {
  // 3 MiB is far more than a pipe holds (64 KiB): cat blocks on its stdout unless we read
  // while we write.
  const auto input = random_bytes(3 * kMiB);
  const auto r = run_filter("cat", input, kRoomy);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(r.output, input);
}

TEST_F(RunFilter, EmptyInputIsAnImmediateEndOfFile) {
  const auto r = run_filter("cat", {}, kRoomy);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.output.empty());
  const auto p = run_filter("printf abc", {}, kRoomy);
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.output, bytes_of("abc"));
}

TEST_F(RunFilter, GzipThenGunzipGivesTheInputBack) {
  const auto input = text_bytes(3 * kMiB);
  const auto packed = run_filter("gzip -1", input, kRoomy);
  ASSERT_TRUE(packed.ok) << packed.error;
  EXPECT_LT(packed.output.size(), input.size() / 2);
  const auto unpacked = run_filter("gzip -dc", packed.output, kRoomy);
  ASSERT_TRUE(unpacked.ok) << unpacked.error;
  EXPECT_EQ(unpacked.output, input);
}

TEST_F(RunFilter, NonZeroExitStatusIsAnError) {
  const auto r = run_filter("exit 3", {}, kRoomy);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "filter 'exit 3' exited with status 3");
}

TEST_F(RunFilter, TheErrorCarriesTheFirstLineOfStderr) {
  const auto r =
      run_filter("echo >&2; echo '  first line ' >&2; echo second >&2; exit 1", {}, kRoomy);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.diagnostic, "first line");
  const std::string tail = "' exited with status 1: first line";  // and nothing after it
  ASSERT_GE(r.error.size(), tail.size());
  EXPECT_EQ(r.error.substr(r.error.size() - tail.size()), tail) << r.error;

  const auto garbage = run_filter("gzip -dc", bytes_of("this is not gzip"), kRoomy);
  EXPECT_FALSE(garbage.ok);
  EXPECT_EQ(garbage.error.rfind("filter 'gzip -dc' exited with status 1: gzip: stdin: ", 0), 0u)
      << garbage.error;
  EXPECT_NE(garbage.error.find("not in gzip format"), std::string::npos) << garbage.error;
}

TEST_F(RunFilter, ALongStderrLineIsTrimmed) {
  const auto r = run_filter("printf '%0500d\\n' 0 >&2; exit 1", {}, kRoomy);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.diagnostic, std::string(200, '0') + "...");
}

TEST_F(RunFilter, WarningsOfASuccessfulFilterAreKept) {
  const auto r = run_filter("echo careful >&2; cat", bytes_of("x"), kRoomy);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.diagnostic, "careful");
  EXPECT_EQ(r.output, bytes_of("x"));
}

TEST_F(RunFilter, DeathBySignalIsNamed) {
  const auto r = run_filter("kill -SEGV $$", {}, kRoomy);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("killed by signal 11"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("SIGSEGV"), std::string::npos) << r.error;
}

TEST_F(RunFilter, AFilterThatNeverReadsIsKilledAfterTheStallTimeout) {
  // Empty input, or 3 MiB it never reads: either way it sits there with nothing done.
  for (const std::size_t n : {std::size_t{0}, 3 * kMiB}) {
    const auto start = Clock::now();
    const auto r = run_filter("sleep 30", random_bytes(n), {kMiB, 300ms});
    const auto took = Clock::now() - start;
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.error, "filter 'sleep 30' made no progress for 0.3 s");
    EXPECT_GE(took, 300ms);
    EXPECT_LT(took, 5s);
  }
}

// Progress is what it reads and writes, not how long it takes: a filter slower in total than
// the stall timeout, but never idle that long, finishes.
TEST_F(RunFilter, ASlowButSteadyFilterIsNotAStall) {
  const auto r = run_filter("while read -r l; do sleep 0.1; echo \"$l\"; done",
                            bytes_of("1\n2\n3\n4\n5\n6\n7\n8\n"), {kMiB, 400ms});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.output, bytes_of("1\n2\n3\n4\n5\n6\n7\n8\n"));
}

// The filter's stdout is whole only once everything it started has finished with it: what a
// background job still writes after the filter itself exited is part of the output.
TEST_F(RunFilter, WhatTheFilterLeftRunningIsWaitedFor) {
  const auto r = run_filter("(sleep 0.3; echo late) & echo early", {}, kRoomy);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.output, bytes_of("early\nlate\n"));
}

TEST_F(RunFilter, AFilterThatClosesItsOutputButDoesNotExitIsKilledToo) {
  const auto start = Clock::now();
  const auto r = run_filter("exec >&- 2>&-; sleep 30", {}, {kMiB, 300ms});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("made no progress"), std::string::npos) << r.error;
  EXPECT_LT(Clock::now() - start, 5s);
}

// A killed filter takes what it started with it: the processes of a pipeline, too.
TEST_F(RunFilter, AKilledFilterLeavesNothingRunning) {
  const auto r = run_filter("sleep 30 & echo $! >&2; wait", {}, {kMiB, 300ms});
  EXPECT_FALSE(r.ok);
  ASSERT_FALSE(r.diagnostic.empty());
  const std::string stat = "/proc/" + r.diagnostic + "/stat";
  // Its parent (the shell) is gone, so it belongs to some reaper now; a zombie is dead enough.
  char state = '?';
  for (int i = 0; i < 100; ++i) {
    std::ifstream f(stat);
    std::string pid, comm;
    if (!(f >> pid >> comm >> state)) {
      state = 'X';  // gone
      break;
    }
    if (state == 'Z') break;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(state == 'X' || state == 'Z') << "sleep " << r.diagnostic << " is in state " << state;
}

TEST_F(RunFilter, TooMuchOutputIsAnError) {
  const auto r = run_filter("yes", {}, {kMiB, 10s});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "filter 'yes' wrote more than 1048576 bytes");
  EXPECT_LE(r.output.size(), kMiB);
  // Exactly the limit is fine.
  const auto exact = run_filter("head -c 1048576 /dev/zero", {}, {kMiB, 10s});
  ASSERT_TRUE(exact.ok) << exact.error;
  EXPECT_EQ(exact.output.size(), kMiB);
}

// A worker runs every frame's filter on the same two files: each call gets exactly what its
// own filter wrote, never bytes an earlier, longer output left behind, and its filter reads
// exactly its own input.
TEST_F(RunFilter, CallsOnOneWorkersFilesEachGetExactlyTheirOwnOutput) {
  FilterFiles files(kRoomy.max_output);
  auto run = [&files](const std::string& command, std::span<const std::byte> input) {
    std::vector<std::byte> out;
    const auto r = run_filter(
        command, input, kRoomy,
        [&out](std::size_t bytes) {
          out.resize(bytes);
          return std::span<std::byte>(out);
        },
        files);
    EXPECT_TRUE(r.ok) << command << ": " << r.error;
    return out;
  };
  const auto big = random_bytes(3 * kMiB, 1);
  const auto small = random_bytes(1000, 2);
  EXPECT_EQ(run("cat", big), big);
  EXPECT_EQ(run("cat", small), small);
  EXPECT_EQ(run("wc -c", big), bytes_of(std::to_string(big.size()) + "\n"));
  EXPECT_EQ(run("printf abc", {}), bytes_of("abc"));
  EXPECT_EQ(run("cat", {}), std::vector<std::byte>{});
  // A failed call in between leaves nothing behind for the next.
  std::vector<std::byte> unused;
  const auto failed = run_filter(
      "cat; exit 3", big, kRoomy,
      [&unused](std::size_t bytes) {
        unused.resize(bytes);
        return std::span<std::byte>(unused);
      },
      files);
  EXPECT_FALSE(failed.ok);
  EXPECT_EQ(run("cat", small), small);
}

// A limit above what the worker's output file has room for is refused, not half-enforced.
TEST_F(RunFilter, ALimitAboveTheFilesRoomIsRefused) {
  FilterFiles files(kMiB);
  const auto r = run_filter(
      "cat", bytes_of("x"), {2 * kMiB, 10s}, [](std::size_t) { return std::span<std::byte>(); },
      files);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("room"), std::string::npos) << r.error;
}

TEST(WordsWithoutShell, PlainWordsAreSplitAnythingElseNeedsTheShell) {
  using Words = std::vector<std::string>;
  EXPECT_EQ(words_without_shell("gzip -1"), (Words{"gzip", "-1"}));
  EXPECT_EQ(words_without_shell("  xz\t-T1  -dc "), (Words{"xz", "-T1", "-dc"}));
  EXPECT_EQ(words_without_shell("dd bs=1M status=none"), (Words{"dd", "bs=1M", "status=none"}));
  EXPECT_EQ(words_without_shell("/usr/bin/zstd -1 --long=27"),
            (Words{"/usr/bin/zstd", "-1", "--long=27"}));
  for (const char* shell : {"", "  ", "gzip -1 | cat", "FOO=1 gzip", "echo $HOME", "'gzip'",
                            "gzip -1 >x", "cat *", "a;b", "gzip\n-1", "cat ~/x", "gz\\ip"})
    EXPECT_FALSE(words_without_shell(shell)) << shell;
}

// Started directly or not, a command means what the shell would make of it: a builtin (no
// program on PATH) still runs in the shell.
TEST_F(RunFilter, ABuiltinStillRunsInTheShell) {
  const auto r = run_filter("exit 3", {}, kRoomy);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "filter 'exit 3' exited with status 3");
}

TEST_F(RunFilter, AMissingProgramIsTheShellsStatus127) {
  const auto r = run_filter("vmp-no-such-program -1", bytes_of("abc"), kRoomy);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error.rfind("filter 'vmp-no-such-program -1' exited with status 127: ", 0), 0u)
      << r.error;
  EXPECT_NE(r.error.find("not found"), std::string::npos) << r.error;
}

TEST_F(RunFilter, AFilterThatStopsReadingEarlyIsJudgedByItsExitStatus) {
  const auto input = random_bytes(3 * kMiB);
  const auto r = run_filter("head -c 10", input, kRoomy);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.output, std::vector<std::byte>(input.begin(), input.begin() + 10));
  // The EPIPE raised a SIGPIPE for this thread; it must not be left pending.
  sigset_t pending;
  sigemptyset(&pending);
  ASSERT_EQ(::sigpending(&pending), 0);
  EXPECT_EQ(sigismember(&pending, SIGPIPE), 0);

  const auto failed = run_filter("head -c 10 >/dev/null; exit 4", input, kRoomy);
  EXPECT_FALSE(failed.ok);
  EXPECT_NE(failed.error.find("status 4"), std::string::npos) << failed.error;
}

// The filter starts with a clean slate of signals even though this program ignores SIGPIPE
// (as viamillipede does; an ignored signal stays ignored across exec, and pipelines inside the
// filter end by SIGPIPE) and the calling thread blocks some (SIGPIPE itself, during the call).
TEST_F(RunFilter, TheFilterGetsDefaultSigpipeAndNoBlockedSignals) {
  const auto old = std::signal(SIGPIPE, SIG_IGN);
  sigset_t usr1, old_mask;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &usr1, &old_mask), 0);
  const auto r = run_filter("grep -E '^Sig(Blk|Ign)' /proc/self/status", {}, kRoomy);
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  std::signal(SIGPIPE, old);
  ASSERT_TRUE(r.ok) << r.error;
  std::istringstream lines(
      std::string(reinterpret_cast<const char*>(r.output.data()), r.output.size()));
  std::string key, hex;
  int seen = 0;
  while (lines >> key >> hex) {
    const auto mask = std::stoull(hex, nullptr, 16);
    if (key == "SigBlk:") {
      EXPECT_EQ(mask, 0u) << hex;
    } else {
      EXPECT_EQ(mask & (1ull << (SIGPIPE - 1)), 0u) << hex;  // SigIgn
    }
    ++seen;
  }
  EXPECT_EQ(seen, 2);
}

TEST_F(RunFilter, ManyThreadsAtOnce) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 3;
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &errors] {
      for (int round = 0; round < kRounds && errors[t].empty(); ++round) {
        const auto input = text_bytes(kMiB + static_cast<std::size_t>(t) * 4099, t * 10 + round);
        const auto packed = run_filter("gzip -1", input, kRoomy);
        if (!packed.ok) {
          errors[t] = packed.error;
          break;
        }
        const auto unpacked = run_filter("gzip -dc", packed.output, kRoomy);
        if (!unpacked.ok)
          errors[t] = unpacked.error;
        else if (unpacked.output != input)
          errors[t] = "gzip round trip differs";
        const auto both = run_filter("gzip -1 | gzip -dc", input, kRoomy);
        if (!both.ok)
          errors[t] = both.error;
        else if (both.output != input)
          errors[t] = "pipeline round trip differs";
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(errors[t], "") << "thread " << t;
}

// Pipes made by one thread must not leak into a filter another thread starts at that moment:
// a leaked write end of a `cat`'s stdin would hold off its end of input until the other
// filter (here a `sleep 2`) exits, so a quick `cat` would take about two seconds. The bound
// leaves room for a loaded machine (a sanitized build beside other tests took 0.53 s once).
TEST_F(RunFilter, ConcurrentFiltersDoNotHoldEachOthersPipes) {
  std::atomic<bool> done{false};
  std::vector<std::thread> sleepers;
  for (int i = 0; i < 3; ++i) {
    sleepers.emplace_back([&done] {
      while (!done) run_filter("sleep 2", {}, kRoomy);
    });
  }
  const auto input = random_bytes(256 * 1024);
  auto slowest = Clock::duration::zero();
  for (int i = 0; i < 40; ++i) {
    const auto start = Clock::now();
    const auto r = run_filter("cat", input, kRoomy);
    slowest = std::max(slowest, Clock::now() - start);
    ASSERT_TRUE(r.ok) << r.error;
    ASSERT_EQ(r.output, input);
  }
  done = true;
  for (auto& th : sleepers) th.join();
  EXPECT_LT(slowest, 1500ms);
}

TEST_F(RunFilter, StartFailureIsReported) {
  // No descriptor left for the pipes: the one failure we can provoke before /bin/sh runs. The
  // limit is lowered first so that filling the table takes a handful of descriptors.
  rlimit old{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &old), 0);
  rlimit low = old;
  low.rlim_cur = std::min<rlim_t>(old.rlim_cur, open_fds() + 16);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  std::vector<int> hogs;
  for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) hogs.push_back(fd);
  const auto r = run_filter("cat", bytes_of("x"), kRoomy);
  for (const int fd : hogs) ::close(fd);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &old), 0);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "filter 'cat' could not be started: Too many open files");
}

}  // namespace
}  // namespace vmp::sidechain
