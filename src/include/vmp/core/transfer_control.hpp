// The narrow interface the tuner sees: read stats, read/apply knobs, publish a report.
// Implemented by the transmitter engine; every method is thread-safe and never blocks the
// data path for longer than a mutex hand-off.
#pragma once

#include "knobs.hpp"
#include "stats.hpp"

namespace vmp {

class TransferControl : public StatsSource {
 public:
  virtual Knobs knobs() const = 0;
  // Applies knobs while the transfer runs: no data is lost or reordered. Throws
  // std::invalid_argument (with validate()'s message) when a knob is out of range.
  virtual void apply(const Knobs& knobs) = 0;
  // Stores a tuner generation so that it shows up in snapshot().last_tuning.
  virtual void publish(const TuningReport& report) = 0;
};

}  // namespace vmp
