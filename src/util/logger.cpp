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

void Logger::raw(std::string_view text) const {
  while (!text.empty()) {
    ssize_t n = ::write(STDERR_FILENO, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stderr is gone; nothing sensible left to do
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace vmp
