#include "bench/harness/injector.hpp"

#include <sys/prctl.h>
#include <time.h>

namespace be::bench {

namespace {

template <class Now>
void wait_for(Nanos t, Now now_fn) noexcept {
  // Sleep to ~60 us before the target (a sleep overshoots by tens of us on a loaded box),
  // then spin: the injector is idle either way, but a sleeping injector leaves the core to
  // the pipeline.
  constexpr Nanos kSpinWindow = 60'000;
  // Linux lets a sleep run late by the thread's timer slack, 50 us by default: on a quiet
  // machine that, not the engine, was the median latency from the intended send time.
  static thread_local const bool precise_sleeps = [] {
    return prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL) == 0;
  }();
  (void)precise_sleeps;
  for (Nanos now = now_fn(); now < t; now = now_fn()) {
    const Nanos left = t - now;
    if (left > kSpinWindow) {
      const Nanos d = left - kSpinWindow;
      timespec ts{static_cast<time_t>(d / 1'000'000'000), static_cast<long>(d % 1'000'000'000)};
      nanosleep(&ts, nullptr);
    } else {
#if defined(__x86_64__)
      __builtin_ia32_pause();
#endif
    }
  }
}

}  // namespace

void SteadyClock::wait_until(Nanos t) const noexcept {
  wait_for(t, [] { return monotonic_now(); });
}

void RealtimeClock::wait_until(Nanos t) const noexcept {
  wait_for(t, [] { return WallClock{}.now(); });
}

LatencyRecorder::LatencyRecorder(std::vector<std::string> stage_names)
    : names_(std::move(stage_names)), stages_(names_.size()), series_(stages_ + 1) {
  names_.emplace_back("tick_to_order");
}

void LatencyRecorder::merge(const LatencyRecorder& other) noexcept {
  for (std::size_t i = 0; i < series_.size() && i < other.series_.size(); ++i) {
    series_[i].merge(other.series_[i]);
  }
  uncorrected_.merge(other.uncorrected_);
  unknown_stage_ += other.unknown_stage_;
}

}  // namespace be::bench
