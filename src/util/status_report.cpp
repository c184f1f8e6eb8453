#include "util/status_report.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

namespace vmp {
namespace {

std::string fmt(const char* format, auto... args) {
  std::array<char, 256> buf{};
  std::snprintf(buf.data(), buf.size(), format, args...);
  return buf.data();
}

double rate(double bytes, double seconds) {
  return seconds > 0 ? bytes / seconds : 0;
}

// "  ratio 3.41x" while a sidechain runs, else "".
std::string ratio_text(const Stats& s) {
  return s.sidechain ? fmt("  ratio %.2fx", s.sidechain->ratio()) : std::string();
}

}  // namespace

std::string_view to_string(Role r) {
  return r == Role::tx ? "tx" : "rx";
}

std::string_view to_string(LegState s) {
  switch (s) {
    case LegState::connecting:
      return "connecting";
    case LegState::up:
      return "up";
    case LegState::draining:
      return "draining";
    case LegState::down:
      return "down";
  }
  return "unknown";
}

std::string format_bytes(double bytes) {
  static constexpr std::array<const char*, 5> units{"B", "KiB", "MiB", "GiB", "TiB"};
  std::size_t u = 0;
  while (bytes >= 1024 && u + 1 < units.size()) {
    bytes /= 1024;
    ++u;
  }
  return u == 0 ? fmt("%.0f %s", bytes, units[u]) : fmt("%.2f %s", bytes, units[u]);
}

std::string format_status(const Stats& s) {
  const bool tx = s.role == Role::tx;
  std::string out = fmt("--- viamillipede %s status: %.1f s elapsed ---\n",
                        std::string(to_string(s.role)).c_str(), s.elapsed_seconds);
  out += fmt("%s %s, %s confirmed, %s/s average, %llu resent, %llu reconnects\n",
             tx ? "read" : "received", format_bytes(static_cast<double>(s.bytes_in)).c_str(),
             format_bytes(static_cast<double>(s.bytes_out)).c_str(),
             format_bytes(rate(static_cast<double>(s.bytes_out), s.elapsed_seconds)).c_str(),
             static_cast<unsigned long long>(s.resent_frames),
             static_cast<unsigned long long>(s.reconnects));
  if (tx) {
    const std::string sidechain_stall =
        s.sidechain ? fmt(", sidechain %.1f s", s.sidechain_stall_seconds) : std::string();
    out += fmt("window %s of %s in use; stalls: source %.1f s%s, network %.1f s\n",
               format_bytes(static_cast<double>(s.window_bytes_used)).c_str(),
               format_bytes(static_cast<double>(s.window_bytes_limit)).c_str(),
               s.source_stall_seconds, sidechain_stall.c_str(), s.network_stall_seconds);
  } else {
    out += fmt("reorder buffer %s; stalls: network %.1f s, sink %.1f s\n",
               format_bytes(static_cast<double>(s.reorder_bytes)).c_str(), s.network_stall_seconds,
               s.sink_stall_seconds);
  }
  if (const auto& sc = s.sidechain) {
    out +=
        fmt("sidechain %s: %s -> %s on the wire, ratio %.2fx; %u workers, busy %.1f s, "
            "%llu frames queued\n",
            sc->setting.c_str(), format_bytes(static_cast<double>(sc->raw_bytes())).c_str(),
            format_bytes(static_cast<double>(sc->wire_bytes())).c_str(), sc->ratio(), sc->workers,
            sc->busy_seconds, static_cast<unsigned long long>(sc->depth));
  }
  for (const auto& l : s.legs) {
    out += fmt("  leg %2u %-24s %-10s %12s %12s/s rtt %.1f ms\n", l.id, l.link.c_str(),
               std::string(to_string(l.state)).c_str(),
               format_bytes(static_cast<double>(l.bytes)).c_str(),
               format_bytes(rate(static_cast<double>(l.bytes), s.elapsed_seconds)).c_str(),
               l.tcp.rtt_seconds * 1e3);
  }
  return out;
}

std::string format_eta(std::uint64_t done, std::uint64_t total, double bytes_per_second) {
  if (total == 0) return "";
  const double pct =
      std::min(100.0, 100.0 * static_cast<double>(done) / static_cast<double>(total));
  if (done >= total) return fmt("  %3.0f%%", pct);
  if (bytes_per_second <= 0) return fmt("  %3.0f%% ETA --:--:--", pct);
  const auto left =
      static_cast<std::uint64_t>(static_cast<double>(total - done) / bytes_per_second);
  return fmt("  %3.0f%% ETA %llu:%02llu:%02llu", pct, static_cast<unsigned long long>(left / 3600),
             static_cast<unsigned long long>(left / 60 % 60),
             static_cast<unsigned long long>(left % 60));
}

std::string format_progress(const Stats& s, bool final_line) {
  std::size_t up = 0;
  for (const auto& l : s.legs) up += l.state == LegState::up;
  // tx: legs wanted by the knobs (slots above it are idle); rx: legs it has seen.
  const std::size_t wanted = s.role == Role::tx ? s.knobs.legs : s.legs.size();
  const double window_pct = s.window_bytes_limit
                                ? 100.0 * static_cast<double>(s.window_bytes_used) /
                                      static_cast<double>(s.window_bytes_limit)
                                : 0.0;
  const double per_second = rate(static_cast<double>(s.bytes_out), s.elapsed_seconds);
  return fmt("\r%s %12s %12s/s%s  legs %zu/%zu  window %3.0f%%%s  resent %llu%s",
             std::string(to_string(s.role)).c_str(),
             format_bytes(static_cast<double>(s.bytes_out)).c_str(),
             format_bytes(per_second).c_str(),
             format_eta(s.bytes_out, s.expected_bytes, per_second).c_str(), up, wanted, window_pct,
             ratio_text(s).c_str(), static_cast<unsigned long long>(s.resent_frames),
             final_line ? "\n" : "   ");
}

}  // namespace vmp
