// One tuning run against a live transfer, one generation per call: the genetic search asks
// for a genome, the session applies it through TransferControl, measures goodput with the
// GoodputMeter, tells the search, and at the end of each generation publishes a TuningReport,
// writes the tune-log line and saves the profile if the best changed. Single-threaded and
// driven by the caller, so tests run it step by step on a virtual clock; Tuner runs it on a
// thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <stop_token>
#include <string>

#include "transfer_control.hpp"
#include "vmp/tuner/genetic_search.hpp"
#include "vmp/tuner/goodput_meter.hpp"
#include "vmp/tuner/tune_log.hpp"
#include "vmp/tuner/tuner_options.hpp"

namespace vmp::tuner {

class TuningSession {
 public:
  // Reads the knobs in force, loads the profile (a bad one is ignored with a warning) and opens
  // the tune log. Throws std::runtime_error with one line if the log cannot be opened.
  TuningSession(TransferControl& control, Clock& clock, TunerOptions opts);

  // Runs one generation. Returns false when tuning is over: stop requested, the transfer
  // finished, or nothing to tune (every knob pinned).
  bool run_generation(std::stop_token stop);
  // Applies the best genome found (if it is not what runs) and saves the profile.
  void finish();

  const GeneticSearch& search() const { return search_; }
  std::uint64_t seed() const { return seed_; }
  bool tunable() const { return search_.codec().dimension() > 0; }
  // The codec is a gene (--compress auto with the tuner): its CPU then counts in the fitness.
  bool codec_is_gene() const;

 private:
  struct Outcome {
    MeterResult meter;
    double window_seconds = 0;
    bool refused = false;  // apply() threw: the genome is abandoned with fitness 0
  };
  Outcome evaluate(const Evaluation& e, std::stop_token stop);
  // Once, before the first genome: lets the engine's codec feedback run for
  // codec_feedback_seconds, then starts the search again from the knobs in force then.
  // False when the transfer ended or stop was requested meanwhile.
  bool let_codec_feedback_run(std::stop_token stop);
  // When stdin was idle for most of the time since the last look, no genome can beat the
  // incumbent (the source sets the pace) and an experiment only costs: legs on worse paths,
  // copies. Then the best known genome holds for one window instead. Returns whether it held.
  bool hold_while_source_bound(std::stop_token stop);
  // Before explore_after_seconds: runs the best genome so far a while instead of `e` (true),
  // unless `e` is the start or an anchor (false: measure it now).
  bool hold_before_exploring(const Evaluation& e, std::stop_token stop);
  // Applies the best genome so far, if it is not what runs.
  void apply_best();
  // apply_best(), then `seconds` of it, credited to best_held_seconds_.
  void hold_best(double seconds, std::stop_token stop);
  void end_generation();
  // How long the incumbent must run next so that experiments stay within explore_share of
  // the time (tuner_options.hpp).
  double explore_balance() const;
  void save_profile_if_better();
  void warn(std::string_view line) const;

  TransferControl& control_;
  Clock& clock_;
  TunerOptions opts_;
  std::uint64_t seed_;
  // Before search_: make_search() sets it while search_ is initialised (declared after it, its
  // own initialiser ran later and reset it, so a profile start still waited for the feedback).
  bool from_profile_ = false;  // the start genome is the profile's
  GeneticSearch search_;
  GoodputMeter meter_;
  std::optional<TuneLog> log_;
  std::optional<Knobs> applied_;  // what this session last applied, if anything
  double started_ = 0;
  bool search_began_ = false;  // let_codec_feedback_run() is behind us
  std::vector<LoggedEvaluation> generation_log_;
  // How long the best genome ran in holds (hold_best) since the incumbent was last measured:
  // that time is the incumbent's share already, so explore_balance() owes that much less (the
  // first explore_after_seconds otherwise made generation 0's incumbent hold twice over).
  double best_held_seconds_ = 0;
  std::uint64_t saved_best_id_ = 0;
  std::set<std::string> refusals_warned_;
  struct SourceSample {
    double elapsed = 0;
    double stalled = 0;
  };
  std::optional<SourceSample> source_seen_;
};

}  // namespace vmp::tuner
