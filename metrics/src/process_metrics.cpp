#include "process_metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace vmp::metrics {
namespace {

// Fields of /proc/self/stat after the parenthesised command name, which may itself contain
// spaces and parentheses; fields()[0] is field 3 ("state") of proc(5).
std::vector<std::string> stat_fields() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return {};
  auto close = line.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream rest(line.substr(close + 1));
  return {std::istream_iterator<std::string>(rest), std::istream_iterator<std::string>()};
}

// proc(5) numbers fields from 1; fields() starts at field 3.
std::optional<double> stat_field(const std::vector<std::string>& f, std::size_t number) {
  if (number < 3 || number - 3 >= f.size()) return std::nullopt;
  try {
    return std::stod(f[number - 3]);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<double> boot_time_seconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  while (in >> key) {
    if (key == "btime") {
      double v = 0;
      if (in >> v) return v;
      return std::nullopt;
    }
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return std::nullopt;
}

std::optional<double> open_fds() {
  std::error_code ec;
  std::filesystem::directory_iterator it("/proc/self/fd", ec);
  if (ec) return std::nullopt;
  double n = 0;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return std::nullopt;
    ++n;
  }
  return n - 1;  // the directory_iterator's own descriptor
}

}  // namespace

double read_process_start_time_seconds() {
  const auto ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  auto start = stat_field(stat_fields(), 22);
  auto boot = boot_time_seconds();
  if (!start || !boot || ticks <= 0) return 0;
  return *boot + *start / ticks;
}

void append_process_families(FamilyList& out, double start_time_seconds) {
  const auto fields = stat_fields();
  const auto ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const auto page = static_cast<double>(sysconf(_SC_PAGESIZE));

  auto utime = stat_field(fields, 14);
  auto stime = stat_field(fields, 15);
  if (utime && stime && ticks > 0) {
    out.counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.")
        .sample({}, (*utime + *stime) / ticks);
  }
  if (auto rss = stat_field(fields, 24)) {
    out.gauge("process_resident_memory_bytes", "Resident memory size in bytes.")
        .sample({}, *rss * page);
  }
  if (auto vsize = stat_field(fields, 23)) {
    out.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.").sample({}, *vsize);
  }
  if (auto fds = open_fds()) {
    out.gauge("process_open_fds", "Number of open file descriptors.").sample({}, *fds);
  }
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) {
    out.gauge("process_max_fds", "Maximum number of open file descriptors.")
        .sample({}, static_cast<double>(lim.rlim_cur));
  }
  if (start_time_seconds > 0) {
    out.gauge("process_start_time_seconds",
              "Start time of the process since unix epoch in seconds.")
        .sample({}, start_time_seconds);
  }
}

}  // namespace vmp::metrics
