#include "vmp/tuner/profile.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "knobs_json.hpp"

namespace vmp::tuner {
namespace {

constexpr const char* kFormat = "viamillipede-tuner-profile";
constexpr int kVersion = 1;

[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw std::runtime_error("tune-profile " + path + ": " + why);
}

}  // namespace

void save_profile(const std::string& path, const Profile& p) {
  nlohmann::json j{{"format", kFormat},
                   {"version", kVersion},
                   {"link_count", p.link_count},
                   {"fitness", p.fitness},
                   {"knobs", knobs_to_json(p.knobs)}};
  // Saved with a rename, which would put a regular file where a device or a FIFO was (run as
  // root, `--tune-profile /dev/null` replaced /dev/null); a profile is read back later, so
  // such a path is refused. Through a symbolic link the file it names is replaced.
  std::error_code ignored;  // a path that does not exist yet is fine
  const auto status = std::filesystem::status(path, ignored);
  const bool exists = std::filesystem::exists(status);
  if (exists && !std::filesystem::is_regular_file(status)) fail(path, "not a regular file");
  std::error_code ec;
  const std::string target = exists ? std::filesystem::canonical(path, ec).string() : path;
  if (ec) fail(path, "cannot resolve: " + ec.message());
  const std::string tmp = target + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) fail(path, std::string("cannot write ") + tmp + ": " + std::strerror(errno));
    out << j.dump() << '\n';
    out.flush();
    if (!out) fail(path, std::string("cannot write ") + tmp + ": " + std::strerror(errno));
  }
  if (std::rename(tmp.c_str(), target.c_str()) != 0) {
    std::string err = std::strerror(errno);
    std::remove(tmp.c_str());
    fail(path, "cannot replace: " + err);
  }
}

Profile load_profile(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail(path, std::string("cannot read: ") + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) fail(path, "not a JSON object");
  if (j.value("format", "") != kFormat) fail(path, "not a viamillipede tuner profile");
  if (j.value("version", 0) != kVersion) fail(path, "unsupported version");
  Profile p;
  try {
    p.link_count = j.at("link_count").get<std::size_t>();
    p.fitness = j.value("fitness", 0.0);
    if (!j.contains("knobs")) throw std::runtime_error("missing \"knobs\"");
    p.knobs = knobs_from_json(j["knobs"]);
  } catch (const nlohmann::json::exception&) {
    fail(path, "\"link_count\" is missing or not a count");
  } catch (const std::runtime_error& e) {
    fail(path, e.what());
  }
  if (auto err = validate(p.knobs)) fail(path, *err);
  return p;
}

}  // namespace vmp::tuner
