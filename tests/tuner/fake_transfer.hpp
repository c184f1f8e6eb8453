// A TransferControl without sockets: goodput is a noisy function of the knobs in force,
// integrated over the clock's time, so the tuner sees what it would see on a live transfer
// (bytes_out growing, RTT in the legs' TCP_INFO) but in virtual time.
#pragma once

#include <cmath>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <random>
#include <stdexcept>
#include <vector>

#include "transfer_control.hpp"
#include "vmp/tuner/clock.hpp"

namespace vmp::tuner::testing {

class FakeTransfer final : public TransferControl {
 public:
  // `rate(knobs, t)` in bytes/s, t = seconds since the transfer started.
  using RateFn = std::function<double(const Knobs&, double)>;

  FakeTransfer(Clock& clock, Knobs initial, RateFn rate, std::uint64_t noise_seed = 1,
               double noise_sigma = 0.1, double rtt = 0.04)
      : clock_(clock),
        knobs_(std::move(initial)),
        rate_(std::move(rate)),
        rng_(noise_seed),
        noise_sigma_(noise_sigma),
        rtt_(rtt),
        t0_(clock.now()),
        last_(t0_),
        applied_at_(t0_) {}

  Knobs knobs() const override {
    std::lock_guard lock(mutex_);
    return knobs_;
  }

  void apply(const Knobs& k) override {
    auto err = validate(k);
    {
      std::lock_guard lock(mutex_);
      if (!err && refuse_ && refuse_(k)) err = "engine cannot apply these knobs";
      if (err) {
        ++refused_;
        throw std::invalid_argument(*err);
      }
    }
    std::lock_guard lock(mutex_);
    advance(clock_.now());
    knobs_ = k;
    applied_at_ = last_;
    applied_.push_back(k);
    changed_.notify_all();
  }

  Stats snapshot() const override {
    std::lock_guard lock(mutex_);
    ++snapshots_;
    if (throw_after_ && snapshots_ > throw_after_) throw std::runtime_error("engine gone");
    advance(clock_.now());
    Stats s;
    s.elapsed_seconds = last_ - t0_;
    s.bytes_out = static_cast<std::uint64_t>(bytes_);
    s.knobs = knobs_;
    s.finished = finish_at_ > 0 && s.elapsed_seconds >= finish_at_;
    LegStats leg;
    leg.state = LegState::up;
    leg.tcp.valid = true;
    leg.tcp.rtt_seconds = rtt_;
    s.legs.push_back(leg);
    return s;
  }

  void publish(const TuningReport& r) override {
    std::lock_guard lock(mutex_);
    reports_.push_back(r);
    changed_.notify_all();
  }

  // The noise-free rate of `k` now.
  double true_rate(const Knobs& k) {
    std::lock_guard lock(mutex_);
    return rate_(k, last_ - t0_);
  }
  std::vector<TuningReport> reports() const {
    std::lock_guard lock(mutex_);
    return reports_;
  }
  std::vector<Knobs> applied() const {
    std::lock_guard lock(mutex_);
    return applied_;
  }
  int refused() const {
    std::lock_guard lock(mutex_);
    return refused_;
  }
  void finish_at(double t) {
    std::lock_guard lock(mutex_);
    finish_at_ = t;
  }
  // Makes apply() refuse knobs as an engine would that cannot set them.
  void refuse(std::function<bool(const Knobs&)> pred) {
    std::lock_guard lock(mutex_);
    refuse_ = std::move(pred);
  }
  void throw_after_snapshots(int n) {
    std::lock_guard lock(mutex_);
    throw_after_ = n;
  }
  // Blocks until `pred()` holds (checked after every apply/publish).
  template <class Pred>
  void wait_until(Pred pred) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return pred(reports_, applied_); });
  }

 private:
  // Integrates the rate from the last snapshot to `now`. New knobs ramp up over 0.2 s, as new
  // legs slow-start, so the tuner's warm-up matters. Noise is multiplicative, lognormal, per
  // snapshot interval.
  void advance(double now) const {
    double dt = now - last_;
    if (dt <= 0) return;
    double mid = (last_ + now) / 2;
    double ramp = std::min(1.0, (mid - applied_at_) / 0.2);
    std::lognormal_distribution<double> noise(0.0, noise_sigma_);
    double r = rate_(knobs_, mid - t0_) * ramp * (noise_sigma_ > 0 ? noise(rng_) : 1.0);
    bytes_ += std::max(0.0, r) * dt;
    last_ = now;
  }

  Clock& clock_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  Knobs knobs_;
  RateFn rate_;
  mutable std::mt19937_64 rng_;
  double noise_sigma_;
  double rtt_;
  double t0_;
  mutable double last_;
  mutable double bytes_ = 0;
  double applied_at_;
  mutable int snapshots_ = 0;
  int throw_after_ = 0;
  double finish_at_ = 0;
  int refused_ = 0;
  std::function<bool(const Knobs&)> refuse_;
  std::vector<TuningReport> reports_;
  std::vector<Knobs> applied_;
};

}  // namespace vmp::tuner::testing
