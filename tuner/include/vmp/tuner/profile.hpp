// The tuning profile: the best knobs of one run, saved at the end (and whenever the best
// changes, so a killed run still leaves one) and loaded as the starting genome of the next run,
// so a nightly replication resumes where last night's ended. A small JSON document:
//
//   {"format":"viamillipede-tuner-profile","version":1,"link_count":2,"fitness":1.2e8,
//    "knobs":{"legs":12,"legs_per_link_max":8,"frame_bytes":1048576,...}}
#pragma once

#include <cstddef>
#include <string>

#include "knobs.hpp"

namespace vmp::tuner {

struct Profile {
  Knobs knobs;
  std::size_t link_count = 1;
  double fitness = 0;  // as measured when saved; informational
};

// Written to a temporary file in the same directory and renamed over `path`, so a reader never
// sees half a profile. Throws std::runtime_error with one line on failure.
void save_profile(const std::string& path, const Profile& profile);

// Throws std::runtime_error with one line ("tune-profile x.json: missing \"knobs\"") when the
// file cannot be read, is not a profile, or holds knobs that do not validate().
Profile load_profile(const std::string& path);

}  // namespace vmp::tuner
