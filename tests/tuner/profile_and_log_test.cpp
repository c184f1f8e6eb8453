#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "knobs_printer.hpp"
#include "temp_dir.hpp"
#include "vmp/tuner/profile.hpp"
#include "vmp/tuner/tune_log.hpp"

namespace vmp::tuner {
namespace {

using testing::TempDir;

Knobs sample_knobs() {
  Knobs k;
  k.legs = 12;
  k.legs_per_link_max = 7;
  k.frame_bytes = 512 * KiB;
  k.window_bytes = 96 * MiB;
  k.sndbuf_bytes = 4 * MiB;
  k.rcvbuf_bytes = 0;
  k.link_weights = {100, 12.5};
  return k;
}

void write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

TEST(Profile, SaveLoadRoundTripLeavesNoTemporary) {
  TempDir dir;
  std::string path = dir.file("p.json");
  save_profile(path, Profile{sample_knobs(), 2, 1.5e7});
  Profile p = load_profile(path);
  EXPECT_EQ(p.knobs, sample_knobs());
  EXPECT_EQ(p.link_count, 2u);
  EXPECT_DOUBLE_EQ(p.fitness, 1.5e7);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  save_profile(path, Profile{Knobs{}, 1, 1});  // replaces
  EXPECT_EQ(load_profile(path).knobs, Knobs{});
}

TEST(Profile, BadFilesAreOneLineErrors) {
  TempDir dir;
  auto expect_error = [&](const std::string& text, const std::string& needle) {
    std::string path = dir.file("bad.json");
    write(path, text);
    try {
      load_profile(path);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const std::runtime_error& e) {
      std::string what = e.what();
      EXPECT_NE(what.find(path), std::string::npos) << what;
      EXPECT_NE(what.find(needle), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
  };
  expect_error("garbage", "not a JSON object");
  expect_error(R"({"format":"something-else","version":1})", "not a viamillipede tuner profile");
  expect_error(R"({"format":"viamillipede-tuner-profile","version":9})", "unsupported version");
  expect_error(R"({"format":"viamillipede-tuner-profile","version":1,"link_count":1})",
               "missing \"knobs\"");
  nlohmann::json j = nlohmann::json::parse(R"({"format":"viamillipede-tuner-profile","version":1,
      "link_count":1,"knobs":{"legs":0,"legs_per_link_max":1,"frame_bytes":4096,
      "window_bytes":1048576,"sndbuf_bytes":0,"rcvbuf_bytes":0,"congestion":"",
      "link_weights":[]}})");
  expect_error(j.dump(), "legs 0 is outside");
  j["knobs"].erase("window_bytes");
  expect_error(j.dump(), "missing \"window_bytes\"");
  j["knobs"]["window_bytes"] = "big";
  expect_error(j.dump(), "\"window_bytes\" has the wrong type");
  EXPECT_THROW(load_profile(dir.file("absent.json")), std::runtime_error);
}

TEST(Profile, UnwritablePathThrows) {
  EXPECT_THROW(save_profile("/nonexistent-dir/p.json", Profile{}), std::runtime_error);
}

// A rename would put a regular file where the FIFO (or, as root, /dev/null) was.
TEST(Profile, APathThatIsNotARegularFileIsRefusedAndLeftAsItWas) {
  TempDir dir;
  const std::string fifo = dir.file("p.fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  try {
    save_profile(fifo, Profile{sample_knobs(), 2, 1.5e7});
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "tune-profile " + fifo + ": not a regular file");
  }
  EXPECT_TRUE(std::filesystem::is_fifo(std::filesystem::symlink_status(fifo)));
}

TEST(Profile, ThroughASymlinkTheFileItNamesIsReplacedAndTheLinkStays) {
  TempDir dir;
  const std::string file = dir.file("real.json");
  const std::string link = dir.file("link.json");
  save_profile(file, Profile{Knobs{}, 1, 1});
  std::filesystem::create_symlink(file, link);
  save_profile(link, Profile{sample_knobs(), 2, 1.5e7});
  EXPECT_TRUE(std::filesystem::is_symlink(std::filesystem::symlink_status(link)));
  EXPECT_EQ(load_profile(file).link_count, 2u);
}

TEST(TuneLog, LinesAreJsonWithEveryField) {
  TempDir dir;
  std::string path = dir.file("log.jsonl");
  {
    TuneLog log(path);
    for (std::uint64_t g = 0; g < 3; ++g) {
      GenerationRecord r;
      r.generation = g;
      r.seed = 42;
      r.time_seconds = 1.5 * static_cast<double>(g);
      r.sigma = 0.1;
      r.evaluations.push_back(
          {Measurement{7, sample_knobs(), Purpose::explore, 9e6}, 1e7, 1.0, 1.0, 0.4, false});
      r.evaluations.push_back(
          {Measurement{3, Knobs{}, Purpose::incumbent, 8e6}, 8e6, 2.0, 4.0, 0.0, true});
      r.best_id = 3;
      r.best = Knobs{};
      r.best_fitness = 8.5e6;
      r.best_samples = 4;
      log.write(r);
    }
  }
  std::ifstream in(path);
  std::string line;
  std::uint64_t n = 0;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["generation"], n);
    EXPECT_EQ(j["seed"], 42);
    ASSERT_EQ(j["evaluations"].size(), 2u);
    EXPECT_EQ(j["evaluations"][0]["purpose"], "explore");
    EXPECT_EQ(j["evaluations"][0]["knobs"]["legs"], 12);
    EXPECT_EQ(j["evaluations"][0]["knobs"]["link_weights"][1], 12.5);
    EXPECT_EQ(j["evaluations"][1]["aborted"], true);
    EXPECT_EQ(j["evaluations"][1]["goodput"], 8e6);
    EXPECT_EQ(j["evaluations"][1]["window_seconds"], 4.0);
    EXPECT_EQ(j["evaluations"][0]["warmup_seconds"], 0.4);
    EXPECT_EQ(j["best"]["fitness"], 8.5e6);
    EXPECT_EQ(j["best"]["samples"], 4);
    EXPECT_EQ(j["best"]["knobs"]["window_bytes"], Knobs{}.window_bytes);
    ++n;
  }
  EXPECT_EQ(n, 3u);
}

TEST(TuneLog, UnopenablePathThrowsOneLine) {
  try {
    TuneLog log("/nonexistent-dir/log.jsonl");
    ADD_FAILURE();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("tune-log /nonexistent-dir/log.jsonl"), std::string::npos);
  }
}

}  // namespace
}  // namespace vmp::tuner
