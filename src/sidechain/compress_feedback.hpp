// `--compress auto` without the tuner: moves the compress knob along kCompressChoices from what
// the transfer says about its bottleneck, once a second (the idea of zstd --adapt):
// - the stdin reader waits for the sidechain (the stage is the bottleneck): one step cheaper;
// - the reader waits for the window (the network is) and frames do shrink: one step harder;
// - nearly every frame goes raw (the data does not compress): none, trying lz4 again now and
//   then in case the data changes.
// A change is held for a few seconds before the next one, so its effect can show.
// Pure: it sees only the stats snapshots it is given and says what to set.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "stats.hpp"

namespace vmp::sidechain {

class CompressFeedback {
 public:
  // After a change, before the next: long enough for the window to show its effect (the
  // reader waits on the window or the stage again within a second), short enough that a
  // transfer of a few seconds still climbs the ladder (measured: with 3 s a 100 MB transfer
  // over 100 Mbit/s never left lz4).
  static constexpr double kHoldSeconds = 1.5;
  static constexpr double kRetrySeconds = 30;     // at none because nothing shrank: try lz4
  static constexpr double kStageBound = 0.30;     // reader's share of time waiting for the stage
  static constexpr double kNetworkBound = 0.50;   // reader's share waiting for the window
  static constexpr double kIncompressible = 0.9;  // share of frames that went raw

  explicit CompressFeedback(std::string start) : current_(std::move(start)) {}

  // The compress value to set now, if it should change. Call about once a second.
  std::optional<std::string> step(const Stats& now);

 private:
  std::size_t index() const;

  std::string current_;
  std::optional<Stats> last_;
  double changed_at_ = 0;
  bool gave_up_ = false;  // at none because the data did not compress
};

}  // namespace vmp::sidechain
