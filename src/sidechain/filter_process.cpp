#include "sidechain/filter_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>  // sigabbrev_np
#include <optional>
#include <system_error>
#include <utility>

#include "util/unique_fd.hpp"

namespace vmp::sidechain {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kStderrKeep = 4096;  // enough for the line we report; the rest is drained
constexpr std::size_t kLineMax = 200;
// How often a running filter's progress (how far it has read and written) is looked at: the
// resolution of the stall timeout, nothing else waits for it.
constexpr auto kProgressTick = std::chrono::milliseconds(50);

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
// and fcntl() would hand our ends to its filter, and a leaked write end of our filter's stderr
// would keep us waiting for its end as long as that other filter lives.
std::optional<Pipe> make_pipe(int& err) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    err = errno;
    return std::nullopt;
  }
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// Where the shared offset of a file the filter reads or writes stands.
std::uint64_t offset_of(const UniqueFd& fd) {
  const off_t at = ::lseek(fd.get(), 0, SEEK_CUR);
  return at < 0 ? 0 : static_cast<std::uint64_t>(at);
}

// A descriptor that becomes readable when the process exits (Linux 5.3); without one the loop
// below looks at the process every few milliseconds instead.
UniqueFd exit_notifier(pid_t pid) {
#ifdef SYS_pidfd_open
  return UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
#else
  (void)pid;
  return UniqueFd();
#endif
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
  FilterFiles files(limits.max_output);
  auto result = run_filter(
      command, input, limits,
      [&output](std::size_t bytes) {
        output.resize(bytes);
        return std::span<std::byte>(output);
      },
      files);
  result.output = std::move(output);
  return result;
}

FilterResult run_filter(const std::string& command, std::span<const std::byte> input,
                        const FilterLimits& limits, const OutputPlace& place, FilterFiles& files) {
  FilterResult result;
  const std::string name = "filter " + quoted(command);
  auto fail = [&](std::string why) {
    result.ok = false;
    result.error = name + " " + std::move(why);
    return std::move(result);
  };

  if (limits.max_output > files.max_output())
    return fail("could not be started: its output limit is above its file's room");
  int err = 0;
  auto in = files.input(input, err);
  auto out = in ? files.output(err) : std::nullopt;
  auto errp = out ? make_pipe(err) : std::nullopt;
  if (!errp) return fail("could not be started: " + errno_text(err));
  if (!above_stdio(errp->write, err) || !set_nonblocking(errp->read, err))
    return fail("could not be started: " + errno_text(err));

  SpawnFileActions actions;
  ::posix_spawn_file_actions_adddup2(actions.get(), in->get(), 0);
  ::posix_spawn_file_actions_adddup2(actions.get(), out->get(), 1);
  ::posix_spawn_file_actions_adddup2(actions.get(), errp->write.get(), 2);
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 34)
  // Belt and braces: descriptors the rest of the program opened without close-on-exec (Asio's
  // sockets, for one) must not live on in the filter either; a leg socket held by a filter
  // would not be closed when the leg closes it.
  ::posix_spawn_file_actions_addclosefrom_np(actions.get(), 3);
#endif

  SpawnAttr attr;
  // Its own process group, so that a kill reaches a pipeline (`gzip -1 | gzip -dc`) and not
  // just the shell. An empty signal mask (the calling worker thread may block signals), and
  // SIGPIPE back to its default: the program may ignore it, an ignored signal stays ignored
  // across exec, and pipelines inside the filter rely on it.
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
  // Our copy of its stderr's write end must go, or we would never see end of file on it.
  errp->write.reset();
  UniqueFd from_stderr = std::move(errp->read);
  const UniqueFd exited_fd = exit_notifier(*child.pid_out());

  std::string stderr_text;
  char stderr_buf[4096];
  std::uint64_t read_to = 0;
  std::uint64_t written = 0;
  auto last_progress = Clock::now();
  auto stalled = [&] {
    result.diagnostic = first_line(stderr_text);
    return fail("made no progress for " + seconds_text(limits.stall_timeout));
  };
  auto too_much = [&] {
    return fail("wrote more than " + std::to_string(limits.max_output) + " bytes");
  };

  // Done when the filter has exited and its stderr is at end of file: everything it started
  // that still holds stderr (and so perhaps its stdout) has finished too. Until then: wake when
  // it exits, writes to stderr, or every kProgressTick to look at its progress.
  bool gone = false;
  while (!gone || from_stderr) {
    const auto now = Clock::now();
    if (now - last_progress >= limits.stall_timeout) return stalled();
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(limits.stall_timeout - (now - last_progress));
    const auto tick = exited_fd ? kProgressTick : std::chrono::milliseconds(2);
    const int timeout = static_cast<int>(std::min(left, tick).count());

    pollfd fds[2];
    nfds_t n = 0;
    if (from_stderr) fds[n++] = {from_stderr.get(), POLLIN, 0};
    if (!gone && exited_fd) fds[n++] = {exited_fd.get(), POLLIN, 0};
    if (::poll(fds, n, timeout) < 0 && errno != EINTR)
      return fail("could not be watched: poll: " + errno_text(errno));

    if (from_stderr) {
      const ssize_t r = ::read(from_stderr.get(), stderr_buf, sizeof stderr_buf);
      if (r > 0) {
        last_progress = Clock::now();
        const auto keep = std::min(static_cast<std::size_t>(r), kStderrKeep - stderr_text.size());
        stderr_text.append(stderr_buf, keep);
      } else if (r == 0) {
        from_stderr.reset();
      } else if (errno != EAGAIN && errno != EINTR) {
        return fail("could not be read from: " + errno_text(errno));
      }
    }
    if (const auto r = offset_of(*in), w = offset_of(*out); r != read_to || w != written) {
      read_to = r;
      written = w;
      last_progress = Clock::now();
    }
    if (written > limits.max_output) return too_much();
    if (!gone) {
      const auto exited = child.exited();
      if (!exited) return fail("vanished: its exit status was lost (is SIGCHLD ignored?)");
      gone = *exited;
    }
  }
  result.diagnostic = first_line(stderr_text);
  written = offset_of(*out);
  if (written > limits.max_output) return too_much();

  // Anything it left behind in its group goes with it; then the status.
  child.kill_group();
  const auto status = child.reap();
  if (!status) return fail("vanished: its exit status was lost (is SIGCHLD ignored?)");

  const std::string detail = result.diagnostic.empty() ? "" : ": " + result.diagnostic;
  if (WIFEXITED(*status)) {
    if (WEXITSTATUS(*status) == 0) {
      // What it wrote: the file up to where its stdout's offset stands.
      const std::span<std::byte> dest = place(static_cast<std::size_t>(written));
      for (std::size_t got = 0; got < dest.size();) {
        const ssize_t r =
            ::pread(out->get(), dest.data() + got, dest.size() - got, static_cast<off_t>(got));
        if (r <= 0) {
          if (r < 0 && errno == EINTR) continue;
          return fail("could not be read from: " + errno_text(r < 0 ? errno : EIO));
        }
        got += static_cast<std::size_t>(r);
      }
      result.ok = true;
      return result;
    }
    return fail("exited with status " + std::to_string(WEXITSTATUS(*status)) + detail);
  }
  if (WIFSIGNALED(*status)) return fail("was killed by " + signal_text(WTERMSIG(*status)) + detail);
  return fail("ended with wait status " + std::to_string(*status) + detail);
}

}  // namespace vmp::sidechain
