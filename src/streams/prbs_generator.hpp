// `prbs SEED` on the transmitter: a thread writes the pattern into a pipe whose read end is
// the transmitter's source, so the engine reads it like any stdin. Endless, as in the
// original; leglimit / --limit-bytes bound the stream on the reader's side.
#pragma once

#include <cstdint>
#include <thread>

#include "util/stop_event.hpp"
#include "util/unique_fd.hpp"

namespace vmp::streams {

class PrbsGenerator {
 public:
  explicit PrbsGenerator(std::uint64_t seed);  // throws std::system_error without a pipe
  // Closes the read end first: a write blocked on a full pipe returns EPIPE at once.
  ~PrbsGenerator();
  PrbsGenerator(const PrbsGenerator&) = delete;
  PrbsGenerator& operator=(const PrbsGenerator&) = delete;

  int read_fd() const { return read_.get(); }

 private:
  void run(std::uint64_t seed);

  UniqueFd read_;
  UniqueFd write_;
  StopEvent stop_;
  std::thread thread_;
};

}  // namespace vmp::streams
