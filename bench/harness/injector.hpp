// Open-loop injection and coordinated-omission-corrected recording.
//
// Coordinated omission: a closed-loop load generator waits for the system before sending the
// next message, so when the system stalls it simply stops sending, and the samples that a
// real market would have produced during the stall are never taken. Here the schedule is
// fixed before the run: message i is *intended* at start + i * 1e9 / rate. The injector
// never waits for the system; if it falls behind it sends at once, and every latency is
// measured from the intended time, not from when the send actually happened. A 100 ms stall
// at 1k msgs/s therefore shows up as ~100 samples of 100, 99, ..., 1 ms, which is what 100
// market messages arriving during the stall would have experienced.
//
// Thread-safety: an injector runs on one thread; a LatencyRecorder is written by one thread
// (the pipeline thread that reaches each stage boundary) and read after the run.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bench/harness/histogram.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"

namespace be::bench {

// The intended send times of an open-loop run, exact in integer arithmetic (no drift at
// rates that do not divide 1e9).
struct Schedule {
  Nanos start = 0;
  std::uint64_t rate = 1000;  // messages per second, > 0

  Nanos intended(std::uint64_t i) const noexcept {
    const auto whole = static_cast<Nanos>(i / rate) * 1'000'000'000;
    const auto part = static_cast<Nanos>((i % rate) * 1'000'000'000 / rate);
    return start + whole + part;
  }
  Nanos interval() const noexcept { return static_cast<Nanos>(1'000'000'000 / rate); }
};

struct InjectorStats {
  std::uint64_t sent = 0;
  std::uint64_t late = 0;  // sent a full interval or more after their intended time
  Nanos max_lag = 0;       // worst (actual send - intended)

  // One message went out `lag` ns after its intended time: the one definition of late and
  // of the worst lag, for the in-process injector and for a sender on the far side of a
  // socket (bench/harness/sim_feed.hpp).
  void note_sent(Nanos lag, Nanos interval) noexcept {
    if (lag > max_lag) max_lag = lag;
    if (lag >= interval && interval > 0) ++late;
    ++sent;
  }
};

// The real clock: monotonic ns. Waits by sleeping while far from the target (the injector
// should not steal a shared core from the pipeline at 10k msgs/s) and spinning for the
// last stretch.
struct SteadyClock {
  Nanos now() const noexcept { return monotonic_now(); }
  void wait_until(Nanos t) const noexcept;
};

// The wall clock (ns since the epoch), waited on like SteadyClock: the engine's LatencyProbe
// stamps stages on the wall clock, so a schedule compared with those stamps runs on it too.
struct RealtimeClock {
  Nanos now() const noexcept { return WallClock{}.now(); }
  void wait_until(Nanos t) const noexcept;
};

// Runs messages [0, count) of `schedule`, calling send(i, intended) for each. `Clock` has
// now() and wait_until(t); tests pass a simulated clock. Never waits for `send`'s system;
// only for the schedule.
template <class Clock, class Send>
InjectorStats run_open_loop(Clock& clock, const Schedule& schedule, std::uint64_t count,
                            Send&& send) {
  InjectorStats stats;
  const Nanos interval = schedule.interval();
  for (std::uint64_t i = 0; i < count; ++i) {
    const Nanos intended = schedule.intended(i);
    Nanos now = clock.now();
    if (now < intended) {
      clock.wait_until(intended);
      now = clock.now();
    }
    send(i, intended);
    stats.note_sent(now - intended, interval);
  }
  return stats;
}

// Per-stage latency histograms, every sample measured from the message's intended time.
// Series 0..n-1 are the stages given at construction; the last one is tick-to-order
// (recorded by on_order). Samples whose intended time precedes measure_from() are warm-up
// and dropped. record paths never allocate.
class LatencyRecorder {
 public:
  explicit LatencyRecorder(std::vector<std::string> stage_names);

  void set_measure_from(Nanos t) noexcept { measure_from_ = t; }
  Nanos measure_from() const noexcept { return measure_from_; }

  // A message reached the end of `stage` at `now`. Unknown stage ids are counted, not
  // recorded.
  void on_stage(std::size_t stage, Nanos intended, Nanos now) noexcept {
    if (intended < measure_from_) return;
    if (stage >= stages_) {
      ++unknown_stage_;
      return;
    }
    series_[stage].record(now - intended);
  }
  // An order left for the venue in response to the message intended at `intended`.
  void on_order(Nanos intended, Nanos now) noexcept {
    if (intended < measure_from_) return;
    series_[stages_].record(now - intended);
  }
  // The uncorrected view for comparison: latency from the actual send time.
  void on_uncorrected(Nanos sent, Nanos now, Nanos intended) noexcept {
    if (intended < measure_from_) return;
    uncorrected_.record(now - sent);
  }

  std::size_t stage_count() const noexcept { return stages_; }
  const std::vector<std::string>& names() const noexcept { return names_; }
  const Histogram& series(std::size_t i) const noexcept { return series_[i]; }
  const Histogram& tick_to_order() const noexcept { return series_[stages_]; }
  const Histogram& uncorrected() const noexcept { return uncorrected_; }
  std::uint64_t unknown_stage() const noexcept { return unknown_stage_; }
  void merge(const LatencyRecorder& other) noexcept;

 private:
  std::vector<std::string> names_;  // stages then "tick_to_order"
  std::size_t stages_;
  std::vector<Histogram> series_;
  Histogram uncorrected_;
  Nanos measure_from_ = 0;
  std::uint64_t unknown_stage_ = 0;
};

}  // namespace be::bench
