#include "util/logger.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace vmp {

int Logger::bump_verbosity() {
  int v = (verbosity() + 1) % 10;
  set_verbosity(v);
  return v;
}

void Logger::write_line(std::string_view msg) const {
  std::string line;
  line.reserve(prefix_.size() + msg.size() + 3);
  line.append(prefix_).append(": ");
  if (verbosity() >= 3) {
    char stamp[32];
    const std::chrono::duration<double> t = std::chrono::steady_clock::now() - start_;
    std::snprintf(stamp, sizeof stamp, "[%8.3f] ", t.count());
    line.append(stamp);
  }
  line.append(msg).push_back('\n');
  raw(line);
}

void Logger::emit(std::string_view text, bool progress) const {
  std::string out;
  std::lock_guard lock(mutex_);
  if (!progress && progress_width_ > 0) {
    // Blank the progress line and return to its start: the text takes its place.
    out.append("\r").append(progress_width_, ' ').append("\r");
    progress_width_ = 0;
  }
  if (progress) {
    const bool final_line = text.ends_with('\n');
    progress_width_ = final_line ? 0 : text.size() - (text.starts_with('\r') ? 1 : 0);
  }
  out.append(text);
  std::string_view rest = out;
  while (!rest.empty()) {
    ssize_t n = ::write(STDERR_FILENO, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stderr is gone; nothing sensible left to do
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace vmp
