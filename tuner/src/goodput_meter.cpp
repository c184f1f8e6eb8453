#include "vmp/tuner/goodput_meter.hpp"

#include <algorithm>
#include <deque>
#include <optional>

namespace vmp::tuner {
namespace {

// The TCP count less the copies: wire bytes delivered once.
double wire_delivered(const Stats& s) {
  return static_cast<double>(s.tcp_acked_bytes) - static_cast<double>(s.resent_bytes);
}

// What the user got, as far as the network delivered it (see the header). With a sidechain
// TCP acknowledges transformed bytes while the user gets the stream: the core counts the stream
// bytes of the acknowledged frames (first copies only), so a codec that shrinks the data more
// is credited, for its own frames only. Without one TCP acknowledged a resent frame twice (or
// once more after a lost leg threw the first copy away): the resent bytes are subtracted. They
// are counted when sent, a little before TCP acknowledges them, so the difference can dip for
// a moment after a burst of resends.
double delivered(const Stats& s, bool by_tcp) {
  if (!by_tcp) return static_cast<double>(s.bytes_out);
  if (s.sidechain) return static_cast<double>(s.tcp_acked_raw_bytes);
  return wire_delivered(s);
}

// With the codec probe (`--compress auto` and the tuner; SidechainStats::probe): the setting
// in force's ratio on the probe's sample, once it has kMinProbeSamples. The stream's
// compressibility changes along the stream faster than a window (the same genome measured
// 10.6 to 53.5 MB/s of stream in one run over 100 Mbit/s), so the stream bytes of a window
// judge its data as much as its codec; the wire rate times the codec's ratio on the sample
// every codec shares judges the genome alone. Where the CPU is the bottleneck the wire rate
// falls with it, so that still counts.
constexpr std::uint64_t kMinProbeSamples = 8;
std::optional<double> probe_ratio(const Stats& s) {
  if (!s.sidechain) return std::nullopt;
  for (const auto& c : s.sidechain->probe) {
    if (c.codec != s.sidechain->setting) continue;
    if (c.frames < kMinProbeSamples || c.wire_bytes == 0) return std::nullopt;
    return static_cast<double>(c.raw_bytes) / static_cast<double>(c.wire_bytes);
  }
  return std::nullopt;
}

// The frames the compress setting in force transforms have started to arrive.
bool setting_delivered(const Stats& s) {
  return !s.sidechain || s.tcp_acked_seq > s.sidechain->setting_first_seq;
}

double busy_seconds(const Stats& s) {
  return s.sidechain ? s.sidechain->busy_seconds : 0.0;
}

struct Point {
  double elapsed;
  double bytes;
};

double rate(const Point& from, const Point& to) {
  double dt = to.elapsed - from.elapsed;
  return dt > 0 ? (to.bytes - from.bytes) / dt : 0.0;
}

// The counter as a staircase whose steps are dated by the poll that first saw them (see the
// header). Rates are taken from `origin()` or a trailing step to `end()`.
class Steps {
 public:
  explicit Steps(Point start) : start_(start), origin_(start), last_(start), now_(start) {}

  void add(Point p) {
    now_ = p;
    if (p.bytes == last_.bytes) return;
    // The first step seen soon after the start dates the counter better than the start does
    // (the start's value may be up to a tick old). Seen late, the counter really stood still
    // from the start, and that must count.
    if (!moved_ && p.elapsed - start_.elapsed <= GoodputMeter::kStepStaleSeconds) origin_ = p;
    moved_ = true;
    last_ = p;
  }
  // The counter now: its last step, or, if that is stale, its value at the time of the poll.
  Point end() const {
    if (now_.elapsed - last_.elapsed <= GoodputMeter::kStepStaleSeconds) return last_;
    return {now_.elapsed, last_.bytes};
  }
  const Point& origin() const { return origin_; }
  const Point& start() const { return start_; }
  const Point& now() const { return now_; }

 private:
  Point start_, origin_, last_, now_;
  bool moved_ = false;
};

}  // namespace

Stats GoodputMeter::poll() {
  Stats s = source_.snapshot();
  if (s.tcp_acked_bytes > 0) tcp_ = true;
  queued_ = backlog_.update(s);
  return s;
}

MeterResult GoodputMeter::measure(const MeterPlan& plan, std::stop_token stop) {
  MeterResult r;
  const double begun = clock_.now();
  const double sample = std::max(plan.sample_seconds, 1e-3);
  if (plan.warmup_seconds > 0 || plan.backlog_max_seconds > 0) {
    // What the sockets held when the new knobs took over, and the count it must be acked by.
    const Stats at_apply = poll();
    const std::uint64_t backlog_until = at_apply.tcp_acked_bytes + queued_;
    const bool wait_backlog = tcp_ && queued_ > 0 && plan.backlog_max_seconds > 0;
    const bool wait_setting = tcp_ && plan.setting_max_seconds > 0 && !setting_delivered(at_apply);
    const double until =
        std::max({plan.warmup_seconds, wait_backlog ? plan.backlog_max_seconds : 0.0,
                  wait_setting ? plan.setting_max_seconds : 0.0});
    // From the end of the warm-up, the backlog drains the new genome's way as far as the knobs
    // act on live sockets (congestion control, buffers): a genome under which even the old
    // backlog crawls is abandoned here, as during the measurement, instead of after 2 s.
    std::optional<Steps> draining;
    // Remainders below 1 us are done: below the clock's resolution they never sleep away.
    while (true) {
      double waited = clock_.now() - begun;
      if (waited >= until - 1e-6) break;
      const bool warm = waited >= plan.warmup_seconds - 1e-6;
      if (warm) {
        if (!wait_backlog && !wait_setting) break;
        Stats s = poll();
        const bool backlog_done = !wait_backlog || s.tcp_acked_bytes >= backlog_until ||
                                  waited >= plan.backlog_max_seconds - 1e-6;
        const bool setting_done = !wait_setting || setting_delivered(s);
        if (s.finished || (backlog_done && setting_done)) break;
        const double acked = s.sidechain ? static_cast<double>(s.tcp_acked_raw_bytes)
                                         : static_cast<double>(s.tcp_acked_bytes);
        Point p{s.elapsed_seconds, acked};
        if (!draining) {
          draining.emplace(p);
        } else {
          draining->add(p);
          const Point end = draining->end();
          const Point& origin = draining->origin();
          if (plan.abort_below > 0 && end.elapsed - origin.elapsed >= plan.abort_span_seconds &&
              rate(origin, end) < plan.abort_below) {
            r.warmup_seconds = clock_.now() - begun;
            r.tcp_acked = true;
            r.seconds = end.elapsed - origin.elapsed;
            r.goodput = rate(origin, end);
            r.aborted = true;
            return r;
          }
        }
      }
      double step = warm ? sample : plan.warmup_seconds - waited;
      if (!clock_.sleep_for(std::min(step, until - waited), stop)) {
        r.stopped = true;
        return r;
      }
    }
  }
  r.warmup_seconds = clock_.now() - begun;
  Stats first = poll();
  if (first.finished) {
    r.finished = true;
    return r;
  }
  // The probe's ratio for the whole window: it moves slowly (a running total), and a rate
  // times a constant stays a rate.
  const std::optional<double> ratio = probe_ratio(first);
  auto value = [this, ratio](const Stats& s) {
    return ratio && tcp_ ? wire_delivered(s) * *ratio : delivered(s, tcp_);
  };
  const double busy_from = busy_seconds(first);
  bool by_tcp = tcp_;
  Steps steps({first.elapsed_seconds, value(first)});
  // Dated steps within the trailing abort span, oldest first.
  std::deque<Point> trail{steps.start()};
  const double measuring = clock_.now();
  while (true) {
    double left = plan.measure_seconds - (clock_.now() - measuring);
    // Not "<= 0": a remainder below the clock's resolution would never be slept away.
    if (left < 1e-6) break;
    if (!clock_.sleep_for(std::min(sample, left), stop)) {
      r.stopped = true;
      return r;
    }
    Stats s = poll();
    Point p{s.elapsed_seconds, value(s)};
    if (tcp_ != by_tcp) {
      // The TCP count appeared only now (the transfer's first tick): start over on it rather
      // than mix two counters.
      by_tcp = tcp_;
      p.bytes = value(s);
      steps = Steps(p);
      trail.assign(1, p);
    } else {
      steps.add(p);
      if (trail.back().bytes != p.bytes) trail.push_back(p);
      // A step that became the origin drops the undated start from the trail too.
      while (trail.front().elapsed < steps.origin().elapsed) trail.pop_front();
    }
    r.tcp_acked = by_tcp;
    if (s.elapsed_seconds > first.elapsed_seconds) {
      r.sidechain_cores =
          (busy_seconds(s) - busy_from) / (s.elapsed_seconds - first.elapsed_seconds);
    }
    const Point end = steps.end();
    const Point& origin = steps.origin();
    // Until two steps span some time, only the plain poll-to-poll rate is there.
    if (end.elapsed > origin.elapsed) {
      r.seconds = end.elapsed - origin.elapsed;
      r.goodput = rate(origin, end);
    } else {
      r.seconds = steps.now().elapsed - steps.start().elapsed;
      r.goodput = rate(steps.start(), steps.now());
    }
    if (s.finished) {
      r.finished = true;
      return r;
    }
    while (trail.size() > 2 && end.elapsed - trail[1].elapsed >= plan.abort_span_seconds) {
      trail.pop_front();
    }
    if (plan.abort_below > 0 && end.elapsed - trail.front().elapsed >= plan.abort_span_seconds) {
      double recent = rate(trail.front(), end);
      if (recent < plan.abort_below) {
        r.goodput = recent;
        r.aborted = true;
        break;
      }
    }
  }
  return r;
}

}  // namespace vmp::tuner
