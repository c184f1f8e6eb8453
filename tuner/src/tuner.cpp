#include "vmp/tuner/tuner.hpp"

#include <iostream>
#include <string>

namespace vmp::tuner {

Tuner::Tuner(TransferControl& control, TunerOptions opts)
    : control_(control),
      clock_(opts.clock ? opts.clock : std::make_shared<SteadyClock>()),
      warn_(opts.warn) {
  session_ = std::make_unique<TuningSession>(control_, *clock_, std::move(opts));
}

Tuner::~Tuner() {
  stop();
}

void Tuner::start() {
  if (started_) return;
  started_ = true;
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

void Tuner::stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
}

void Tuner::run(std::stop_token stop) {
  // Nothing may escape a thread (std::terminate would take the transfer down with it): a
  // failing tuner reports one line and leaves the transfer running on the knobs it has.
  try {
    while (session_->run_generation(stop)) {
    }
    session_->finish();
  } catch (const std::exception& e) {
    std::string line = std::string("tuner stopped: ") + e.what();
    if (warn_) {
      warn_(line);
    } else {
      std::cerr << "viamillipede: " << line << '\n';
    }
  }
}

}  // namespace vmp::tuner
