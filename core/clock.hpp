// The clock seam (docs/ARCHITECTURE.md §4). Business code (strategies/, risk/, oms/, the fold)
// never reads a clock: its time is the event_time of the event it is processing. The wall
// clock is read at ingress, to stamp receive_time (through IngressClock, so tests and replay
// substitute a deterministic clock), and by the engine's outer layer: clock ticks, snapshot
// and publication timers, the durable hold's release stamps and latency stamps (wall_now(),
// monotonic_now()). Nothing else names std::chrono's clocks.
//
// A lint test (tests/determinism_lint.sh) fails the build's tests if business code names a
// clock or an unseeded random source; the engine files that read time through this header
// are on its allowlist.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "core/ids.hpp"

namespace be {

// Nanoseconds since the Unix epoch: CLOCK_REALTIME through std::chrono (a vDSO call, no
// syscall on x86-64 Linux). The engine's inputs (clock ticks, commands, paper answers) are
// stamped with it, and its timers compare against it.
inline Nanos wall_now() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class IngressClock {
 public:
  virtual ~IngressClock() = default;
  // Nanoseconds since the Unix epoch. Thread-safe.
  virtual Nanos now() const noexcept = 0;
};

// wall_now() behind the IngressClock interface.
class WallClock final : public IngressClock {
 public:
  Nanos now() const noexcept override { return wall_now(); }
};

// Monotonic nanoseconds for measuring durations (latency stamps, group-commit deadlines).
// Not an event time: never stored in business state.
inline Nanos monotonic_now() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// A clock that only moves when told to: tests and replay.
class ManualClock final : public IngressClock {
 public:
  explicit ManualClock(Nanos start = 0) noexcept : now_(start) {}
  Nanos now() const noexcept override { return now_.load(std::memory_order_acquire); }
  void set(Nanos t) noexcept { now_.store(t, std::memory_order_release); }
  void advance(Nanos dt) noexcept { now_.fetch_add(dt, std::memory_order_acq_rel); }

 private:
  std::atomic<Nanos> now_;
};

}  // namespace be
