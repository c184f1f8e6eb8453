#include "vmp/metrics/stats_collector.hpp"

#include <algorithm>
#include <iterator>
#include <string>

#include "family_builder.hpp"
#include "knob_values.hpp"
#include "label_values.hpp"
#include "process_metrics.hpp"

#ifndef VMP_VERSION
#define VMP_VERSION "unknown"
#endif

namespace vmp::metrics {
namespace {

double num(std::uint64_t v) {
  return static_cast<double>(v);
}

void append_transfer(FamilyList& out, const Stats& s) {
  const std::string_view role = role_label(s.role);
  const std::string session = session_id_hex(s.session_id);
  out.gauge("viamillipede_info", "Constant 1; labels name the role, version and session.")
      .sample({{"role", role}, {"version", VMP_VERSION}, {"session_id", session}}, 1);
  out.gauge("viamillipede_elapsed_seconds", "Seconds since the transfer started.")
      .sample({{"role", role}}, s.elapsed_seconds);
  out.gauge("viamillipede_finished", "1 once the transfer has ended (see --stats-json), else 0.")
      .sample({{"role", role}}, s.finished ? 1 : 0);
  out.counter("viamillipede_input_bytes_total",
              "tx: bytes read from stdin; rx: bytes received in order.")
      .sample({{"role", role}}, num(s.bytes_in));
  out.counter("viamillipede_output_bytes_total",
              "tx: bytes the receiver confirmed written; rx: bytes written to stdout.")
      .sample({{"role", role}}, num(s.bytes_out));
  out.counter("viamillipede_frames_total", "Data frames sent (tx) or received (rx), all legs.")
      .sample({{"role", role}}, num(s.frames));
  if (s.role == Role::tx) {
    out.counter("viamillipede_tcp_acked_bytes_total",
                "tx: bytes the receiver's TCP acknowledged, all legs (leads output_bytes by up to "
                "a window; without a sidechain the tuner scores by its rate).")
        .sample({{"role", role}}, num(s.tcp_acked_bytes));
    out.counter("viamillipede_tcp_acked_raw_bytes_total",
                "tx: stream bytes (before the sidechain) of the frames the receiver's TCP "
                "acknowledged, first copies only (with a sidechain the tuner scores by its rate).")
        .sample({{"role", role}}, num(s.tcp_acked_raw_bytes));
  }
  if (s.role == Role::tx) {
    out.counter("viamillipede_resent_frames_total",
                "Frames sent again: the leg that carried them was lost, or they held the "
                "window up on a slow leg and went again on another.")
        .sample({{"role", role}}, num(s.resent_frames));
    out.counter("viamillipede_resent_bytes_total", "Payload bytes of the resent frames.")
        .sample({{"role", role}}, num(s.resent_bytes));
    out.counter("viamillipede_reorder_stall_seconds_total",
                "tx: time a leg sat idle with nothing to send while the stream waited for "
                "frames still on other legs (head-of-line; part of the network stall).")
        .sample({{"role", role}}, s.reorder_stall_seconds);
  } else {
    out.counter("viamillipede_duplicate_frames_total",
                "Frames received more than once and dropped (the transmitter resent them).")
        .sample({{"role", role}}, num(s.resent_frames));
    out.counter("viamillipede_rejected_connections_total",
                "Connections closed because they were not a valid handshake for this session.")
        .sample({{"role", role}}, num(s.rejected_connections));
  }
  out.counter("viamillipede_auth_failures_total",
              "Keyed sessions: leg proofs, frames and control messages that failed "
              "authentication (forged, replayed, altered on the way, or a peer with another key).")
      .sample({{"role", role}}, num(s.auth_failures));
  out.counter("viamillipede_reconnects_total", "Leg connections re-established after a loss.")
      .sample({{"role", role}}, num(s.reconnects));
  out.gauge("viamillipede_window_used_bytes",
            "Bytes in flight: read but not yet confirmed written.")
      .sample({{"role", role}}, num(s.window_bytes_used));
  out.gauge("viamillipede_window_limit_bytes", "Window size: the most bytes that may be in flight.")
      .sample({{"role", role}}, num(s.window_bytes_limit));
  out.gauge("viamillipede_reorder_buffer_bytes", "rx: bytes held waiting for an earlier frame.")
      .sample({{"role", role}}, num(s.reorder_bytes));
  out.counter("viamillipede_stall_seconds_total",
              "Time spent waiting, by cause: source (stdin slow), sidechain (tx: the compress or "
              "filter stage slow), network (window full or next frame missing), sink (stdout "
              "slow).")
      .sample({{"role", role}, {"cause", "source"}}, s.source_stall_seconds)
      .sample({{"role", role}, {"cause", "sidechain"}}, s.sidechain_stall_seconds)
      .sample({{"role", role}, {"cause", "network"}}, s.network_stall_seconds)
      .sample({{"role", role}, {"cause", "sink"}}, s.sink_stall_seconds);
}

// The sidechain stage (tx: compress or filter; rx: decode), only while it runs.
void append_sidechain(FamilyList& out, const Stats& s) {
  if (!s.sidechain) return;
  const SidechainStats& sc = *s.sidechain;
  const std::string_view role = role_label(s.role);
  out.gauge("viamillipede_sidechain_info",
            "Constant 1; the setting label is the stage's job: tx the compress knob in force "
            "(none, lz4, zstd:LEVEL) or filter, rx decode.")
      .sample({{"role", role}, {"setting", sc.setting}}, 1);
  out.gauge("viamillipede_sidechain_workers", "Threads of the sidechain stage.")
      .sample({{"role", role}}, sc.workers);
  out.counter("viamillipede_sidechain_busy_seconds_total",
              "Time the sidechain workers spent transforming frames, summed over workers (rate() "
              "= cores in use).")
      .sample({{"role", role}}, sc.busy_seconds);
  out.gauge("viamillipede_sidechain_queue_frames", "Frames in the sidechain stage now.")
      .sample({{"role", role}}, num(sc.depth));
  // Per codec ("none": frames sent raw because compressing did not shrink them).
  out.counter("viamillipede_sidechain_frames_total", "Frames through the sidechain, by codec.");
  for (const auto& c : sc.codecs) out.sample({{"role", role}, {"codec", c.codec}}, num(c.frames));
  out.counter("viamillipede_sidechain_raw_bytes_total",
              "Stream bytes of the frames through the sidechain, by codec.");
  for (const auto& c : sc.codecs) {
    out.sample({{"role", role}, {"codec", c.codec}}, num(c.raw_bytes));
  }
  out.counter("viamillipede_sidechain_wire_bytes_total",
              "What those frames were on the wire, by codec (raw / wire = compression ratio).");
  for (const auto& c : sc.codecs) {
    out.sample({{"role", role}, {"codec", c.codec}}, num(c.wire_bytes));
  }
}

void append_legs(FamilyList& out, const Stats& s) {
  const std::string_view role = role_label(s.role);
  std::vector<std::string> ids;
  ids.reserve(s.legs.size());
  for (const auto& leg : s.legs) ids.push_back(std::to_string(leg.id));

  // One family at a time, so that the exposition keeps each family's samples together.
  auto each_leg = [&](auto&& emit) {
    for (std::size_t i = 0; i < s.legs.size(); ++i) emit(s.legs[i], std::string_view(ids[i]));
  };
  out.counter("viamillipede_leg_bytes_total", "Payload bytes sent (tx) or received (rx) per leg.");
  each_leg([&](const LegStats& l, std::string_view id) {
    out.sample({{"role", role}, {"leg", id}, {"link", l.link}}, num(l.bytes));
  });
  out.counter("viamillipede_leg_frames_total", "Data frames sent (tx) or received (rx) per leg.");
  each_leg([&](const LegStats& l, std::string_view id) {
    out.sample({{"role", role}, {"leg", id}, {"link", l.link}}, num(l.frames));
  });
  if (s.role == Role::tx) {
    out.counter("viamillipede_leg_resent_frames_total",
                "Frames this leg carried that had been sent before on a lost leg.");
    each_leg([&](const LegStats& l, std::string_view id) {
      out.sample({{"role", role}, {"leg", id}, {"link", l.link}}, num(l.resent_frames));
    });
    out.counter("viamillipede_leg_tcp_acked_bytes_total",
                "Bytes the receiver's TCP acknowledged on this leg slot, over its connections "
                "(TCP_INFO tcpi_bytes_acked, sampled every 200 ms).");
    each_leg([&](const LegStats& l, std::string_view id) {
      out.sample({{"role", role}, {"leg", id}, {"link", l.link}}, num(l.tcp_acked_bytes));
    });
    out.gauge("viamillipede_leg_goodput_bytes_per_second",
              "What the leg delivers while it has work (acknowledged bytes over busy 200 ms "
              "intervals, smoothed; 0 until known). The send queue gives frames by it.");
    each_leg([&](const LegStats& l, std::string_view id) {
      out.sample({{"role", role}, {"leg", id}, {"link", l.link}}, l.goodput_bytes_per_second);
    });
    out.counter("viamillipede_leg_idle_seconds_total", "Time this leg slot waited for a frame.");
    each_leg([&](const LegStats& l, std::string_view id) {
      out.sample({{"role", role}, {"leg", id}, {"link", l.link}}, l.idle_seconds);
    });
  }
  out.counter("viamillipede_leg_reconnects_total",
              "Times this leg slot re-established a connection.");
  each_leg([&](const LegStats& l, std::string_view id) {
    out.sample({{"role", role}, {"leg", id}, {"link", l.link}}, num(l.reconnects));
  });
  out.gauge("viamillipede_leg_state",
            "1 for the state the leg is in (connecting, up, draining, down), 0 for the others.");
  each_leg([&](const LegStats& l, std::string_view id) {
    for (LegState st : kAllLegStates) {
      out.sample({{"role", role}, {"leg", id}, {"link", l.link}, {"state", leg_state_label(st)}},
                 l.state == st ? 1 : 0);
    }
  });

  // The kernel's view (TCP_INFO); a leg without a valid sample has no series here.
  auto each_tcp = [&](auto&& emit) {
    each_leg([&](const LegStats& l, std::string_view id) {
      if (l.tcp.valid) emit(l, id);
    });
  };
  auto tcp_gauge = [&](const char* name, const char* help, auto field) {
    out.gauge(name, help);
    each_tcp([&](const LegStats& l, std::string_view id) {
      out.sample({{"role", role}, {"leg", id}, {"link", l.link}}, field(l.tcp));
    });
  };
  tcp_gauge("viamillipede_leg_tcp_rtt_seconds", "Smoothed round-trip time (TCP_INFO tcpi_rtt).",
            [](const TcpInfoSample& t) { return t.rtt_seconds; });
  tcp_gauge("viamillipede_leg_tcp_rtt_variance_seconds",
            "Round-trip time variance (TCP_INFO tcpi_rttvar).",
            [](const TcpInfoSample& t) { return t.rttvar_seconds; });
  tcp_gauge("viamillipede_leg_tcp_congestion_window_segments",
            "Congestion window in segments (TCP_INFO tcpi_snd_cwnd).",
            [](const TcpInfoSample& t) { return static_cast<double>(t.cwnd_segments); });
  tcp_gauge("viamillipede_leg_tcp_mss_bytes",
            "Sender maximum segment size (TCP_INFO tcpi_snd_mss).",
            [](const TcpInfoSample& t) { return static_cast<double>(t.mss_bytes); });
  tcp_gauge("viamillipede_leg_tcp_delivery_rate_bytes_per_second",
            "Kernel's delivery rate estimate (TCP_INFO tcpi_delivery_rate).",
            [](const TcpInfoSample& t) { return t.delivery_rate_bytes_per_second; });
  tcp_gauge("viamillipede_leg_tcp_pacing_rate_bytes_per_second",
            "Pacing rate (TCP_INFO tcpi_pacing_rate).",
            [](const TcpInfoSample& t) { return t.pacing_rate_bytes_per_second; });
  out.counter("viamillipede_leg_tcp_retransmitted_segments_total",
              "Segments retransmitted on the leg's current socket (TCP_INFO tcpi_total_retrans); "
              "starts again from 0 when the leg reconnects, which rate() treats as a reset.");
  each_tcp([&](const LegStats& l, std::string_view id) {
    out.sample({{"role", role}, {"leg", id}, {"link", l.link}}, num(l.tcp.total_retrans_segments));
  });
  out.gauge("viamillipede_leg_tcp_congestion_control_info",
            "Constant 1; the algorithm label is the leg's TCP congestion control.");
  each_tcp([&](const LegStats& l, std::string_view id) {
    std::string_view algo = l.tcp.congestion;
    if (algo.empty()) algo = "unknown";
    out.sample({{"role", role}, {"leg", id}, {"link", l.link}, {"algorithm", algo}}, 1);
  });
}

void append_links(FamilyList& out, const Stats& s) {
  const std::string_view role = role_label(s.role);
  out.counter("viamillipede_link_bytes_total", "Payload bytes carried by all legs of a link.");
  for (const auto& l : s.links) out.sample({{"role", role}, {"link", l.target}}, num(l.bytes));
  out.gauge("viamillipede_link_up",
            "1 while the link is in use, 0 while bypassed after a failure.");
  for (const auto& l : s.links) out.sample({{"role", role}, {"link", l.target}}, l.up ? 1 : 0);
  out.gauge("viamillipede_link_legs_up", "Legs of this link that are up.");
  for (const auto& l : s.links) out.sample({{"role", role}, {"link", l.target}}, l.legs_up);
  out.counter("viamillipede_link_connect_failures_total", "Failed connection attempts on a link.");
  for (const auto& l : s.links) {
    out.sample({{"role", role}, {"link", l.target}}, num(l.connect_failures));
  }
}

void append_knobs(FamilyList& out, const Stats& s) {
  if (s.role != Role::tx) return;  // the receiver follows the transmitter's knobs
  const std::string_view role = role_label(s.role);
  out.gauge("viamillipede_knob", "Value of a numeric knob in force (name in the knob label).");
  for (const auto& [name, value] : numeric_knobs(s.knobs)) {
    out.sample({{"role", role}, {"knob", name}}, value);
  }
  out.gauge("viamillipede_knob_link_weight", "Relative share of legs per link, by link position.");
  for (std::size_t i = 0; i < s.knobs.link_weights.size(); ++i) {
    out.sample({{"role", role}, {"link_index", std::to_string(i)}}, s.knobs.link_weights[i]);
  }
  for (const auto& n : kNameKnobLabels) {
    const KnobSpec& spec = knob_spec(n.id);
    out.gauge("viamillipede_knob_" + std::string(spec.key) + "_info",
              "Constant 1; the " + std::string(n.label) + " label is " + std::string(n.what) +
                  " knob in force.")
        .sample({{"role", role}, {n.label, knob_text(spec, s.knobs)}}, 1);
  }
}

void append_tuner(FamilyList& out, const Stats& s) {
  if (!s.last_tuning) return;
  const TuningReport& t = *s.last_tuning;
  const std::string_view role = role_label(s.role);
  out.counter("viamillipede_tuner_generations_total", "Tuner generations reported so far.")
      .sample({{"role", role}}, num(s.tuning_generations));
  out.gauge("viamillipede_tuner_generation", "Number of the tuner's most recent generation.")
      .sample({{"role", role}}, num(t.generation));
  out.gauge("viamillipede_tuner_fitness",
            "Fitness of the genome measured last: goodput in bytes/s minus cost penalty.")
      .sample({{"role", role}}, t.fitness);
  out.gauge("viamillipede_tuner_best_fitness", "Best fitness seen so far.")
      .sample({{"role", role}}, t.best_fitness);

  const std::pair<std::string_view, const Knobs*> genomes[] = {{"current", &t.genome},
                                                               {"best", &t.best}};
  out.gauge("viamillipede_tuner_knob",
            "Numeric knob of the genome measured last (which=current) or the best (which=best).");
  for (const auto& [which, knobs] : genomes) {
    for (const auto& [name, value] : numeric_knobs(*knobs)) {
      out.sample({{"role", role}, {"knob", name}, {"which", which}}, value);
    }
  }
  out.gauge("viamillipede_tuner_link_weight", "Link weight of the current or best genome.");
  for (const auto& [which, knobs] : genomes) {
    for (std::size_t i = 0; i < knobs->link_weights.size(); ++i) {
      out.sample({{"role", role}, {"link_index", std::to_string(i)}, {"which", which}},
                 knobs->link_weights[i]);
    }
  }
  for (const auto& n : kNameKnobLabels) {
    const KnobSpec& spec = knob_spec(n.id);
    out.gauge("viamillipede_tuner_" + std::string(spec.key) + "_info",
              "Constant 1; the " + std::string(n.label) + " label is " + std::string(n.what) +
                  " of the current or best genome.");
    for (const auto& [which, knobs] : genomes) {
      out.sample({{"role", role}, {"which", which}, {n.label, knob_text(spec, *knobs)}}, 1);
    }
  }
}

FamilyList build(const Stats& s) {
  FamilyList out;
  append_transfer(out, s);
  append_sidechain(out, s);
  append_legs(out, s);
  append_links(out, s);
  append_knobs(out, s);
  append_tuner(out, s);
  return out;
}

}  // namespace

std::vector<prometheus::MetricFamily> families_from_stats(const Stats& stats) {
  return build(stats).take();
}

StatsCollector::StatsCollector(const StatsSource& source)
    : StatsCollector(std::vector<const StatsSource*>{&source}) {}

StatsCollector::StatsCollector(std::vector<const StatsSource*> sources)
    : sources_(std::move(sources)),
      process_start_time_seconds_(read_process_start_time_seconds()) {}

std::vector<prometheus::MetricFamily> StatsCollector::Collect() const {
  // Collect() runs on a civetweb thread, where an escaping exception would end the process:
  // a snapshot that fails (out of memory, say) costs one scrape its viamillipede_* families,
  // never the transfer.
  std::vector<prometheus::MetricFamily> merged;
  const auto merge = [&merged](std::vector<prometheus::MetricFamily> families) {
    for (auto& f : families) {
      auto same = std::find_if(merged.begin(), merged.end(),
                               [&f](const auto& m) { return m.name == f.name; });
      if (same == merged.end()) {
        merged.push_back(std::move(f));
      } else {
        same->metric.insert(same->metric.end(), std::make_move_iterator(f.metric.begin()),
                            std::make_move_iterator(f.metric.end()));
      }
    }
  };
  for (const auto* source : sources_) {
    try {
      merge(build(source->snapshot()).take());
    } catch (const std::exception&) {
    }
  }
  FamilyList process;
  append_process_families(process, process_start_time_seconds_);
  merge(std::move(process).take());
  return merged;
}

}  // namespace vmp::metrics
