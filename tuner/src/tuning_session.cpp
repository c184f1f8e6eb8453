#include "vmp/tuner/tuning_session.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

#include "vmp/tuner/cost_penalty.hpp"
#include "vmp/tuner/evaluation_window.hpp"
#include "vmp/tuner/profile.hpp"

namespace vmp::tuner {
namespace {

std::uint64_t pick_seed(const std::optional<std::uint64_t>& seed) {
  if (seed) return *seed;
  std::random_device rd;
  return (std::uint64_t{rd()} << 32) ^ rd();
}

void emit_warning(const TunerOptions& opts, std::string_view line) {
  if (opts.warn) {
    opts.warn(line);
  } else {
    std::cerr << "viamillipede: " << line << '\n';
  }
}

// The first genome: the knobs in force, or the profile's where they are genes (pinned knobs
// keep their command-line values either way).
// after_feedback: the engine's codec feedback ran before (TunerOptions::codec_feedback_seconds).
GeneticSearch make_search(TransferControl& control, const TunerOptions& opts, std::uint64_t seed,
                          bool after_feedback, bool& from_profile) {
  from_profile = false;
  Knobs current = control.knobs();
  auto choices =
      opts.congestion_choices.empty() ? available_congestion_controls() : opts.congestion_choices;
  GenomeCodec codec(current, opts.pinned, opts.link_count, std::move(choices), opts.bounds);
  Knobs start = current;
  if (!opts.profile_path.empty() && std::filesystem::exists(opts.profile_path)) {
    try {
      Profile p = load_profile(opts.profile_path);
      if (p.link_count != codec.link_count()) {
        emit_warning(opts, "tune-profile " + opts.profile_path + ": made for " +
                               std::to_string(p.link_count) + " link(s), this transfer has " +
                               std::to_string(codec.link_count()) + "; ignored");
      } else {
        start = codec.decode(codec.encode(p.knobs));
        from_profile = true;
      }
    } catch (const std::runtime_error& e) {
      emit_warning(opts, std::string(e.what()) + "; ignored");
    }
  }
  // The core's defaults (what plain `viamillipede tx` runs; the codec keeps pinned knobs at
  // their command-line values) are measured right after the start genome, so that a poor
  // profile cannot make generation 0 all exploration of mediocre points. After the engine's
  // codec feedback ran, what plain `tx --compress auto` runs is the codec it picked, not the
  // knob's default `none`: the anchor keeps that codec and its workers.
  std::vector<Knobs> anchors;
  if (opts.defaults_anchor) {
    Knobs defaults;
    if (after_feedback) {
      defaults.compress = current.compress;
      defaults.sidechain_workers = current.sidechain_workers;
    }
    anchors.push_back(codec.decode(codec.encode(defaults)));
  }
  // After the feedback the start's codec suits this path and data: generation 0 looks around
  // it instead of across the whole space (FirstDraw::around_start).
  return GeneticSearch(std::move(codec), opts.search, seed, start, anchors,
                       after_feedback ? FirstDraw::around_start : FirstDraw::latin_hypercube);
}

}  // namespace

TuningSession::TuningSession(TransferControl& control, Clock& clock, TunerOptions opts)
    : control_(control),
      clock_(clock),
      opts_(std::move(opts)),
      seed_(pick_seed(opts_.seed)),
      search_(make_search(control_, opts_, seed_, false, from_profile_)),
      meter_(control_, clock_) {
  if (!opts_.log_path.empty()) log_.emplace(opts_.log_path);
  started_ = clock_.now();
}

bool TuningSession::codec_is_gene() const {
  const auto& genes = search_.codec().genes();
  return std::any_of(genes.begin(), genes.end(),
                     [](const Gene& g) { return g.kind == GeneKind::codec; });
}

void TuningSession::warn(std::string_view line) const {
  emit_warning(opts_, line);
}

bool TuningSession::run_generation(std::stop_token stop) {
  if (!tunable()) return false;
  if (!search_began_) {
    search_began_ = true;
    if (!let_codec_feedback_run(stop)) return false;
  }
  while (!stop.stop_requested()) {
    if (hold_while_source_bound(stop)) {
      if (control_.snapshot().finished) return false;
      continue;
    }
    Evaluation e = search_.next();
    if (hold_before_exploring(e, stop)) {
      if (control_.snapshot().finished) return false;
      continue;
    }
    Outcome o = evaluate(e, stop);
    if (o.meter.stopped) return false;
    // A transfer that ended mid-window says nothing about the genome.
    if (o.meter.finished) return false;
    double goodput = o.refused ? 0.0 : o.meter.goodput;
    double fitness =
        penalised_fitness(goodput, e.knobs, search_.codec().link_count(), opts_.leg_cost);
    if (codec_is_gene()) fitness *= cpu_factor(o.meter.sidechain_cores, opts_.cpu_cost);
    if (e.purpose == Purpose::incumbent) best_held_seconds_ = 0;
    generation_log_.push_back({Measurement{e.id, e.knobs, e.purpose, fitness}, goodput,
                               o.meter.seconds, o.window_seconds, o.meter.warmup_seconds,
                               o.meter.aborted});
    if (search_.tell(e, fitness)) {
      end_generation();
      return true;
    }
  }
  return false;
}

bool TuningSession::let_codec_feedback_run(std::stop_token stop) {
  if (!codec_is_gene() || from_profile_ || opts_.codec_feedback_seconds <= 0) return true;
  // Stop-aware in slices, so that a transfer that ends meanwhile ends tuning promptly.
  while (clock_.now() - started_ < opts_.codec_feedback_seconds) {
    const double left = opts_.codec_feedback_seconds - (clock_.now() - started_);
    if (!clock_.sleep_for(std::min(left, 0.5), stop)) return false;
    if (control_.snapshot().finished) return false;
  }
  // The same seed: the search draws what it would have drawn, from the feedback's codec.
  search_ = make_search(control_, opts_, seed_, true, from_profile_);
  return true;
}

TuningSession::Outcome TuningSession::evaluate(const Evaluation& e, std::stop_token stop) {
  Outcome o;
  const bool fresh = !applied_ || *applied_ != e.knobs;
  const bool new_codec = !applied_ || applied_->compress != e.knobs.compress;
  if (fresh) {
    try {
      control_.apply(e.knobs);
      applied_ = e.knobs;
    } catch (const std::invalid_argument& ex) {
      // The codec only produces validate()-clean knobs, so this is the engine disagreeing
      // (e.g. a congestion control it cannot set). Abandon the genome, keep tuning.
      // Once per reason: a kernel without one algorithm would otherwise warn every generation.
      if (refusals_warned_.insert(ex.what()).second && refusals_warned_.size() <= 16) {
        warn(std::string("tuner: engine refused ") + to_string(e.knobs) + ": " + ex.what());
      }
      o.refused = true;
      return o;
    }
  }
  const EvaluationWindow w = plan_window(path_rtt(control_.snapshot()), opts_.window);
  const Individual* incumbent = search_.best();
  const double factor = cost_factor(e.knobs, search_.codec().link_count(), opts_.leg_cost);
  MeterPlan plan;
  plan.warmup_seconds = fresh ? w.warmup_seconds : 0.0;
  plan.backlog_max_seconds = fresh ? w.backlog_max_seconds : 0.0;
  plan.setting_max_seconds = new_codec ? w.setting_max_seconds : 0.0;
  plan.sample_seconds = w.sample_seconds;
  if (e.purpose == Purpose::incumbent) {
    // One window while the search is finding better genomes; after two generations without
    // improvement the hold doubles each generation, up to hold_max_seconds.
    std::size_t stagnant = search_.generations_since_improvement();
    double doublings =
        static_cast<double>(std::min<std::size_t>(stagnant > 2 ? stagnant - 2 : 0, 16));
    double hold = std::max(w.measure_seconds * std::exp2(doublings), explore_balance());
    plan.measure_seconds = std::max(w.measure_seconds, std::min(hold, opts_.hold_max_seconds));
    // A drop the change detector would count is noticed one window after it happens.
    if (incumbent) {
      plan.abort_below = (1.0 - opts_.search.change.drop) * incumbent->fitness / factor;
    }
    plan.abort_span_seconds = w.measure_seconds;
  } else {
    plan.measure_seconds = w.measure_seconds;
    if (incumbent && e.purpose == Purpose::explore) {
      plan.abort_below = opts_.abort_fraction * incumbent->fitness / factor;
    }
    plan.abort_span_seconds = w.measure_seconds / 3;
  }
  o.window_seconds = plan.measure_seconds;
  o.meter = meter_.measure(plan, stop);
  return o;
}

bool TuningSession::hold_while_source_bound(std::stop_token stop) {
  const Stats s = control_.snapshot();
  const SourceSample now{s.elapsed_seconds, s.source_stall_seconds};
  const auto before = std::exchange(source_seen_, now);
  if (!before || now.elapsed - before->elapsed < 0.5) return false;
  const double share = (now.stalled - before->stalled) / (now.elapsed - before->elapsed);
  if (share < opts_.source_bound_share) return false;
  hold_best(plan_window(path_rtt(s), opts_.window).measure_seconds, stop);
  return true;
}

bool TuningSession::hold_before_exploring(const Evaluation& e, std::stop_token stop) {
  if (e.purpose != Purpose::explore || search_.is_seed(e.id)) return false;
  const double left = opts_.explore_after_seconds - (clock_.now() - started_);
  if (left <= 0) return false;
  hold_best(
      std::min(left, plan_window(path_rtt(control_.snapshot()), opts_.window).measure_seconds),
      stop);
  return true;
}

void TuningSession::hold_best(double seconds, std::stop_token stop) {
  apply_best();
  const double from = clock_.now();
  clock_.sleep_for(seconds, stop);
  best_held_seconds_ += clock_.now() - from;
}

void TuningSession::apply_best() {
  const Individual* best = search_.best();
  if (!best || applied_ == best->knobs) return;
  try {
    control_.apply(best->knobs);
    applied_ = best->knobs;
  } catch (const std::invalid_argument&) {
    // It ran before; if the engine refuses it now, the next experiment will say so.
  }
}

double TuningSession::explore_balance() const {
  // The experiments since the incumbent last ran (warm-ups included: they run the candidate).
  double explored = 0;
  for (auto it = generation_log_.rbegin(); it != generation_log_.rend(); ++it) {
    if (it->measurement.purpose == Purpose::incumbent) break;
    explored += it->seconds + it->warmup_seconds;
  }
  const double share = std::clamp(opts_.explore_share, 0.05, 1.0);
  return std::max(0.0, explored * (1.0 - share) / share - best_held_seconds_);
}

void TuningSession::end_generation() {
  const Individual* best = search_.best();
  GenerationRecord rec;
  rec.generation = search_.generation() - 1;  // tell() already moved on
  rec.seed = seed_;
  rec.time_seconds = clock_.now() - started_;
  rec.sigma = search_.sigma();
  rec.reexplored = search_.changed();
  rec.evaluations = std::move(generation_log_);
  generation_log_.clear();
  if (best) {
    rec.best_id = best->id;
    rec.best = best->knobs;
    rec.best_fitness = best->fitness;
    rec.best_samples = best->samples;
  }
  TuningReport report;
  report.generation = rec.generation;
  // The last measurement of a generation is the incumbent's: the genome running now.
  if (!rec.evaluations.empty()) {
    report.fitness = rec.evaluations.back().measurement.fitness;
    report.genome = rec.evaluations.back().measurement.knobs;
  }
  report.best_fitness = rec.best_fitness;
  report.best = rec.best;
  control_.publish(report);
  if (log_) log_->write(rec);
  if (best && best->id != saved_best_id_) save_profile_if_better();
}

void TuningSession::save_profile_if_better() {
  const Individual* best = search_.best();
  if (opts_.profile_path.empty() || !best) return;
  try {
    save_profile(opts_.profile_path,
                 Profile{best->knobs, search_.codec().link_count(), best->fitness});
    saved_best_id_ = best->id;
  } catch (const std::runtime_error& e) {
    warn(e.what());
  }
}

void TuningSession::finish() {
  const Individual* best = search_.best();
  if (!best) return;
  // A finished transfer has nothing left to tune; re-applying would only draw an error.
  bool over = false;
  try {
    over = control_.snapshot().finished;
  } catch (const std::exception&) {
    over = true;
  }
  if (!over && (!applied_ || *applied_ != best->knobs)) {
    try {
      control_.apply(best->knobs);
      applied_ = best->knobs;
    } catch (const std::exception& e) {
      warn(std::string("tuner: could not restore the best knobs: ") + e.what());
    }
  }
  save_profile_if_better();
}

}  // namespace vmp::tuner
