// The clock seam (docs/ARCHITECTURE.md §4). Business code (strategies/, risk/, oms/) never reads a
// clock: its time is the event_time of the event it is processing. The wall clock is read
// in exactly one kind of place, ingress, to stamp receive_time; it is reached through this
// interface so tests and replay substitute a deterministic clock.
//
// A lint test (tests/determinism_lint.sh) fails the build's tests if business code names a
// clock or an unseeded random source.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "core/ids.hpp"

namespace be {

class IngressClock {
 public:
  virtual ~IngressClock() = default;
  // Nanoseconds since the Unix epoch. Thread-safe.
  virtual Nanos now() const noexcept = 0;
};

// CLOCK_REALTIME through std::chrono (a vDSO call: no syscall on x86-64 Linux).
class WallClock final : public IngressClock {
 public:
  Nanos now() const noexcept override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
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
