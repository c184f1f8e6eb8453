// --tune-log FILE: one JSON object per line per generation, for scripts and plots:
//
//   {"generation":3,"seed":42,"time_seconds":31.5,"sigma":0.12,"reexplored":false,
//    "evaluations":[{"id":17,"purpose":"explore","knobs":{...},"goodput":9.1e6,
//                    "fitness":8.9e6,"seconds":1.0,"window_seconds":1.0,"warmup_seconds":0.4,
//                    "aborted":false}, ...],
//    "best":{"id":9,"knobs":{...},"fitness":1.1e7,"samples":4}}
//
// goodput is TCP-acknowledged bytes/s (goodput_meter.hpp); fitness is goodput after the cost
// penalty (cost_penalty.hpp). "reexplored" says the generation detected a change of the path and
// the next one re-explores.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "knobs.hpp"
#include "vmp/tuner/genetic_search.hpp"

namespace vmp::tuner {

struct LoggedEvaluation {
  Measurement measurement;  // id, knobs, purpose, fitness
  double goodput = 0;
  double seconds = 0;         // measured
  double window_seconds = 0;  // planned (a hold, for the incumbent); less was measured if aborted
  double warmup_seconds = 0;  // waited after applying, before measuring (warm-up + backlog)
  bool aborted = false;
};

struct GenerationRecord {
  std::uint64_t generation = 0;
  std::uint64_t seed = 0;
  double time_seconds = 0;  // since tuning started
  double sigma = 0;
  bool reexplored = false;
  std::vector<LoggedEvaluation> evaluations;
  std::uint64_t best_id = 0;
  Knobs best;
  double best_fitness = 0;
  std::uint32_t best_samples = 0;
};

// One line, without the trailing newline.
std::string to_json_line(const GenerationRecord& record);

class TuneLog {
 public:
  // Truncates `path`. Throws std::runtime_error with one line if it cannot be opened.
  explicit TuneLog(const std::string& path);
  // Writes and flushes one line, so `tail -f` and a killed run see every finished generation.
  void write(const GenerationRecord& record);

 private:
  std::string path_;
  std::ofstream out_;
};

}  // namespace vmp::tuner
