#include "sidechain/filter_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>  // sigabbrev_np
#include <optional>
#include <system_error>
#include <thread>
#include <utility>

#include "util/unique_fd.hpp"

namespace vmp::sidechain {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kReadChunk = 256 * 1024;
constexpr std::size_t kPipeBytes = 1024 * 1024;
constexpr std::size_t kStderrKeep = 4096;  // enough for the line we report; the rest is drained
constexpr std::size_t kLineMax = 200;

// strerror() may share a buffer between threads; the category's message does not.
std::string errno_text(int err) {
  return std::generic_category().message(err);
}

std::string seconds_text(std::chrono::milliseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

std::string signal_text(int sig) {
  std::string text = "signal " + std::to_string(sig);
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 32)
  // sigabbrev_np is thread-safe (a constant table), unlike strsignal.
  if (const char* abbrev = ::sigabbrev_np(sig)) text += std::string(" (SIG") + abbrev + ")";
#endif
  return text;
}

// The first non-blank line of what the filter wrote to stderr, trimmed, as one printable line.
std::string first_line(const std::string& err) {
  std::size_t pos = 0;
  while (pos < err.size()) {
    std::size_t end = err.find('\n', pos);
    if (end == std::string::npos) end = err.size();
    std::size_t b = pos;
    std::size_t e = end;
    auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    while (b < e && blank(err[b])) ++b;
    while (e > b && blank(err[e - 1])) --e;
    if (b < e) {
      std::string line = err.substr(b, e - b);
      if (line.size() > kLineMax) {
        std::size_t cut = kLineMax;
        // Do not split a UTF-8 sequence: back up over continuation bytes (10xxxxxx).
        while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
        line.resize(cut);
        line += "...";
      }
      // One line on the user's terminal: no stray control characters from the filter.
      for (char& c : line) {
        const auto u = static_cast<unsigned char>(c);
        if (u == '\t')
          c = ' ';
        else if (u < 0x20 || u == 0x7F)
          c = '?';
      }
      return line;
    }
    pos = end + 1;
  }
  return {};
}

// While the filter runs, the calling thread has SIGPIPE blocked: writing to a filter that has
// exited (`head -c 10`) must give EPIPE, not kill the whole program, and we cannot assume that
// the program ignores SIGPIPE nor change its disposition (process-wide, other threads). A
// blocked SIGPIPE stays pending on this thread (even when its disposition is SIG_IGN: Linux
// never discards a blocked signal), so after an EPIPE we take it off with sigtimedwait before
// restoring the mask. One that was pending already before the call is not ours to take.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
    sigset_t pending;
    sigemptyset(&pending);
    ::sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;
  ~SigpipeBlock() {
    if (got_epipe_ && !was_pending_) {
      const timespec zero{};
      while (::sigtimedwait(&pipe_, nullptr, &zero) < 0 && errno == EINTR) {
      }
    }
    ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  void note_epipe() { got_epipe_ = true; }

 private:
  sigset_t pipe_;
  sigset_t old_;
  bool was_pending_ = false;
  bool got_epipe_ = false;
};

// The started process. Whatever way run_filter leaves, the destructor kills the process group
// (the filter and anything it started) and reaps the filter: no zombie, nothing left running.
class Child {
 public:
  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0) {
      kill_group();
      reap();
    }
  }

  pid_t* pid_out() { return &pid_; }

  // Safe only while the filter is not yet reaped: until then its pid (and with it the group
  // id) cannot be given to another process.
  void kill_group() const { ::kill(-pid_, SIGKILL); }

  // Whether the filter has exited, without reaping it (WNOWAIT) so its pid stays ours.
  // nullopt: we cannot tell (no such child any more, e.g. SIGCHLD ignored).
  std::optional<bool> exited() const {
    for (;;) {
      siginfo_t info{};
      if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0)
        return info.si_pid == pid_;
      if (errno != EINTR) return std::nullopt;
    }
  }

  // The wait status, or nullopt when it was lost.
  std::optional<int> reap() {
    int status = 0;
    pid_t r;
    while ((r = ::waitpid(pid_, &status, 0)) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    if (r < 0) return std::nullopt;
    return status;
  }

 private:
  pid_t pid_ = -1;
};

class SpawnFileActions {
 public:
  SpawnFileActions() { ::posix_spawn_file_actions_init(&fa_); }
  SpawnFileActions(const SpawnFileActions&) = delete;
  SpawnFileActions& operator=(const SpawnFileActions&) = delete;
  ~SpawnFileActions() { ::posix_spawn_file_actions_destroy(&fa_); }
  posix_spawn_file_actions_t* get() { return &fa_; }

 private:
  posix_spawn_file_actions_t fa_;
};

class SpawnAttr {
 public:
  SpawnAttr() { ::posix_spawnattr_init(&attr_); }
  SpawnAttr(const SpawnAttr&) = delete;
  SpawnAttr& operator=(const SpawnAttr&) = delete;
  ~SpawnAttr() { ::posix_spawnattr_destroy(&attr_); }
  posix_spawnattr_t* get() { return &attr_; }

 private:
  posix_spawnattr_t attr_;
};

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

// Both ends close-on-exec, created so atomically: another thread's posix_spawn between pipe()
// and fcntl() would hand our ends to its filter, and a leaked write end of our filter's stdin
// would keep it waiting for end of input as long as that other filter lives.
std::optional<Pipe> make_pipe(int& err) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    err = errno;
    return std::nullopt;
  }
  // A frame is megabytes: a bigger pipe means fewer trips between us and the filter. Best
  // effort (the per-user pipe budget may say no; the default 64 KiB works too).
  (void)::fcntl(fds[1], F_SETPIPE_SZ, static_cast<int>(kPipeBytes));
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// A child end is dup2'ed onto 0, 1 or 2 in the child. If it already were one of those (the
// program runs with a standard descriptor closed), the dup2s could overwrite one another, so
// it is moved above 2 first.
bool above_stdio(UniqueFd& fd, int& err) {
  if (fd.get() > 2) return true;
  const int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
  if (moved < 0) {
    err = errno;
    return false;
  }
  fd.reset(moved);
  return true;
}

bool set_nonblocking(const UniqueFd& fd, int& err) {
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
    err = errno;
    return false;
  }
  return true;
}

// The command as error lines quote it: on one line (a newline shows as \n), and not so long
// that the reason after it is lost.
std::string quoted(const std::string& command) {
  std::string out;
  for (char c : command) {
    if (out.size() >= 80) {
      out += "...";
      break;
    }
    out += c == '\n' ? std::string("\\n") : std::string(1, c);
  }
  return "'" + out + "'";
}

bool plain_word_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) != 0 || std::strchr("-_./=:,+@%", c) != nullptr;
}

}  // namespace

std::optional<std::vector<std::string>> words_without_shell(const std::string& command) {
  std::vector<std::string> words;
  std::string word;
  for (const char c : command) {
    if (c == ' ' || c == '\t') {
      if (!word.empty()) words.push_back(std::exchange(word, {}));
    } else if (c == '\0' || !plain_word_char(c)) {
      return std::nullopt;
    } else {
      word += c;
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  // `NAME=value cmd` sets a variable for cmd: shell syntax.
  if (words.empty() || words.front().find('=') != std::string::npos) return std::nullopt;
  return words;
}

FilterResult run_filter(const std::string& command, std::span<const std::byte> input,
                        const FilterLimits& limits) {
  std::vector<std::byte> output;
  auto result = run_filter(command, input, limits, output);
  result.output = std::move(output);
  return result;
}

FilterResult run_filter(const std::string& command, std::span<const std::byte> input,
                        const FilterLimits& limits, std::vector<std::byte>& output) {
  output.clear();
  FilterResult result;
  const std::string name = "filter " + quoted(command);
  auto fail = [&](std::string why) {
    result.ok = false;
    result.error = name + " " + std::move(why);
    return std::move(result);
  };

  // Declared before the pipes and the child, so destroyed after them: the mask is restored only
  // once no write to the filter can happen any more.
  SigpipeBlock sigpipe;

  int err = 0;
  auto in = make_pipe(err);
  auto out = in ? make_pipe(err) : std::nullopt;
  auto errp = out ? make_pipe(err) : std::nullopt;
  if (!errp) return fail("could not be started: " + errno_text(err));
  if (!above_stdio(in->read, err) || !above_stdio(out->write, err) ||
      !above_stdio(errp->write, err) || !set_nonblocking(in->write, err) ||
      !set_nonblocking(out->read, err) || !set_nonblocking(errp->read, err))
    return fail("could not be started: " + errno_text(err));

  SpawnFileActions actions;
  ::posix_spawn_file_actions_adddup2(actions.get(), in->read.get(), 0);
  ::posix_spawn_file_actions_adddup2(actions.get(), out->write.get(), 1);
  ::posix_spawn_file_actions_adddup2(actions.get(), errp->write.get(), 2);
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 34)
  // Belt and braces: descriptors the rest of the program opened without close-on-exec (Asio's
  // sockets, for one) must not live on in the filter either; a leg socket held by a filter
  // would not be closed when the leg closes it.
  ::posix_spawn_file_actions_addclosefrom_np(actions.get(), 3);
#endif

  SpawnAttr attr;
  // Its own process group, so that a kill reaches a pipeline (`gzip -1 | gzip -dc`) and not
  // just the shell. An empty signal mask (the calling worker thread may block signals, and
  // blocks SIGPIPE right now), and SIGPIPE back to its default: the program may ignore it, an
  // ignored signal stays ignored across exec, and pipelines inside the filter rely on it.
  sigset_t empty;
  sigemptyset(&empty);
  sigset_t pipe_default;
  sigemptyset(&pipe_default);
  sigaddset(&pipe_default, SIGPIPE);
  ::posix_spawnattr_setflags(
      attr.get(),
      static_cast<short>(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));
  ::posix_spawnattr_setpgroup(attr.get(), 0);
  ::posix_spawnattr_setsigmask(attr.get(), &empty);
  ::posix_spawnattr_setsigdefault(attr.get(), &pipe_default);

  Child child;
  int rc = -1;
  if (const auto words = words_without_shell(command)) {
    std::vector<char*> argv;
    for (const auto& w : *words) argv.push_back(const_cast<char*>(w.c_str()));
    argv.push_back(nullptr);
    rc = ::posix_spawnp(child.pid_out(), argv[0], actions.get(), attr.get(), argv.data(), environ);
    // Not found (or not runnable): the shell below runs it as before, and so reports it as
    // before (status 127, "not found"), and runs a builtin such as `exit 3`.
    if (rc != 0) *child.pid_out() = -1;
  }
  if (rc != 0) {
    char* argv[] = {const_cast<char*>("sh"), const_cast<char*>("-c"),
                    const_cast<char*>(command.c_str()), nullptr};
    rc = ::posix_spawn(child.pid_out(), "/bin/sh", actions.get(), attr.get(), argv, environ);
  }
  if (rc != 0) {
    *child.pid_out() = -1;  // nothing to reap
    return fail("could not be started: " + errno_text(rc));
  }
  // Our copies of the child's ends must go, or we would never see end of file on its output.
  in->read.reset();
  out->write.reset();
  errp->write.reset();
  UniqueFd to_child = std::move(in->write);
  UniqueFd from_stdout = std::move(out->read);
  UniqueFd from_stderr = std::move(errp->read);

  std::size_t written = 0;
  if (input.empty()) to_child.reset();
  // One byte more than allowed is proof enough of too much; never read further than that.
  const std::size_t read_limit = limits.max_output == SIZE_MAX ? SIZE_MAX : limits.max_output + 1;
  output.reserve(std::min(read_limit, std::max(input.size(), kReadChunk)));
  std::string stderr_text;
  char stderr_buf[4096];
  auto last_progress = Clock::now();
  auto stalled = [&] {
    result.diagnostic = first_line(stderr_text);
    return fail("made no progress for " + seconds_text(limits.stall_timeout));
  };

  // Feed stdin and drain stdout and stderr at the same time: a filter may well write output
  // (and fill its stdout pipe) long before it has read all its input.
  while (to_child || from_stdout || from_stderr) {
    const auto now = Clock::now();
    const auto deadline = last_progress + limits.stall_timeout;
    if (now >= deadline) return stalled();
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
    const int timeout = static_cast<int>(std::min<decltype(wait)>(wait, INT_MAX));

    pollfd fds[3];
    nfds_t n = 0;
    int in_at = -1, out_at = -1, err_at = -1;
    if (to_child) {
      in_at = static_cast<int>(n);
      fds[n++] = {to_child.get(), POLLOUT, 0};
    }
    if (from_stdout) {
      out_at = static_cast<int>(n);
      fds[n++] = {from_stdout.get(), POLLIN, 0};
    }
    if (from_stderr) {
      err_at = static_cast<int>(n);
      fds[n++] = {from_stderr.get(), POLLIN, 0};
    }
    const int ready = ::poll(fds, n, timeout);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return fail("could not be watched: poll: " + errno_text(errno));
    }
    if (ready == 0) continue;  // the deadline check above decides

    // POLLERR/POLLHUP too: the write (or read) then tells what happened.
    if (in_at >= 0 && fds[in_at].revents != 0) {
      const ssize_t w = ::write(to_child.get(), input.data() + written, input.size() - written);
      if (w > 0) {
        written += static_cast<std::size_t>(w);
        last_progress = Clock::now();
        if (written == input.size()) to_child.reset();  // end of its input
      } else if (w < 0 && errno == EPIPE) {
        // It closed its stdin (`head -c 10`, or it died): the exit status will say which.
        sigpipe.note_epipe();
        to_child.reset();
      } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
        return fail("could not be given its input: " + errno_text(errno));
      }
    }
    if (out_at >= 0 && fds[out_at].revents != 0) {
      auto& o = output;
      if (o.capacity() - o.size() < kReadChunk)
        o.reserve(std::min(read_limit, std::max(o.capacity() * 2, o.size() + kReadChunk)));
      const std::size_t old = o.size();
      // At most one chunk: resize() zero-fills what it adds, and filling the whole spare
      // capacity before every read cost more than the filter itself on big frames.
      const std::size_t want = std::min(kReadChunk, read_limit - old);
      o.resize(old + want);
      const ssize_t r = ::read(from_stdout.get(), o.data() + old, want);
      o.resize(old + static_cast<std::size_t>(std::max<ssize_t>(r, 0)));
      if (r > 0) {
        last_progress = Clock::now();
        if (o.size() > limits.max_output) {
          o.resize(limits.max_output);
          return fail("wrote more than " + std::to_string(limits.max_output) + " bytes");
        }
      } else if (r == 0) {
        from_stdout.reset();
        last_progress = Clock::now();
      } else if (errno != EAGAIN && errno != EINTR) {
        return fail("could not be read from: " + errno_text(errno));
      }
    }
    if (err_at >= 0 && fds[err_at].revents != 0) {
      const ssize_t r = ::read(from_stderr.get(), stderr_buf, sizeof stderr_buf);
      if (r > 0) {
        last_progress = Clock::now();
        const auto keep = std::min(static_cast<std::size_t>(r), kStderrKeep - stderr_text.size());
        stderr_text.append(stderr_buf, keep);
      } else if (r == 0) {
        from_stderr.reset();
        last_progress = Clock::now();
      } else if (errno != EAGAIN && errno != EINTR) {
        return fail("could not be read from: " + errno_text(errno));
      }
    }
  }
  result.diagnostic = first_line(stderr_text);

  // Its output is complete; the process normally exits a moment later. It might also have
  // closed stdout and gone on running, so the wait is bounded by the stall timeout too. There
  // is no descriptor to poll for a pid without pidfd (Linux 5.3), hence short sleeps.
  const auto exit_deadline = Clock::now() + limits.stall_timeout;
  auto nap = std::chrono::microseconds(50);
  for (;;) {
    const auto exited = child.exited();
    if (!exited) return fail("vanished: its exit status was lost (is SIGCHLD ignored?)");
    if (*exited) break;
    if (Clock::now() >= exit_deadline) return stalled();
    std::this_thread::sleep_for(nap);
    nap = std::min(nap * 2, std::chrono::microseconds(10'000));
  }
  // Anything it left behind in its group goes with it; then the status.
  child.kill_group();
  const auto status = child.reap();
  if (!status) return fail("vanished: its exit status was lost (is SIGCHLD ignored?)");

  const std::string detail = result.diagnostic.empty() ? "" : ": " + result.diagnostic;
  if (WIFEXITED(*status)) {
    if (WEXITSTATUS(*status) == 0) {
      result.ok = true;
      return result;
    }
    return fail("exited with status " + std::to_string(WEXITSTATUS(*status)) + detail);
  }
  if (WIFSIGNALED(*status)) return fail("was killed by " + signal_text(WTERMSIG(*status)) + detail);
  return fail("ended with wait status " + std::to_string(*status) + detail);
}

}  // namespace vmp::sidechain
