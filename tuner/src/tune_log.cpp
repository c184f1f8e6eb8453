#include "vmp/tuner/tune_log.hpp"

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "knobs_json.hpp"

namespace vmp::tuner {

std::string to_json_line(const GenerationRecord& r) {
  auto evaluations = nlohmann::json::array();
  for (const auto& e : r.evaluations) {
    evaluations.push_back({{"id", e.measurement.id},
                           {"purpose", to_string(e.measurement.purpose)},
                           {"knobs", knobs_to_json(e.measurement.knobs)},
                           {"goodput", e.goodput},
                           {"fitness", e.measurement.fitness},
                           {"seconds", e.seconds},
                           {"window_seconds", e.window_seconds},
                           {"warmup_seconds", e.warmup_seconds},
                           {"aborted", e.aborted}});
  }
  nlohmann::json j{{"generation", r.generation},
                   {"seed", r.seed},
                   {"time_seconds", r.time_seconds},
                   {"sigma", r.sigma},
                   {"reexplored", r.reexplored},
                   {"evaluations", std::move(evaluations)},
                   {"best",
                    {{"id", r.best_id},
                     {"knobs", knobs_to_json(r.best)},
                     {"fitness", r.best_fitness},
                     {"samples", r.best_samples}}}};
  return j.dump();
}

TuneLog::TuneLog(const std::string& path) : path_(path), out_(path, std::ios::trunc) {
  if (!out_) {
    throw std::runtime_error("tune-log " + path + ": cannot open: " + std::strerror(errno));
  }
}

void TuneLog::write(const GenerationRecord& record) {
  out_ << to_json_line(record) << '\n';
  out_.flush();
}

}  // namespace vmp::tuner
