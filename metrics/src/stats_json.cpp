#include "vmp/metrics/stats_json.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string_view>

#include "knob_values.hpp"
#include "label_values.hpp"

namespace vmp::metrics {
namespace {

using nlohmann::json;

json knobs_json(const Knobs& k) {
  json j = json::object();
  for (const auto& [name, value] : numeric_knobs(k)) j[std::string(name)] = value;
  for (const auto& spec : kKnobTable) {
    if (spec.type == KnobType::name) j[std::string(spec.key)] = knob_text(spec, k);
    if (spec.type == KnobType::weights || spec.type == KnobType::rates)
      j[std::string(spec.key)] = spec.get_list(k);
  }
  return j;
}

json tcp_json(const TcpInfoSample& t) {
  if (!t.valid) return nullptr;
  return {{"rtt_seconds", t.rtt_seconds},
          {"rtt_variance_seconds", t.rttvar_seconds},
          {"congestion_window_segments", t.cwnd_segments},
          {"mss_bytes", t.mss_bytes},
          {"retransmitted_segments", t.total_retrans_segments},
          {"delivery_rate_bytes_per_second", t.delivery_rate_bytes_per_second},
          {"pacing_rate_bytes_per_second", t.pacing_rate_bytes_per_second},
          {"congestion", t.congestion}};
}

json leg_json(const LegStats& l, Role role) {
  json j = {{"id", l.id},
            {"link", l.link},
            {"link_index", l.link_index},
            {"state", leg_state_label(l.state)},
            {"bytes", l.bytes},
            {"frames", l.frames},
            {"reconnects", l.reconnects}};
  if (role == Role::tx) {
    j["resent_frames"] = l.resent_frames;
    j["tcp_acked_bytes"] = l.tcp_acked_bytes;
    j["goodput_bytes_per_second"] = l.goodput_bytes_per_second;
    j["idle_seconds"] = l.idle_seconds;
  }
  j["tcp"] = tcp_json(l.tcp);
  return j;
}

json link_json(const LinkStats& l) {
  return {{"target", l.target},   {"index", l.index}, {"up", l.up},
          {"legs_up", l.legs_up}, {"bytes", l.bytes}, {"connect_failures", l.connect_failures}};
}

json sidechain_json(const Stats& s) {
  if (!s.sidechain) return nullptr;
  const auto& sc = *s.sidechain;
  auto tallies = [](const std::vector<CodecStats>& list, const char* frames) {
    json out = json::array();
    for (const auto& c : list) {
      out.push_back({{"codec", c.codec},
                     {frames, c.frames},
                     {"raw_bytes", c.raw_bytes},
                     {"wire_bytes", c.wire_bytes}});
    }
    return out;
  };
  json out = {{"setting", sc.setting},
              {"workers", sc.workers},
              {"busy_seconds", sc.busy_seconds},
              {"depth", sc.depth},
              {"ratio", sc.ratio()},
              {"raw_bytes", sc.raw_bytes()},
              {"wire_bytes", sc.wire_bytes()},
              {"codecs", tallies(sc.codecs, "frames")}};
  if (!sc.probe.empty()) out["probe"] = tallies(sc.probe, "samples");
  return out;
}

json tuner_json(const Stats& s) {
  if (!s.last_tuning) return nullptr;
  const auto& t = *s.last_tuning;
  return {{"generations", s.tuning_generations},
          {"last",
           {{"generation", t.generation},
            {"fitness", t.fitness},
            {"best_fitness", t.best_fitness},
            {"genome", knobs_json(t.genome)},
            {"best", knobs_json(t.best)}}}};
}

std::string lower_first(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

// Writes all of `text` to fd (fsync'ed when `sync`) and closes it: 0, or the first errno.
int write_and_close(int fd, std::string_view text, bool sync) {
  int err = 0;
  while (err == 0 && !text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n >= 0)
      text.remove_prefix(static_cast<std::size_t>(n));
    else if (errno != EINTR)
      err = errno;
  }
  if (err == 0 && sync && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  return err;
}

[[noreturn]] void fail(const std::string& path, int err) {
  throw std::runtime_error("stats-json: cannot write " + path + ": " +
                           lower_first(std::strerror(err)));
}

json document(const Stats& s) {
  json j;
  j["version"] = 1;
  j["role"] = role_label(s.role);
  j["session_id"] = session_id_hex(s.session_id);
  j["finished"] = s.finished;
  j["exit_reason"] = s.exit_reason;
  j["duration_seconds"] = s.elapsed_seconds;
  j["bytes_in"] = s.bytes_in;
  j["bytes_out"] = s.bytes_out;
  j["throughput_bytes_per_second"] =
      s.elapsed_seconds > 0 ? static_cast<double>(s.bytes_out) / s.elapsed_seconds : 0.0;
  j["frames"] = s.frames;
  if (s.role == Role::tx) j["tcp_acked_bytes"] = s.tcp_acked_bytes;
  if (s.role == Role::tx) j["tcp_acked_raw_bytes"] = s.tcp_acked_raw_bytes;
  j[s.role == Role::tx ? "resent_frames" : "duplicate_frames"] = s.resent_frames;
  if (s.role == Role::tx) j["resent_bytes"] = s.resent_bytes;
  if (s.role == Role::tx) j["rate_wait_seconds"] = s.rate_wait_seconds;
  j["reconnects"] = s.reconnects;
  if (s.role == Role::rx) j["rejected_connections"] = s.rejected_connections;
  j["keyed"] = s.keyed;
  j["cipher"] = s.cipher.empty() ? json(nullptr) : json(s.cipher);
  j["auth_failures"] = s.auth_failures;
  j["stall_seconds"] = {{"source", s.source_stall_seconds},
                        {"sidechain", s.sidechain_stall_seconds},
                        {"network", s.network_stall_seconds},
                        {"sink", s.sink_stall_seconds}};
  if (s.role == Role::tx) j["stall_seconds"]["reorder"] = s.reorder_stall_seconds;
  j["window"] = {{"used_bytes", s.window_bytes_used}, {"limit_bytes", s.window_bytes_limit}};
  j["reorder_bytes"] = s.reorder_bytes;
  j["sidechain"] = sidechain_json(s);
  j["legs"] = json::array();
  for (const auto& l : s.legs) j["legs"].push_back(leg_json(l, s.role));
  j["links"] = json::array();
  for (const auto& l : s.links) j["links"].push_back(link_json(l));
  if (s.role == Role::tx) j["knobs"] = knobs_json(s.knobs);
  j["tuner"] = tuner_json(s);
  return j;
}

// Invalid UTF-8 in a link name or an error line must not make the summary fail.
std::string dump(const json& j) {
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace

std::string stats_to_json(const Stats& s) {
  return dump(document(s));
}

std::string stats_to_json(std::span<const Stats> all) {
  if (all.size() == 1) return stats_to_json(all.front());
  json j = json::object();
  for (const auto& s : all) j[std::string(role_label(s.role))] = document(s);
  return dump(j);
}

void write_stats_json(const std::string& path, const Stats& s) {
  write_stats_json(path, std::span<const Stats>(&s, 1));
}

void write_stats_json(const std::string& path, std::span<const Stats> all) {
  const std::string text = stats_to_json(all);
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    // A FIFO, a terminal, /dev/null, /dev/stdout: written in place. A rename would put a
    // regular file where the device or the pipe was (as root, even in place of /dev/null).
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) fail(path, errno);
    if (const int err = write_and_close(fd, text, false); err != 0) fail(path, err);
    return;
  }
  // A regular file, or none yet. Through a symbolic link the file it names is replaced, and
  // the link stays.
  std::string target = path;
  if (char* real = ::realpath(path.c_str(), nullptr)) {
    target = real;
    std::free(real);
  }
  const std::string tmp = target + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(path, errno);
  int err = write_and_close(fd, text, true);
  if (err == 0 && ::rename(tmp.c_str(), target.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());
    fail(path, err);
  }
}

}  // namespace vmp::metrics
