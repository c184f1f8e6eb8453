#include "vmp/tuner/change_detector.hpp"

namespace vmp::tuner {

ChangeDetector::Verdict ChangeDetector::observe(double reference, double measured) {
  if (reference > 0 && measured < (1.0 - opts_.drop) * reference) {
    if (++strikes_ >= opts_.patience) {
      strikes_ = 0;
      return Verdict::changed;
    }
    return Verdict::suspect;
  }
  strikes_ = 0;
  return Verdict::steady;
}

}  // namespace vmp::tuner
