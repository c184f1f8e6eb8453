// A TransferControl without sockets: goodput is a noisy function of the knobs in force,
// integrated over the clock's time, so the tuner sees what it would see on a live transfer but
// in virtual time: tcp_acked_bytes in steps of the core's 200 ms tick, bytes_out (receiver
// confirmations) trailing it by a lag, the legs' socket backlog (sent, not yet acknowledged)
// that still goes out at the previous knobs' rate after a change, RTT in TCP_INFO; optionally a
// sidechain (sidechain()).
#pragma once

#include <array>
#include <cmath>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
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
        applied_at_(t0_),
        previous_(knobs_) {}

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
    previous_ = knobs_;
    if (k.compress != knobs_.compress) {
      codec_changed_at_ = last_;
      ++codec_changes_;
    }
    knobs_ = k;
    applied_at_ = last_;
    applied_.push_back(k);
    applied_times_.push_back(last_ - t0_);
    changed_.notify_all();
  }

  Stats snapshot() const override {
    std::lock_guard lock(mutex_);
    ++snapshots_;
    if (throw_after_ && snapshots_ > throw_after_) throw std::runtime_error("engine gone");
    advance(clock_.now());
    Stats s;
    s.elapsed_seconds = last_ - t0_;
    s.bytes_out = static_cast<std::uint64_t>(confirmed());
    if (report_tcp_acks_) s.tcp_acked_bytes = static_cast<std::uint64_t>(acked_);
    s.resent_bytes = static_cast<std::uint64_t>(acked_ * resent_share_);
    s.knobs = knobs_;
    s.finished = finish_at_ > 0 && s.elapsed_seconds >= finish_at_;
    // stdin kept the reader waiting 90% of the time until source_bound_until_.
    s.source_stall_seconds = 0.9 * std::min(s.elapsed_seconds, source_bound_until_);
    if (cores_) {
      // The rate is the stream's; without codec ratios what the wire carried does not matter.
      s.tcp_acked_raw_bytes = s.tcp_acked_bytes;
      if (ratio_ && report_tcp_acks_) s.tcp_acked_bytes = static_cast<std::uint64_t>(acked_wire_);
      s.resent_bytes = 0;
      SidechainStats sc;
      if (probe_ && ticks_ > 0) {
        for (std::size_t i = 0; i < kCompressChoices.size(); ++i) {
          sc.probe.push_back({std::string(kCompressChoices[i]), ticks_,
                              static_cast<std::uint64_t>(kProbeSlice * static_cast<double>(ticks_)),
                              static_cast<std::uint64_t>(probe_wire_[i])});
        }
      }
      sc.setting = knobs_.compress;
      sc.busy_seconds = busy_;
      sc.setting_first_seq = codec_changes_ * 1000;
      const bool arrived = last_ - codec_changed_at_ >= codec_lag_;
      s.tcp_acked_seq = sc.setting_first_seq + (arrived ? 1 : 0);
      s.sidechain = sc;
    }
    LegStats leg;
    leg.state = LegState::up;
    leg.bytes = static_cast<std::uint64_t>(bytes_ + queued());
    leg.tcp_acked_bytes = s.tcp_acked_bytes;
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
  // Seconds since the start at which each of applied() was applied.
  std::vector<double> applied_times() const {
    std::lock_guard lock(mutex_);
    return applied_times_;
  }
  // Bytes delivered, sampled at every 200 ms tick since the start: (seconds since start, bytes).
  // What the rig's receiver-side counter would have seen.
  std::vector<std::pair<double, double>> delivered() const {
    std::lock_guard lock(mutex_);
    advance(clock_.now());
    return trace_;
  }
  int refused() const {
    std::lock_guard lock(mutex_);
    return refused_;
  }
  void finish_at(double t) {
    std::lock_guard lock(mutex_);
    finish_at_ = t;
  }
  // Until `t` (seconds since the start) the source is the bottleneck: the reader waits for
  // stdin 90% of the time, as with a producer slower than the path.
  void source_bound_until(double t) {
    std::lock_guard lock(mutex_);
    source_bound_until_ = t;
  }
  // Makes apply() refuse knobs as an engine would that cannot set them.
  void refuse(std::function<bool(const Knobs&)> pred) {
    std::lock_guard lock(mutex_);
    refuse_ = std::move(pred);
  }
  // Receiver confirmations (bytes_out) trail delivery by this long (a window at the rate).
  void confirm_lag(double seconds) {
    std::lock_guard lock(mutex_);
    confirm_lag_ = seconds;
  }
  // After apply(), the sockets' backlog goes out at the previous knobs' rate for this long.
  void backlog(double seconds) {
    std::lock_guard lock(mutex_);
    backlog_ = seconds;
  }
  // true: the backlog goes out at the new knobs' rate (a congestion control or buffer that
  // acts on live sockets), not the previous knobs'.
  void backlog_follows_new_knobs(bool on) {
    std::lock_guard lock(mutex_);
    backlog_follows_new_ = on;
  }
  // This share of what TCP acknowledged were copies of frames sent before (Stats::resent_bytes).
  void resent_share(double share) {
    std::lock_guard lock(mutex_);
    resent_share_ = share;
  }
  // A transfer with a sidechain: the rate is then the stream's (raw) bytes/s, `cores(k)` the
  // sidechain's busy cores under k, and after the codec changes the frames the previous codec
  // made go out for `lag` seconds (at the previous knobs' rate) before the new codec's first
  // frame is acknowledged (Stats::tcp_acked_seq passes SidechainStats::setting_first_seq).
  void sidechain(std::function<double(const Knobs&)> cores, double lag) {
    std::lock_guard lock(mutex_);
    cores_ = std::move(cores);
    codec_lag_ = lag;
  }
  // With a sidechain: the ratio (stream / wire) compress setting `setting` achieves on the
  // stream's data at `t` seconds since the start. Set, the TCP count is the wire bytes (the
  // stream over the ratio of the setting in force) and, with `probe`, the stage reports the
  // codec probe of `--compress auto` (SidechainStats::probe): every setting of the ladder on
  // the same data, a slice per tick.
  using RatioFn = std::function<double(std::string_view setting, double t)>;
  void codec_ratios(RatioFn ratio, bool probe) {
    std::lock_guard lock(mutex_);
    ratio_ = std::move(ratio);
    probe_ = probe;
  }
  // At `t` seconds since the start the engine itself sets the codec to `setting`, as the
  // stage's feedback does with --compress auto (Transmitter::feedback_).
  void engine_sets_codec_at(double t, std::string setting) {
    std::lock_guard lock(mutex_);
    engine_codec_ = std::make_pair(t, std::move(setting));
  }
  // false: a core that does not report tcp_acked_bytes (it stays 0).
  void report_tcp_acks(bool on) {
    std::lock_guard lock(mutex_);
    report_tcp_acks_ = on;
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
  static constexpr double kTick = 0.2;  // the core samples TCP_INFO every 200 ms

  // The noise-free rate at `t` (absolute): the previous knobs' while the backlog goes out, then
  // the new knobs', ramping up over 0.2 s as new legs slow-start (so the warm-up matters).
  // With a sidechain, a new codec's frames wait behind the previous codec's (codec_lag_).
  double nominal(double t) const {
    double since = t - applied_at_;
    const double backlog =
        cores_ && codec_changed_at_ == applied_at_ ? std::max(backlog_, codec_lag_) : backlog_;
    if (since < backlog) return rate_(backlog_follows_new_ ? knobs_ : previous_, t - t0_);
    return rate_(knobs_, t - t0_) * std::min(1.0, (since - backlog) / 0.2);
  }
  // Bytes written into the sockets and not yet delivered.
  double queued() const {
    double since = last_ - applied_at_;
    double now_rate = rate_(knobs_, last_ - t0_);
    if (since >= backlog_) return now_rate * backlog_;
    return rate_(previous_, last_ - t0_) * (backlog_ - since) + now_rate * since;
  }
  // What the receiver had confirmed `confirm_lag_` ago (it moves in the ticks' steps).
  double confirmed() const {
    // The newest tick at or before `at`; the lag is a few ticks, so search from the end.
    double at = last_ - t0_ - confirm_lag_;
    double v = 0;
    for (auto it = trace_.rbegin(); it != trace_.rend(); ++it) {
      if (it->first <= at) {
        v = it->second;
        break;
      }
    }
    return confirm_lag_ > 0 ? v : bytes_;
  }

  // Integrates the rate from the last snapshot to `now`, tick by tick: at every tick the TCP
  // count is sampled and a new noise factor (multiplicative, lognormal) drawn, so the noise is
  // the path's, not the observer's.
  void advance(double now) const {
    while (last_ < now) {
      double next_tick = t0_ + kTick * static_cast<double>(ticks_ + 1);
      double end = std::min(now, next_tick);
      double mid = (last_ + end) / 2;
      const double stream = std::max(0.0, nominal(mid) * tick_noise_) * (end - last_);
      bytes_ += stream;
      if (ratio_) wire_ += stream / ratio_(knobs_.compress, mid - t0_);
      if (cores_) busy_ += cores_(knobs_) * (end - last_);
      last_ = end;
      if (engine_codec_ && last_ - t0_ >= engine_codec_->first) {
        knobs_.compress = std::exchange(engine_codec_, std::nullopt)->second;
        codec_changed_at_ = last_;
        ++codec_changes_;
      }
      if (end >= next_tick) {
        ++ticks_;
        acked_ = bytes_;
        acked_wire_ = wire_;
        if (ratio_ && probe_) {
          for (std::size_t i = 0; i < kCompressChoices.size(); ++i) {
            probe_wire_[i] += kProbeSlice / ratio_(kCompressChoices[i], last_ - t0_);
          }
        }
        trace_.emplace_back(last_ - t0_, bytes_);
        std::lognormal_distribution<double> noise(0.0, noise_sigma_);
        tick_noise_ = noise_sigma_ > 0 ? noise(rng_) : 1.0;
      }
    }
  }

  Clock& clock_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  mutable Knobs knobs_;  // advance() moves the codec for engine_sets_codec_at()
  mutable std::optional<std::pair<double, std::string>> engine_codec_;
  RateFn rate_;
  mutable std::mt19937_64 rng_;
  double noise_sigma_;
  double rtt_;
  double t0_;
  mutable double last_;
  mutable double bytes_ = 0;  // delivered
  mutable double acked_ = 0;  // delivered at the last tick
  mutable std::uint64_t ticks_ = 0;
  mutable double tick_noise_ = 1.0;
  // (seconds since the start, delivered) at every tick: confirmations and delivered().
  mutable std::vector<std::pair<double, double>> trace_;
  double confirm_lag_ = 1.0;
  double backlog_ = 0.3;
  bool report_tcp_acks_ = true;
  double resent_share_ = 0;
  bool backlog_follows_new_ = false;
  double applied_at_;
  Knobs previous_;
  std::function<double(const Knobs&)> cores_;  // set: a sidechain runs
  double codec_lag_ = 0;
  mutable double codec_changed_at_ = -1e18;
  mutable std::uint64_t codec_changes_ = 0;
  mutable double busy_ = 0;  // the sidechain's busy seconds
  static constexpr double kProbeSlice = 128 * 1024;
  RatioFn ratio_;                  // set: the TCP count is wire bytes
  bool probe_ = false;             // report the codec probe
  mutable double wire_ = 0;        // wire bytes delivered
  mutable double acked_wire_ = 0;  // at the last tick
  mutable std::array<double, kCompressChoices.size()> probe_wire_{};
  mutable int snapshots_ = 0;
  double source_bound_until_ = 0;
  int throw_after_ = 0;
  double finish_at_ = 0;
  int refused_ = 0;
  std::function<bool(const Knobs&)> refuse_;
  std::vector<TuningReport> reports_;
  std::vector<Knobs> applied_;
  std::vector<double> applied_times_;
};

}  // namespace vmp::tuner::testing
