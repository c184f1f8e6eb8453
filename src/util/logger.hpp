// One line per message on stderr, prefixed with the program name and role. Verbosity can be
// raised at run time (SIGUSR2), so it is atomic; whole lines are written with one write(2)
// so messages from different threads never interleave. At verbosity 3 and up (debugging) each
// line also says when it happened, in seconds since the logger was made.
// The logger also draws the --progress line, so it knows when one is showing: anything else it
// writes first blanks that line (a log line must not run into it), and the next progress
// update draws it again below.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <string_view>

namespace vmp {

class Logger {
 public:
  explicit Logger(std::string prefix, int verbosity = 0)
      : prefix_(std::move(prefix)), verbosity_(verbosity) {}

  int verbosity() const { return verbosity_.load(std::memory_order_relaxed); }
  void set_verbosity(int v) { verbosity_.store(v, std::memory_order_relaxed); }
  // Cycles 0..9 so a stream of signals can always get back to quiet.
  int bump_verbosity();

  // Always printed: errors and things the user must know (rejected connections).
  void error(std::string_view msg) const { write_line(msg); }
  // Printed when verbosity >= level.
  void info(int level, std::string_view msg) const {
    if (verbosity() >= level) write_line(msg);
  }
  // Writes text as-is (status blocks).
  void raw(std::string_view text) const { emit(text, false); }
  // The progress line: starts with '\r' and is redrawn in place; a final one ends with '\n'.
  void progress(std::string_view line) const { emit(line, true); }

 private:
  void write_line(std::string_view msg) const;
  void emit(std::string_view text, bool progress) const;

  std::string prefix_;
  std::atomic<int> verbosity_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  mutable std::mutex mutex_;                // one writer at a time, so the width below is true
  mutable std::size_t progress_width_ = 0;  // columns of the progress line showing; 0: none
};

}  // namespace vmp
