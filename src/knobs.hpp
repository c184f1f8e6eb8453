// The transmitter's tunable knobs: the single value the core applies while a transfer runs and
// the genome the tuner evolves. Every numeric knob has a declared range (kKnobRanges);
// validate() is the only gate, so out-of-range input is an error wherever it comes from
// (command line, tuner, profile file).
#pragma once

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
  // Payload bytes per data frame; stdin is read in blocks of this size.
  std::uint32_t frame_bytes = 1 * MiB;
  // Bytes read from stdin but not yet confirmed written by the receiver. Bounds memory on
  // both sides.
  std::uint64_t window_bytes = 64 * MiB;
  // SO_SNDBUF / SO_RCVBUF for each leg socket; 0 leaves the kernel's autotuning alone.
  std::uint32_t sndbuf_bytes = 0;
  std::uint32_t rcvbuf_bytes = 0;
  // TCP congestion control set on every leg with TCP_CONGESTION; empty = system default.
  std::string congestion;
  // Relative share of legs per link (index = position of the `tx` target). Empty means
  // equal weights. A weight of 0 keeps the link idle unless every weighted link is down.
  std::vector<double> link_weights;

  bool operator==(const Knobs&) const = default;
};

// Names a knob, e.g. to say which knobs the user pinned on the command line (the tuner leaves
// those out of its genome).
enum class KnobId : unsigned {
  legs,
  legs_per_link_max,
  frame_bytes,
  window_bytes,
  sndbuf_bytes,
  rcvbuf_bytes,
  congestion,
  link_weights,
  count_
};
using KnobSet = std::bitset<static_cast<std::size_t>(KnobId::count_)>;
inline void set(KnobSet& s, KnobId id) {
  s.set(static_cast<std::size_t>(id));
}
inline bool has(const KnobSet& s, KnobId id) {
  return s.test(static_cast<std::size_t>(id));
}

// Declared range of one numeric knob, for validation, the CLI and the tuner's encoding.
struct KnobRange {
  std::string_view name;
  std::uint64_t min;
  std::uint64_t max;
  bool zero_allowed;  // 0 is a legal "off/auto" value outside [min, max]
};

inline constexpr KnobRange kLegsRange{"legs", 1, 64, false};
inline constexpr KnobRange kLegsPerLinkRange{"legs-per-link", 1, 64, false};
inline constexpr KnobRange kFrameRange{"frame-size", 4 * KiB, 16 * MiB, false};
inline constexpr KnobRange kWindowRange{"window", 1 * MiB, 4 * GiB, false};
inline constexpr KnobRange kSockBufRange{"sockbuf", 4 * KiB, 256 * MiB, true};
inline constexpr double kLinkWeightMax = 1000.0;

// Returns an error message ("window 512 is outside 1048576..4294967296") or nullopt.
std::optional<std::string> validate(const Knobs& knobs);

// Congestion control algorithms this kernel offers (tcp_available_congestion_control).
std::vector<std::string> available_congestion_controls();

// Human-readable one-line form, e.g. "legs=4 frame=1048576 window=67108864 cc=bbr".
std::string to_string(const Knobs& knobs);

}  // namespace vmp
