// What the core publishes about a running transfer. A Stats value is a self-contained
// snapshot: observers (metrics exporter, tuner, status printer, --stats-json) copy it and never
// reach into the engine. Counters are monotonic for the life of the process.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "knobs.hpp"

namespace vmp {

enum class Role { tx, rx };
std::string_view to_string(Role r);

enum class LegState { connecting, up, draining, down };
std::string_view to_string(LegState s);

// The kernel's own view of one leg (getsockopt TCP_INFO), sampled periodically.
struct TcpInfoSample {
  bool valid = false;
  double rtt_seconds = 0;
  double rttvar_seconds = 0;
  std::uint32_t cwnd_segments = 0;
  std::uint32_t mss_bytes = 0;
  std::uint64_t total_retrans_segments = 0;  // cumulative over the socket's life
  std::uint64_t bytes_acked = 0;             // tcpi_bytes_acked: over the socket's life
  std::uint32_t unacked_segments = 0;        // in flight: sent, not yet acknowledged
  std::uint32_t notsent_bytes = 0;           // written by us, not yet sent by the kernel
  std::uint32_t peer_window_bytes = 0;       // tcpi_snd_wnd: the receive window the peer offers
  double delivery_rate_bytes_per_second = 0;
  double pacing_rate_bytes_per_second = 0;
  std::string congestion;  // algorithm in use on this socket
};

struct LegStats {
  std::uint32_t id = 0;          // stable slot number, 0..legs-1
  std::string link;              // "host:port" of the tx target (tx) or peer address (rx)
  std::uint32_t link_index = 0;  // position of the target on the command line (tx)
  LegState state = LegState::down;
  std::uint64_t bytes = 0;          // payload bytes sent (tx) or received (rx) on this leg
  std::uint64_t frames = 0;         // data frames sent / received
  std::uint64_t resent_frames = 0;  // frames this leg carried that had been sent before (tx)
  std::uint64_t resent_bytes = 0;   // their payload bytes
  std::uint64_t reconnects = 0;     // times this slot re-established a connection after a loss
  // tx: bytes the peer's TCP acknowledged on this slot, over all its connections (sampled
  // every 200 ms). Unlike receiver confirmations it does not lag by the window.
  std::uint64_t tcp_acked_bytes = 0;
  // tx: the stream bytes (before the sidechain) of the frames in tcp_acked_bytes, copies of
  // frames sent before not counted; a frame counts in proportion to its acknowledged share.
  std::uint64_t tcp_acked_raw_bytes = 0;
  // tx: one past the highest frame sequence the peer's TCP acknowledged in full (0 = none).
  std::uint64_t tcp_acked_seq = 0;
  // tx: what this leg delivers while it has work (acknowledged bytes per second over busy
  // intervals, smoothed; 0 = not known yet). Next to tcp.delivery_rate_bytes_per_second it
  // shows whether the leg is as fast as its TCP connection allows.
  double goodput_bytes_per_second = 0;
  // tx: time this leg waited for a frame to send, summed over its connections.
  double idle_seconds = 0;
  TcpInfoSample tcp;
};

struct LinkStats {
  std::string target;  // "host:port"
  std::uint32_t index = 0;
  bool up = false;  // false while bypassed after a failed connect
  std::uint32_t legs_up = 0;
  std::uint64_t bytes = 0;
  std::uint64_t connect_failures = 0;
};

// Frames through the sidechain stage with one codec ("none" counts frames that went raw
// because compressing did not shrink them).
struct CodecStats {
  std::string codec;  // "none", "lz4", "zstd", "filter" (probe: a compress setting, "zstd:3")
  std::uint64_t frames = 0;
  std::uint64_t raw_bytes = 0;   // stream bytes
  std::uint64_t wire_bytes = 0;  // what they were on the wire
};

// The sidechain stage (tx: compress or filter; rx: decode), present when it runs.
struct SidechainStats {
  std::string setting;  // tx: the compress knob in force or "filter"; rx: "decode"
  // tx: the first frame read after `setting` took effect (frames from it on are transformed
  // its way; the ones before may still be queued as the previous setting made them).
  std::uint64_t setting_first_seq = 0;
  std::uint32_t workers = 0;
  double busy_seconds = 0;  // time in transforms, summed over workers
  std::uint64_t depth = 0;  // frames in the stage now
  std::vector<CodecStats> codecs;
  // tx, --compress auto with the tuner: every choice of the codec ladder ("zstd:3") on the
  // same sampled bytes (frames = samples), so the choices' ratios compare (CodecProbe).
  std::vector<CodecStats> probe;
  std::uint64_t raw_bytes() const;
  std::uint64_t wire_bytes() const;
  // raw / wire (1 when nothing passed yet): how much the stage saved on the wire.
  double ratio() const;
};

// One tuner generation, published through the core so that metrics never depend on the tuner.
struct TuningReport {
  std::uint64_t generation = 0;
  double fitness = 0;       // goodput (bytes/s, minus cost penalty) of the genome just measured
  double best_fitness = 0;  // best fitness seen so far
  Knobs genome;             // knobs that were measured
  Knobs best;               // best knobs so far (what runs between experiments)
};

struct Stats {
  Role role = Role::tx;
  std::uint64_t session_id = 0;
  double elapsed_seconds = 0;
  // tx: bytes read from stdin; rx: bytes received in order.
  std::uint64_t bytes_in = 0;
  // tx: bytes the receiver confirmed written; rx: bytes written to stdout.
  std::uint64_t bytes_out = 0;
  // The stream's length when known (a regular-file stdin, or --expect-bytes); 0 = unknown.
  std::uint64_t expected_bytes = 0;
  // tx: sum of the legs' tcp_acked_bytes: what the network delivered, as soon as it did
  // (bytes_out trails it by up to a window). The tuner scores genomes by its rate.
  std::uint64_t tcp_acked_bytes = 0;
  // tx: what those bytes are worth to the user: the stream bytes of the frames, before the
  // sidechain compressed them, first copies only (LegStats). With a sidechain the tuner scores
  // genomes by its rate, so a codec is credited for the stream it delivers.
  std::uint64_t tcp_acked_raw_bytes = 0;
  // tx: one past the highest frame sequence any leg's peer TCP acknowledged in full.
  std::uint64_t tcp_acked_seq = 0;
  std::uint64_t frames = 0;
  std::uint64_t resent_frames = 0;  // tx: resends; rx: duplicates dropped
  // tx: payload bytes of those resends (a lost leg's frames, frames sent again on another leg
  // because they held the window up). TCP acknowledged them as well: the tuner subtracts them.
  std::uint64_t resent_bytes = 0;
  std::uint64_t reconnects = 0;            // sum over legs
  std::uint64_t rejected_connections = 0;  // rx: handshakes refused (garbage, wrong phrase...)
  // Keyed sessions: proofs, frames and control messages that failed authentication (forged,
  // replayed, altered on the way, or a peer with another key).
  std::uint64_t auth_failures = 0;
  bool keyed = false;  // the session uses --key-file
  std::string cipher;  // keyed: the frames' AEAD ("aes-256-gcm"); rx: once a session began
  std::uint64_t window_bytes_used = 0;  // tx: unacknowledged bytes held
  std::uint64_t window_bytes_limit = 0;
  std::uint64_t reorder_bytes = 0;  // rx: bytes waiting for an earlier frame
  // Time spent waiting: for stdin to produce (tx), for the network/window (tx: window full;
  // rx: next frame missing), for stdout to accept (rx).
  double source_stall_seconds = 0;
  double network_stall_seconds = 0;
  double sink_stall_seconds = 0;
  // tx: the part of network_stall_seconds in which a leg was idle with nothing to hand it:
  // the window was spent on frames the receiver holds until earlier ones, still on slow or
  // lossy legs, arrive (head-of-line blocking). Network stalls outside it are the path's rate.
  double reorder_stall_seconds = 0;
  // tx: time stdin's reader waited for the sidechain stage to take a frame (the stage is the
  // bottleneck); rx: 0.
  double sidechain_stall_seconds = 0;
  // tx: time legs waited for --rate-limit / --link-rates tokens, summed over legs.
  double rate_wait_seconds = 0;
  std::optional<SidechainStats> sidechain;
  std::vector<LegStats> legs;
  std::vector<LinkStats> links;
  Knobs knobs;                              // knobs in force (tx)
  std::uint64_t tuning_generations = 0;     // reports published so far
  std::optional<TuningReport> last_tuning;  // most recent tuner generation
  bool finished = false;
  std::string exit_reason;  // empty while running; "complete" or the error line at the end
};

// Anything that can produce a snapshot (the tx and rx engines). Thread-safe.
class StatsSource {
 public:
  virtual ~StatsSource() = default;
  virtual Stats snapshot() const = 0;
};

}  // namespace vmp
