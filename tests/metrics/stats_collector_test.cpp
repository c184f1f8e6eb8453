// The exposition built from a snapshot: every family, with the right names, labels and values.
#include "vmp/metrics/stats_collector.hpp"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <chrono>
#include <set>
#include <stdexcept>

#include "exposition.hpp"
#include "fake_stats.hpp"

namespace vmp::metrics::test {
namespace {

const std::string kLeg0 = R"(role="tx",leg="0",link="10.0.0.1:8834")";
const std::string kLeg1 = R"(role="tx",leg="1",link="10.0.0.1:8834")";
const std::string kLeg2 = R"(role="tx",leg="2",link="10.0.0.2:8834")";

TEST(StatsCollector, TransferFamiliesCarryTheSnapshotValues) {
  auto e = parse_exposition(expose(sample_tx()));
  EXPECT_EQ(e.value(R"(viamillipede_input_bytes_total{role="tx"})"), 3000000);
  EXPECT_EQ(e.value(R"(viamillipede_output_bytes_total{role="tx"})"), 2900000);
  EXPECT_EQ(e.value(R"(viamillipede_frames_total{role="tx"})"), 303);
  EXPECT_EQ(e.value(R"(viamillipede_resent_frames_total{role="tx"})"), 9);
  EXPECT_EQ(e.value(R"(viamillipede_resent_bytes_total{role="tx"})"), 9 << 20);
  EXPECT_EQ(e.value(R"(viamillipede_tcp_acked_bytes_total{role="tx"})"), 2950000);
  EXPECT_EQ(e.value(R"(viamillipede_reconnects_total{role="tx"})"), 6);
  EXPECT_EQ(e.value(R"(viamillipede_window_used_bytes{role="tx"})"), 1048576);
  EXPECT_EQ(e.value(R"(viamillipede_window_limit_bytes{role="tx"})"), 67108864);
  EXPECT_EQ(e.value(R"(viamillipede_reorder_buffer_bytes{role="tx"})"), 0);
  EXPECT_EQ(e.value(R"(viamillipede_stall_seconds_total{role="tx",cause="source"})"), 1.25);
  EXPECT_EQ(e.value(R"(viamillipede_stall_seconds_total{role="tx",cause="network"})"), 2.5);
  EXPECT_EQ(e.value(R"(viamillipede_stall_seconds_total{role="tx",cause="sink"})"), 0);
  EXPECT_EQ(e.value(R"(viamillipede_stall_seconds_total{role="tx",cause="sidechain"})"), 0.5);
  EXPECT_EQ(e.value(R"(viamillipede_elapsed_seconds{role="tx"})"), 12.5);
  EXPECT_EQ(e.value(R"(viamillipede_finished{role="tx"})"), 0);
  EXPECT_EQ(e.count("viamillipede_info"), 1);
  bool info_found = false;
  for (const auto& [series, v] : e.samples) {
    if (series.starts_with("viamillipede_info{") &&
        series.find(R"(session_id="0123456789abcdef")") != std::string::npos) {
      info_found = v == 1;
    }
  }
  EXPECT_TRUE(info_found);
  // rx-only families stay out of a transmitter's exposition.
  EXPECT_FALSE(e.has_family("viamillipede_duplicate_frames_total"));
  EXPECT_FALSE(e.has_family("viamillipede_rejected_connections_total"));
}

TEST(StatsCollector, LegFamiliesAreLabelledByRoleLegAndLink) {
  auto e = parse_exposition(expose(sample_tx()));
  EXPECT_EQ(e.value("viamillipede_leg_bytes_total{" + kLeg0 + "}"), 1000000);
  EXPECT_EQ(e.value("viamillipede_leg_bytes_total{" + kLeg2 + "}"), 1000002);
  EXPECT_EQ(e.value("viamillipede_leg_frames_total{" + kLeg1 + "}"), 101);
  EXPECT_EQ(e.value("viamillipede_leg_resent_frames_total{" + kLeg2 + "}"), 5);
  EXPECT_EQ(e.value("viamillipede_leg_tcp_acked_bytes_total{" + kLeg2 + "}"), 990002);
  EXPECT_EQ(e.value("viamillipede_leg_reconnects_total{" + kLeg1 + "}"), 2);
  // One-hot state: every leg has all four states, exactly one of them 1.
  EXPECT_EQ(e.count("viamillipede_leg_state"), 12);
  EXPECT_EQ(e.value("viamillipede_leg_state{" + kLeg0 + R"(,state="up"})"), 1);
  EXPECT_EQ(e.value("viamillipede_leg_state{" + kLeg0 + R"(,state="down"})"), 0);
  EXPECT_EQ(e.value("viamillipede_leg_state{" + kLeg1 + R"(,state="connecting"})"), 1);
  EXPECT_EQ(e.value("viamillipede_leg_state{" + kLeg1 + R"(,state="up"})"), 0);
  EXPECT_EQ(e.value("viamillipede_leg_state{" + kLeg1 + R"(,state="draining"})"), 0);
}

TEST(StatsCollector, TcpInfoOnlyForLegsWithAValidSample) {
  auto e = parse_exposition(expose(sample_tx()));
  EXPECT_EQ(e.value("viamillipede_leg_tcp_rtt_seconds{" + kLeg0 + "}"), 0.0125);
  EXPECT_EQ(e.value("viamillipede_leg_tcp_rtt_variance_seconds{" + kLeg0 + "}"), 0.0025);
  EXPECT_EQ(e.value("viamillipede_leg_tcp_congestion_window_segments{" + kLeg2 + "}"), 42);
  EXPECT_EQ(e.value("viamillipede_leg_tcp_mss_bytes{" + kLeg2 + "}"), 1448);
  EXPECT_EQ(e.value("viamillipede_leg_tcp_retransmitted_segments_total{" + kLeg2 + "}"), 9);
  EXPECT_EQ(e.value("viamillipede_leg_tcp_delivery_rate_bytes_per_second{" + kLeg0 + "}"), 5e8);
  EXPECT_EQ(e.value("viamillipede_leg_tcp_pacing_rate_bytes_per_second{" + kLeg2 + "}"), 6e8 + 2);
  EXPECT_EQ(
      e.value("viamillipede_leg_tcp_congestion_control_info{" + kLeg0 + R"(,algorithm="cubic"})"),
      1);
  for (const char* family :
       {"viamillipede_leg_tcp_rtt_seconds", "viamillipede_leg_tcp_rtt_variance_seconds",
        "viamillipede_leg_tcp_congestion_window_segments", "viamillipede_leg_tcp_mss_bytes",
        "viamillipede_leg_tcp_retransmitted_segments_total",
        "viamillipede_leg_tcp_delivery_rate_bytes_per_second",
        "viamillipede_leg_tcp_pacing_rate_bytes_per_second",
        "viamillipede_leg_tcp_congestion_control_info"}) {
    EXPECT_EQ(e.count(family), 2) << family;  // legs 0 and 2; leg 1 has no sample
  }
}

TEST(StatsCollector, LinkFamilies) {
  auto e = parse_exposition(expose(sample_tx()));
  const std::string a = R"({role="tx",link="10.0.0.1:8834"})";
  const std::string b = R"({role="tx",link="10.0.0.2:8834"})";
  EXPECT_EQ(e.value("viamillipede_link_bytes_total" + a), 2000001);
  EXPECT_EQ(e.value("viamillipede_link_bytes_total" + b), 1000002);
  EXPECT_EQ(e.value("viamillipede_link_up" + a), 1);
  EXPECT_EQ(e.value("viamillipede_link_legs_up" + b), 1);
  EXPECT_EQ(e.value("viamillipede_link_connect_failures_total" + b), 4);
}

TEST(StatsCollector, KnobsInForceOnTheTransmitter) {
  auto e = parse_exposition(expose(sample_tx()));
  EXPECT_EQ(e.value(R"(viamillipede_knob{role="tx",knob="legs"})"), 3);
  EXPECT_EQ(e.value(R"(viamillipede_knob{role="tx",knob="frame_bytes"})"), 1048576);
  EXPECT_EQ(e.value(R"(viamillipede_knob{role="tx",knob="window_bytes"})"), 67108864);
  EXPECT_EQ(e.value(R"(viamillipede_knob{role="tx",knob="sidechain_workers"})"), 2);
  EXPECT_EQ(e.value(R"(viamillipede_knob{role="tx",knob="rate_limit_bytes_per_second"})"), 0);
  EXPECT_EQ(e.count("viamillipede_knob"), 8);
  EXPECT_EQ(e.value(R"(viamillipede_knob_link_weight{role="tx",link_index="1"})"), 0.5);
  EXPECT_EQ(e.value(R"(viamillipede_knob_congestion_info{role="tx",algorithm="bbr"})"), 1);
  // The string knob compress, like congestion: one info series, the value in a label.
  EXPECT_EQ(e.value(R"(viamillipede_knob_compress_info{role="tx",setting="zstd:1"})"), 1);
  EXPECT_EQ(e.count("viamillipede_knob_compress_info"), 1);
  EXPECT_EQ(e.types["viamillipede_knob_compress_info"], "gauge");
}

TEST(StatsCollector, SidechainFamiliesOfTheTransmitter) {
  auto e = parse_exposition(expose(sample_tx()));
  EXPECT_EQ(e.value(R"(viamillipede_sidechain_info{role="tx",setting="zstd:1"})"), 1);
  EXPECT_EQ(e.value(R"(viamillipede_sidechain_workers{role="tx"})"), 2);
  EXPECT_EQ(e.value(R"(viamillipede_sidechain_busy_seconds_total{role="tx"})"), 3.75);
  EXPECT_EQ(e.value(R"(viamillipede_sidechain_queue_frames{role="tx"})"), 5);
  EXPECT_EQ(e.value(R"(viamillipede_sidechain_frames_total{role="tx",codec="none"})"), 1);
  EXPECT_EQ(e.value(R"(viamillipede_sidechain_frames_total{role="tx",codec="zstd"})"), 2);
  EXPECT_EQ(e.value(R"(viamillipede_sidechain_raw_bytes_total{role="tx",codec="zstd"})"), 2000000);
  EXPECT_EQ(e.value(R"(viamillipede_sidechain_wire_bytes_total{role="tx",codec="zstd"})"), 500000);
  EXPECT_EQ(e.value(R"(viamillipede_sidechain_raw_bytes_total{role="tx",codec="none"})"), 1000000);
  EXPECT_EQ(e.value(R"(viamillipede_sidechain_wire_bytes_total{role="tx",codec="none"})"), 1000000);
  for (const char* family :
       {"viamillipede_sidechain_frames_total", "viamillipede_sidechain_raw_bytes_total",
        "viamillipede_sidechain_wire_bytes_total"}) {
    EXPECT_EQ(e.count(family), 2) << family;  // one series per codec
    EXPECT_EQ(e.types[family], "counter") << family;
  }
  EXPECT_EQ(e.types["viamillipede_sidechain_busy_seconds_total"], "counter");
  EXPECT_EQ(e.types["viamillipede_sidechain_queue_frames"], "gauge");
}

TEST(StatsCollector, SidechainFamiliesOfTheReceiver) {
  auto e = parse_exposition(expose(sample_rx()));
  EXPECT_EQ(e.value(R"(viamillipede_sidechain_info{role="rx",setting="decode"})"), 1);
  EXPECT_EQ(e.value(R"(viamillipede_sidechain_workers{role="rx"})"), 3);
  EXPECT_EQ(e.value(R"(viamillipede_sidechain_busy_seconds_total{role="rx"})"), 1.5);
  EXPECT_EQ(e.value(R"(viamillipede_sidechain_queue_frames{role="rx"})"), 4);
  EXPECT_EQ(e.value(R"(viamillipede_sidechain_raw_bytes_total{role="rx",codec="zstd"})"), 1950000);
  EXPECT_EQ(e.value(R"(viamillipede_sidechain_wire_bytes_total{role="rx",codec="zstd"})"), 480000);
  // The receiver never waits for its stage on the way in: the cause is there, at 0.
  EXPECT_EQ(e.value(R"(viamillipede_stall_seconds_total{role="rx",cause="sidechain"})"), 0);
}

TEST(StatsCollector, NoSidechainNoSidechainFamiliesButTheStallCauseStays) {
  Stats s = sample_tx();
  s.sidechain.reset();
  s.sidechain_stall_seconds = 0;
  auto e = parse_exposition(expose(s));
  for (const auto& [name, type] : e.types) {
    EXPECT_FALSE(name.starts_with("viamillipede_sidechain_")) << name;
  }
  // The bottleneck split keeps its four causes whether or not the stage runs.
  EXPECT_EQ(e.count("viamillipede_stall_seconds_total"), 4);
  EXPECT_EQ(e.value(R"(viamillipede_stall_seconds_total{role="tx",cause="sidechain"})"), 0);
}

TEST(StatsCollector, ReceiverFamilies) {
  auto e = parse_exposition(expose(sample_rx()));
  EXPECT_EQ(e.value(R"(viamillipede_duplicate_frames_total{role="rx"})"), 2);
  EXPECT_EQ(e.value(R"(viamillipede_rejected_connections_total{role="rx"})"), 5);
  EXPECT_EQ(e.value(R"(viamillipede_reorder_buffer_bytes{role="rx"})"), 50000);
  EXPECT_EQ(e.value(R"(viamillipede_stall_seconds_total{role="rx",cause="sink"})"), 3.5);
  EXPECT_EQ(
      e.value(
          R"(viamillipede_leg_state{role="rx",leg="1",link="10.0.0.9:51002",state="draining"})"),
      1);
  EXPECT_FALSE(e.has_family("viamillipede_resent_frames_total"));
  EXPECT_FALSE(e.has_family("viamillipede_resent_bytes_total"));
  EXPECT_FALSE(e.has_family("viamillipede_leg_resent_frames_total"));
  EXPECT_FALSE(e.has_family("viamillipede_tcp_acked_bytes_total"));
  EXPECT_FALSE(e.has_family("viamillipede_leg_tcp_acked_bytes_total"));
  EXPECT_FALSE(e.has_family("viamillipede_knob"));
}

TEST(StatsCollector, EveryFamilyHasTheRightTypeAndNamingConvention) {
  Stats s = sample_tx();
  s.last_tuning = sample_tuning();
  auto e = parse_exposition(expose(s));
  ASSERT_GT(e.types.size(), 30u);
  for (const auto& [name, type] : e.types) {
    EXPECT_TRUE(name.starts_with("viamillipede_")) << name;
    EXPECT_EQ(name.ends_with("_total"), type == "counter") << name << " is a " << type;
  }
}

TEST(StatsCollector, TunerFamiliesOnlyOnceTheTunerHasReported) {
  Stats s = sample_tx();
  auto before = parse_exposition(expose(s));
  for (const auto& [name, type] : before.types) {
    EXPECT_FALSE(name.starts_with("viamillipede_tuner_")) << name;
  }

  s.last_tuning = sample_tuning();
  s.tuning_generations = 18;
  auto e = parse_exposition(expose(s));
  EXPECT_EQ(e.value(R"(viamillipede_tuner_generations_total{role="tx"})"), 18);
  EXPECT_EQ(e.value(R"(viamillipede_tuner_generation{role="tx"})"), 17);
  EXPECT_EQ(e.value(R"(viamillipede_tuner_fitness{role="tx"})"), 1.5e9);
  EXPECT_EQ(e.value(R"(viamillipede_tuner_best_fitness{role="tx"})"), 1.75e9);
  EXPECT_EQ(e.value(R"(viamillipede_tuner_knob{role="tx",knob="legs",which="current"})"), 8);
  EXPECT_EQ(e.value(R"(viamillipede_tuner_knob{role="tx",knob="legs",which="best"})"), 12);
  EXPECT_EQ(e.value(R"(viamillipede_tuner_knob{role="tx",knob="frame_bytes",which="best"})"),
            4 * 1024 * 1024);
  EXPECT_EQ(e.count("viamillipede_tuner_knob"), 16);  // 8 numeric knobs x current/best
  EXPECT_EQ(e.value(R"(viamillipede_tuner_link_weight{role="tx",link_index="1",which="current"})"),
            2.0);
  EXPECT_EQ(e.count("viamillipede_tuner_link_weight"), 2);  // best has no weights
  EXPECT_EQ(
      e.value(R"(viamillipede_tuner_congestion_info{role="tx",which="current",algorithm="cubic"})"),
      1);
  EXPECT_EQ(
      e.value(R"(viamillipede_tuner_congestion_info{role="tx",which="best",algorithm="default"})"),
      1);
  EXPECT_EQ(e.value(R"(viamillipede_tuner_compress_info{role="tx",which="current",setting="lz4"})"),
            1);
  EXPECT_EQ(e.value(R"(viamillipede_tuner_compress_info{role="tx",which="best",setting="none"})"),
            1);
}

TEST(StatsCollector, CountersAreMonotonicAcrossScrapes) {
  Stats s = sample_tx();
  s.last_tuning = sample_tuning();
  FakeSource source(s);
  source.on_snapshot(advance);
  StatsCollector collector(source);
  prometheus::TextSerializer text;
  auto previous = parse_exposition(text.Serialize(collector.Collect()));
  for (int scrape = 0; scrape < 20; ++scrape) {
    auto next = parse_exposition(text.Serialize(collector.Collect()));
    for (const auto& [series, value] : previous.samples) {
      auto family = series.substr(0, series.find('{'));
      if (next.types[family] != "counter") continue;
      auto now = next.value(series);
      ASSERT_TRUE(now.has_value()) << series << " disappeared";
      EXPECT_GE(*now, value) << series;
    }
    previous = next;
  }
  EXPECT_EQ(source.snapshots(), 21);  // one snapshot per scrape, nothing cached
  EXPECT_GT(*previous.value(R"(viamillipede_input_bytes_total{role="tx"})"), 3000000);
}

TEST(StatsCollector, ProcessFamiliesFromProc) {
  FakeSource source(sample_rx());
  StatsCollector collector(source);
  auto e = parse_exposition(prometheus::TextSerializer().Serialize(collector.Collect()));
  EXPECT_EQ(e.types["process_cpu_seconds_total"], "counter");
  EXPECT_GT(*e.value("process_resident_memory_bytes"), 1024 * 1024);
  EXPECT_GT(*e.value("process_virtual_memory_bytes"), *e.value("process_resident_memory_bytes"));
  EXPECT_GE(*e.value("process_open_fds"), 3);
  EXPECT_GT(*e.value("process_max_fds"), 0);
  auto start = *e.value("process_start_time_seconds");
  auto now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch());
  EXPECT_LE(start, now.count() + 1);
  EXPECT_GT(start, now.count() - 3600);  // this test binary started within the hour
}

TEST(StatsCollector, AFailingSnapshotCostsOneScrapeNotTheProcess) {
  FakeSource source(sample_tx());
  source.on_snapshot([](Stats&) { throw std::runtime_error("snapshot failed"); });
  StatsCollector collector(source);
  auto e = parse_exposition(prometheus::TextSerializer().Serialize(collector.Collect()));
  EXPECT_FALSE(e.has_family("viamillipede_info"));
  EXPECT_TRUE(e.has_family("process_cpu_seconds_total"));

  source.on_snapshot({});
  e = parse_exposition(prometheus::TextSerializer().Serialize(collector.Collect()));
  EXPECT_TRUE(e.has_family("viamillipede_info"));
}

// Full duplex: one endpoint serves both engines; each family appears once (one HELP/TYPE),
// holding the samples of both roles.
TEST(StatsCollector, TwoEnginesShareFamiliesByRole) {
  FakeSource tx(sample_tx());
  FakeSource rx(sample_rx());
  StatsCollector collector({&tx, &rx});
  const auto families = collector.Collect();
  std::set<std::string> names;
  for (const auto& f : families) EXPECT_TRUE(names.insert(f.name).second) << f.name << " twice";
  auto e = parse_exposition(prometheus::TextSerializer().Serialize(families));
  EXPECT_EQ(e.value(R"(viamillipede_input_bytes_total{role="tx"})"), sample_tx().bytes_in);
  EXPECT_EQ(e.value(R"(viamillipede_input_bytes_total{role="rx"})"), sample_rx().bytes_in);
  EXPECT_EQ(tx.snapshots(), 1);
  EXPECT_EQ(rx.snapshots(), 1);
}

}  // namespace
}  // namespace vmp::metrics::test
