// The tuner main.cpp starts for `tx` unless --no-tune: a genetic search over the transmitter's
// knobs, run on its own thread against the live transfer (TuningSession). It never touches the
// data path: it only reads snapshots and applies whole Knobs values through TransferControl,
// which the engine applies without losing or reordering data.
//
//   vmp::tuner::TunerOptions opts;
//   opts.link_count = targets.size();
//   opts.pinned = knobs_given_on_command_line;
//   vmp::tuner::Tuner tuner(engine, opts);   // may throw std::runtime_error (tune-log path)
//   tuner.start();
//   ...transfer runs...
//   tuner.stop();                            // joins; best genome applied, profile saved
#pragma once

#include <memory>
#include <thread>

#include "transfer_control.hpp"
#include "vmp/tuner/tuner_options.hpp"
#include "vmp/tuner/tuning_session.hpp"

namespace vmp::tuner {

class Tuner {
 public:
  // Opens the tune log and loads the profile at once, so a bad --tune-log path is reported
  // before the transfer starts. Throws std::runtime_error with one line.
  Tuner(TransferControl& control, TunerOptions opts);
  ~Tuner();  // stop()
  Tuner(const Tuner&) = delete;
  Tuner& operator=(const Tuner&) = delete;

  // Starts the tuning thread; a second call does nothing.
  void start();
  // Interrupts the experiment in progress (promptly: the thread sleeps on a condition
  // variable), leaves the best genome applied, saves the profile and joins. Idempotent. The
  // thread also ends by itself when the transfer finishes.
  void stop();

 private:
  void run(std::stop_token stop);

  TransferControl& control_;
  std::shared_ptr<Clock> clock_;
  std::unique_ptr<TuningSession> session_;
  std::function<void(std::string_view)> warn_;
  std::jthread thread_;
  bool started_ = false;
};

}  // namespace vmp::tuner
