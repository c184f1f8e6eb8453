#include "fake_stats.hpp"

namespace vmp::metrics::test {

namespace {

LegStats leg(std::uint32_t id, std::string link, std::uint32_t link_index, LegState state,
             bool tcp) {
  LegStats l;
  l.id = id;
  l.link = std::move(link);
  l.link_index = link_index;
  l.state = state;
  l.bytes = 1000000 + id;
  l.frames = 100 + id;
  l.resent_frames = 3 + id;
  l.reconnects = 1 + id;
  l.tcp_acked_bytes = 990000 + id;
  if (tcp) {
    l.tcp.valid = true;
    l.tcp.rtt_seconds = 0.0125 + id;
    l.tcp.rttvar_seconds = 0.0025 + id;
    l.tcp.cwnd_segments = 40 + id;
    l.tcp.mss_bytes = 1448;
    l.tcp.total_retrans_segments = 7 + id;
    l.tcp.delivery_rate_bytes_per_second = 5.0e8 + id;
    l.tcp.pacing_rate_bytes_per_second = 6.0e8 + id;
    l.tcp.congestion = "cubic";
  }
  return l;
}

SidechainStats sidechain(std::string setting, std::uint32_t workers, double busy,
                         std::uint64_t depth, std::vector<CodecStats> codecs) {
  SidechainStats sc;
  sc.setting = std::move(setting);
  sc.workers = workers;
  sc.busy_seconds = busy;
  sc.depth = depth;
  sc.codecs = std::move(codecs);
  return sc;
}

}  // namespace

Stats sample_tx() {
  Stats s;
  s.role = Role::tx;
  s.session_id = 0x0123456789abcdefULL;
  s.elapsed_seconds = 12.5;
  s.bytes_in = 3000000;
  s.bytes_out = 2900000;
  s.frames = 303;
  s.resent_frames = 9;
  s.resent_bytes = 9 << 20;
  s.reconnects = 6;
  s.tcp_acked_bytes = 2950000;
  s.tcp_acked_raw_bytes = 2900000;
  s.window_bytes_used = 1048576;
  s.window_bytes_limit = 67108864;
  s.reorder_bytes = 0;
  s.source_stall_seconds = 1.25;
  s.network_stall_seconds = 2.5;
  s.sink_stall_seconds = 0;
  s.sidechain_stall_seconds = 0.5;
  s.sidechain = sidechain("zstd:1", 2, 3.75, 5,
                          {{"none", 1, 1000000, 1000000}, {"zstd", 2, 2000000, 500000}});
  s.legs = {leg(0, "10.0.0.1:8834", 0, LegState::up, true),
            leg(1, "10.0.0.1:8834", 0, LegState::connecting, false),
            leg(2, "10.0.0.2:8834", 1, LegState::up, true)};
  LinkStats a{"10.0.0.1:8834", 0, true, 1, 2000001, 0};
  LinkStats b{"10.0.0.2:8834", 1, true, 1, 1000002, 4};
  s.links = {a, b};
  s.knobs.legs = 3;
  s.knobs.congestion = "bbr";
  s.knobs.compress = "zstd:1";
  s.knobs.sidechain_workers = 2;
  s.knobs.link_weights = {1.0, 0.5};
  return s;
}

Stats sample_rx() {
  Stats s;
  s.role = Role::rx;
  s.session_id = 42;
  s.elapsed_seconds = 12.0;
  s.bytes_in = 2950000;
  s.bytes_out = 2900000;
  s.frames = 300;
  s.resent_frames = 2;
  s.reconnects = 1;
  s.rejected_connections = 5;
  s.reorder_bytes = 50000;
  s.network_stall_seconds = 0.75;
  s.sink_stall_seconds = 3.5;
  s.sidechain =
      sidechain("decode", 3, 1.5, 4, {{"none", 1, 1000000, 1000000}, {"zstd", 2, 1950000, 480000}});
  s.legs = {leg(0, "10.0.0.9:51000", 0, LegState::up, true),
            leg(1, "10.0.0.9:51002", 0, LegState::draining, true)};
  return s;
}

TuningReport sample_tuning() {
  TuningReport t;
  t.generation = 17;
  t.fitness = 1.5e9;
  t.best_fitness = 1.75e9;
  t.genome.legs = 8;
  t.genome.congestion = "cubic";
  t.genome.compress = "lz4";
  t.genome.link_weights = {1.0, 2.0};
  t.best.legs = 12;
  t.best.frame_bytes = 4 * 1024 * 1024;
  return t;
}

void advance(Stats& s) {
  s.elapsed_seconds += 0.1;
  s.bytes_in += 65536;
  s.bytes_out += 65536;
  s.frames += 1;
  s.source_stall_seconds += 0.01;
  s.network_stall_seconds += 0.02;
  s.sink_stall_seconds += 0.03;
  if (s.role == Role::tx) s.sidechain_stall_seconds += 0.005;
  if (s.sidechain) {
    s.sidechain->busy_seconds += 0.01;
    s.sidechain->depth = (s.sidechain->depth + 1) % 8;
    for (auto& c : s.sidechain->codecs) {
      c.frames += 1;
      c.raw_bytes += 65536;
      c.wire_bytes += c.codec == "none" ? 65536 : 16384;
    }
  }
  for (auto& l : s.legs) {
    l.bytes += 65536;
    l.frames += 1;
    if (l.tcp.valid) l.tcp.total_retrans_segments += 1;
  }
  for (auto& l : s.links) l.bytes += 65536;
  if (s.last_tuning) {
    ++s.tuning_generations;
    ++s.last_tuning->generation;
  }
}

}  // namespace vmp::metrics::test
