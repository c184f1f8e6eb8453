// Decides from re-measurements of the incumbent (the best genome, which runs between
// experiments) whether the path itself changed: a link slowed or died, loss rose. One low
// measurement is suspicion only (noise, a burst of competing traffic); `patience` low ones in a
// row are a change, and the search re-explores.
#pragma once

#include <cstddef>

namespace vmp::tuner {

struct ChangeDetectorOptions {
  // A measurement below (1 - drop) x the incumbent's smoothed fitness counts as low. 0.25 sits
  // well above the few-percent noise of a multi-second goodput window, and well below the
  // smallest change worth re-exploring for (losing one of three paths).
  double drop = 0.25;
  std::size_t patience = 2;
};

class ChangeDetector {
 public:
  enum class Verdict { steady, suspect, changed };

  explicit ChangeDetector(ChangeDetectorOptions opts = {}) : opts_(opts) {}
  Verdict observe(double reference, double measured);
  void reset() { strikes_ = 0; }
  // A low measurement was seen and not yet answered by a normal one or a change.
  bool suspicious() const { return strikes_ > 0; }
  const ChangeDetectorOptions& options() const { return opts_; }

 private:
  ChangeDetectorOptions opts_;
  std::size_t strikes_ = 0;
};

}  // namespace vmp::tuner
