// The transmitter's tunable knobs: the single value the core applies while a transfer runs and
// the genome the tuner evolves.
//
// Each knob is described once, as one row of kKnobTable (name, type, range, default, unit,
// help, whether the tuner may evolve it, how it prints). Validation, the command line and its
// --help, the metrics knob gauges, the JSON of profiles and the tune log, and the tuner's genome
// codec all read that table, so adding a knob means adding a field to Knobs, a row below, and
// the code that uses it. validate() is the only gate: out-of-range input is an error wherever it
// comes from (command line, tuner, profile file).
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vmp {

inline constexpr std::uint64_t KiB = 1024;
inline constexpr std::uint64_t MiB = 1024 * KiB;
inline constexpr std::uint64_t GiB = 1024 * MiB;

struct Knobs {
  // Total legs (TCP connections) across all links.
  std::uint32_t legs = 4;
  // At most this many legs on any one link.
  std::uint32_t legs_per_link_max = 64;
  // Largest payload of a data frame; the transmitter cuts smaller ones when its legs are slow
  // (about 250 ms of the slowest, at least 64 KiB).
  std::uint32_t frame_bytes = 1 * MiB;
  // Most bytes read from stdin but not yet confirmed written by the receiver. Bounds memory on
  // both sides; within it the transmitter reads about 2 s of what its legs deliver ahead.
  std::uint64_t window_bytes = 64 * MiB;
  // SO_SNDBUF / SO_RCVBUF for each leg socket; 0 leaves the kernel's autotuning alone.
  std::uint32_t sndbuf_bytes = 0;
  std::uint32_t rcvbuf_bytes = 0;
  // TCP congestion control set on every leg with TCP_CONGESTION; empty = automatic: bbr on a
  // WAN path (RTT >= 1 ms) where the kernel offers it, else the system default (cubic rather
  // than bbr on a LAN or loopback); see default_congestion() in util/socket_tuning.cpp.
  std::string congestion;
  // Relative share of legs per link (index = position of the `tx` target). Empty means
  // equal weights. A weight of 0 keeps the link idle unless every weighted link is down.
  std::vector<double> link_weights;
  // Sidechain compression of every frame: "none", "lz4" or "zstd:LEVEL" (one of
  // kCompressChoices for the tuner; any zstd level 1-19 by hand).
  std::string compress = "none";
  // Threads that compress (tx) or decompress (rx) frames; 0 = one per core.
  std::uint32_t sidechain_workers = 0;
  // Ceiling on the bytes per second all legs together put on the wire; 0 = no limit.
  std::uint64_t rate_limit = 0;
  // Ceiling in bytes per second per link (index = position of the `tx` target); 0 = no cap for
  // that link, empty = no caps.
  std::vector<double> link_rates;

  bool operator==(const Knobs&) const = default;
};

// Names a knob, e.g. to say which knobs the user pinned on the command line (the tuner leaves
// those out of its genome). The order is the order of kKnobTable.
enum class KnobId : unsigned {
  legs,
  legs_per_link_max,
  frame_bytes,
  window_bytes,
  sndbuf_bytes,
  rcvbuf_bytes,
  congestion,
  link_weights,
  compress,
  sidechain_workers,
  rate_limit,
  link_rates,
  count_
};
using KnobSet = std::bitset<static_cast<std::size_t>(KnobId::count_)>;
inline void set(KnobSet& s, KnobId id) {
  s.set(static_cast<std::size_t>(id));
}
inline void unset(KnobSet& s, KnobId id) {
  s.reset(static_cast<std::size_t>(id));
}
inline bool has(const KnobSet& s, KnobId id) {
  return s.test(static_cast<std::size_t>(id));
}

// Knobs the tuner evolves only when a transfer asks for it (--compress auto: the codec and the
// sidechain's workers); every other tunable knob is a gene unless the user pins it. Callers
// that do not ask hold these pinned.
inline KnobSet opt_in_genes() {
  KnobSet s;
  set(s, KnobId::compress);
  set(s, KnobId::sidechain_workers);
  return s;
}

// Declared range of one numeric knob, for validation, the CLI and the tuner's encoding.
struct KnobRange {
  std::string_view name;  // how error messages call the knob
  std::uint64_t min;
  std::uint64_t max;
  bool zero_allowed;  // 0 is a legal "off/auto" value outside [min, max]
};

// What a knob's value is; decides how it is parsed, printed, encoded as JSON and as genes.
enum class KnobType {
  count,    // unsigned integer, plain number on the command line
  bytes,    // unsigned integer, size with K/M/G suffixes on the command line
  name,     // a string (empty = system default)
  weights,  // list of non-negative numbers, one per link
  rate,     // unsigned bytes per second; sizes or bit rates (100Mbit) on the command line
  rates,    // list of rates, one per link (0 = none), held as get_list/put_list
};

// One row of the knob table. Accessors are plain function pointers so the table is constexpr.
struct KnobSpec {
  KnobId id;
  std::string_view key;     // field name: JSON key, metric label, gene name ("rcvbuf_bytes")
  std::string_view option;  // long command-line option without "--" ("rcvbuf")
  KnobType type;
  KnobRange range;              // count, bytes, rate and rates only
  std::string_view unit;        // base unit of the value ("bytes", "legs"; "" for names)
  std::string_view help;        // --help text, without range and default (added from the row)
  std::string_view unset_text;  // --help default of an empty name/list ("system", "equal")
  bool tunable;                 // the tuner may evolve it (unless the user pins it)
  bool rx_too;                  // the receiver takes the option as well (its sockets, window)
  // count, bytes and rate:
  std::uint64_t (*get)(const Knobs&) = nullptr;
  void (*put)(Knobs&, std::uint64_t) = nullptr;
  // name:
  std::string (*get_name)(const Knobs&) = nullptr;
  void (*put_name)(Knobs&, std::string) = nullptr;
  // weights and rates:
  std::vector<double> (*get_list)(const Knobs&) = nullptr;
  void (*put_list)(Knobs&, std::vector<double>) = nullptr;
};

inline constexpr double kLinkWeightMax = 1000.0;
// Rates from 1000 bytes/s (8kbit) to 1 TiB/s; 0 is "no limit".
inline constexpr KnobRange kRateRange{"rate", 1000, 1024 * GiB, true};

// clang-format off
inline constexpr std::array<KnobSpec, static_cast<std::size_t>(KnobId::count_)> kKnobTable{{
  {KnobId::legs, "legs", "threads", KnobType::count, {"legs", 1, 64, false}, "legs",
   "legs (TCP connections) in total", "", true, false,
   [](const Knobs& k) -> std::uint64_t { return k.legs; },
   [](Knobs& k, std::uint64_t v) { k.legs = static_cast<std::uint32_t>(v); }},
  {KnobId::legs_per_link_max, "legs_per_link_max", "legs-per-link", KnobType::count,
   {"legs-per-link", 1, 64, false}, "legs", "at most N legs on one link", "", true, false,
   [](const Knobs& k) -> std::uint64_t { return k.legs_per_link_max; },
   [](Knobs& k, std::uint64_t v) { k.legs_per_link_max = static_cast<std::uint32_t>(v); }},
  {KnobId::frame_bytes, "frame_bytes", "frame-size", KnobType::bytes,
   {"frame-size", 4 * KiB, 16 * MiB, false}, "bytes",
   "largest payload per frame (smaller when legs are slow: ~250 ms of the slowest)", "", true, false,
   [](const Knobs& k) -> std::uint64_t { return k.frame_bytes; },
   [](Knobs& k, std::uint64_t v) { k.frame_bytes = static_cast<std::uint32_t>(v); }},
  {KnobId::window_bytes, "window_bytes", "window", KnobType::bytes,
   {"window", 1 * MiB, 4 * GiB, false}, "bytes",
   "most unacknowledged bytes held (tx reads ~2 s of delivery ahead within it; rx: the most it "
   "holds for reordering, told to the transmitter; its default is 256M)", "", true, true,
   [](const Knobs& k) -> std::uint64_t { return k.window_bytes; },
   [](Knobs& k, std::uint64_t v) { k.window_bytes = v; }},
  {KnobId::sndbuf_bytes, "sndbuf_bytes", "sndbuf", KnobType::bytes,
   {"sndbuf", 4 * KiB, 256 * MiB, true}, "bytes", "SO_SNDBUF per leg (0 = kernel autotuning)", "",
   true, false,
   [](const Knobs& k) -> std::uint64_t { return k.sndbuf_bytes; },
   [](Knobs& k, std::uint64_t v) { k.sndbuf_bytes = static_cast<std::uint32_t>(v); }},
  {KnobId::rcvbuf_bytes, "rcvbuf_bytes", "rcvbuf", KnobType::bytes,
   {"rcvbuf", 4 * KiB, 256 * MiB, true}, "bytes", "SO_RCVBUF per leg (0 = kernel autotuning)", "",
   true, true,
   [](const Knobs& k) -> std::uint64_t { return k.rcvbuf_bytes; },
   [](Knobs& k, std::uint64_t v) { k.rcvbuf_bytes = static_cast<std::uint32_t>(v); }},
  {KnobId::congestion, "congestion", "congestion", KnobType::name, {"congestion", 0, 0, false}, "",
   "TCP congestion control per leg (e.g. cubic, bbr)", "auto: bbr on WAN paths", true, false,
   nullptr, nullptr,
   [](const Knobs& k) { return k.congestion; },
   [](Knobs& k, std::string v) { k.congestion = std::move(v); }},
  {KnobId::link_weights, "link_weights", "link-weights", KnobType::weights,
   {"link weight", 0, static_cast<std::uint64_t>(kLinkWeightMax), false}, "",
   "share of legs per link, e.g. 3,1,1", "equal", true, false, nullptr, nullptr, nullptr, nullptr,
   [](const Knobs& k) { return k.link_weights; },
   [](Knobs& k, std::vector<double> v) { k.link_weights = std::move(v); }},
  {KnobId::compress, "compress", "compress", KnobType::name, {"compress", 0, 0, false}, "",
   "frame compression: none, lz4, zstd[:LEVEL 1-19], or auto (the tuner, or with --no-tune "
   "the sidechain's own feedback, picks; see README)", "none",
   // A gene only with --compress auto and the tuner (cli/options.cpp pins it otherwise).
   true, false, nullptr, nullptr,
   [](const Knobs& k) { return k.compress; },
   [](Knobs& k, std::string v) { k.compress = std::move(v); }},
  {KnobId::sidechain_workers, "sidechain_workers", "sidechain-workers", KnobType::count,
   {"sidechain-workers", 1, 64, true}, "threads",
   "threads compressing/filtering (tx) or decoding (rx) frames, 0 = one per core (tx, keyed, "
   "nothing to compress: 0 = sealed by the stdin reader)",
   "",
   // A gene with the codec (--compress auto and the tuner): when both ends share the cores
   // (loopback, a busy host) fewer compressing threads can leave more to the rest.
   true, true,
   [](const Knobs& k) -> std::uint64_t { return k.sidechain_workers; },
   [](Knobs& k, std::uint64_t v) { k.sidechain_workers = static_cast<std::uint32_t>(v); }},
  // Not genes: limits are the user's ceilings (a shared link, a metered line); the tuner
  // measures goodput and would only ever learn to lift them.
  {KnobId::rate_limit, "rate_limit_bytes_per_second", "rate-limit", KnobType::rate,
   {"rate-limit", kRateRange.min, kRateRange.max, true}, "bytes/s",
   "ceiling for the whole transfer in bytes/s (10M) or bits/s (100Mbit), 0 = none", "", false,
   false,
   [](const Knobs& k) -> std::uint64_t { return k.rate_limit; },
   [](Knobs& k, std::uint64_t v) { k.rate_limit = v; }},
  {KnobId::link_rates, "link_rates_bytes_per_second", "link-rates", KnobType::rates,
   {"link rate", kRateRange.min, kRateRange.max, true}, "bytes/s",
   "ceiling per link like --rate-limit, one per tx target, 0 = none, e.g. 50Mbit,0", "none",
   false, false, nullptr, nullptr, nullptr, nullptr,
   [](const Knobs& k) { return k.link_rates; },
   [](Knobs& k, std::vector<double> v) { k.link_rates = std::move(v); }},
}};
// clang-format on

constexpr const KnobSpec& knob_spec(KnobId id) {
  return kKnobTable[static_cast<std::size_t>(id)];
}
static_assert(
    [] {
      for (std::size_t i = 0; i < kKnobTable.size(); ++i) {
        if (static_cast<std::size_t>(kKnobTable[i].id) != i) return false;
      }
      return true;
    }(),
    "kKnobTable rows must be in KnobId order");

// Ranges by name, for code that needs one bound (e.g. the receiver's reorder limit).
inline constexpr KnobRange kLegsRange = knob_spec(KnobId::legs).range;
inline constexpr KnobRange kLegsPerLinkRange = knob_spec(KnobId::legs_per_link_max).range;
inline constexpr KnobRange kFrameRange = knob_spec(KnobId::frame_bytes).range;
inline constexpr KnobRange kWindowRange = knob_spec(KnobId::window_bytes).range;
inline constexpr KnobRange kSockBufRange = knob_spec(KnobId::sndbuf_bytes).range;

// The compression ladder --compress auto climbs (the sidechain's feedback a step at a time,
// the tuner's codec gene anywhere along it), cheapest first: each step shrinks typical data
// more and costs more CPU per byte.
inline constexpr std::array<std::string_view, 6> kCompressChoices{"none",   "lz4",    "zstd:1",
                                                                  "zstd:3", "zstd:6", "zstd:9"};

// "none", "lz4", "zstd:1".."zstd:19" (the values the compress knob may hold).
bool is_compression(std::string_view text);

// Returns an error message ("window 512 is outside 1048576..4294967296") or nullopt.
std::optional<std::string> validate(const Knobs& knobs);

// Congestion control algorithms this kernel offers (tcp_available_congestion_control).
std::vector<std::string> available_congestion_controls();

// How one knob's value prints: numbers plainly, an empty name as "default", weights as
// "3,1,1" (empty: "").
std::string knob_text(const KnobSpec& spec, const Knobs& knobs);

// "1M" for 1048576, "4G", "4K", "1000": the shortest exact size with a binary suffix.
std::string size_text(std::uint64_t bytes);

// --help text of a knob: help, range and default, e.g.
// "payload bytes per frame, 4K-16M [1M]".
std::string knob_help(const KnobSpec& spec);

// Human-readable one-line form, "key=value" per knob, e.g. "legs=4 ... congestion=bbr".
std::string to_string(const Knobs& knobs);

}  // namespace vmp
