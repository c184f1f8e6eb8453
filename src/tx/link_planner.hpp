// Decides which link (tx target) each leg slot uses. Links are in preference order; legs are
// shared out by link weight, capped per link, over the links currently believed up. A link
// whose connect fails is marked down (its legs move to the others) and is probed again with
// exponential backoff plus jitter (reconnect_policy.hpp); when it answers it gets its share
// back. Assignments are sticky: a slot keeps its link unless that link lost its share, so a
// change of plan moves as few legs as possible.
// Not thread-safe: the Transmitter calls it under its mutex, from the I/O thread and from the
// tuner thread (apply() reshapes the plan).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "tx/reconnect_policy.hpp"

namespace vmp {

struct Target {
  std::string host;
  std::uint16_t port = 0;
  std::string label() const;  // "host:port" ("[v6]:port" for IPv6 literals)
};

class LinkPlanner {
 public:
  using Clock = std::chrono::steady_clock;

  LinkPlanner(std::vector<Target> targets, std::uint64_t seed);

  void set_shape(std::uint32_t legs, std::uint32_t legs_per_link_max, std::vector<double> weights);

  // The link slot `slot` should be connected to, or nullopt (no link up, or slot not needed).
  std::optional<std::size_t> link_for(std::uint32_t slot) const;
  std::uint32_t slots() const { return legs_; }

  void mark_down(std::size_t link, Clock::time_point now);
  void mark_up(std::size_t link);
  bool is_up(std::size_t link) const { return links_[link].up; }
  // Down links whose next probe is due; each is rescheduled (backoff doubles, capped).
  std::vector<std::size_t> probes_due(Clock::time_point now);
  // Any link at all believed up.
  bool any_up() const;

  const std::vector<Target>& targets() const { return targets_; }
  std::uint64_t connect_failures(std::size_t link) const { return links_[link].failures; }

 private:
  struct LinkState {
    bool up = true;  // optimistic until a connect fails
    reconnect::ProbeBackoff probe;
    std::uint64_t failures = 0;
  };
  void replan();
  std::vector<std::uint32_t> shares() const;

  std::vector<Target> targets_;
  std::vector<LinkState> links_;
  std::uint32_t legs_ = 1;
  std::uint32_t per_link_max_ = 64;
  std::vector<double> weights_;
  std::vector<std::optional<std::size_t>> plan_;  // slot -> link
  std::mt19937_64 rng_;
};

}  // namespace vmp
