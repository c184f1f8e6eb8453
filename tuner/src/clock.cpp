#include "vmp/tuner/clock.hpp"

#include <chrono>

namespace vmp::tuner {

double SteadyClock::now() {
  using seconds = std::chrono::duration<double>;
  return std::chrono::duration_cast<seconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool SteadyClock::sleep_for(double seconds, std::stop_token stop) {
  std::unique_lock lock(mutex_);
  // Nothing but a stop request ends the wait early; the predicate is "stop requested", which
  // condition_variable_any evaluates itself.
  wake_.wait_for(lock, stop, std::chrono::duration<double>(seconds), [] { return false; });
  return !stop.stop_requested();
}

}  // namespace vmp::tuner
