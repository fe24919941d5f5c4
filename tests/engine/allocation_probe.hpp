// The per-input allocation measurement the engine's hot-path tests share: a latency probe on
// the thread that finishes inputs counting what that thread allocated per input, and a config
// that pushes the clock tick, publishing and snapshots (which allocate and are not per input)
// out of the measured window.
#pragma once

#include <atomic>
#include <cstdint>

#include "engine/engine.hpp"
#include "tests/support/alloc_counter.hpp"

namespace be::engine::test_support {

struct AllocationProbe final : LatencyProbe {
  std::atomic<bool> measuring{false};
  // The finishing thread only. A delta counts only between two measured inputs: what ran
  // on the thread before the window (the warm-up drain's publish) is not an input's.
  bool previous_measured = false;
  std::uint64_t last = 0, allocations = 0, inputs = 0;
  std::uint64_t answers = 0;  // measured inputs that were venue answers
  std::uint64_t sends = 0;    // measured inputs whose orders left
  void on_input(const StageTimes& t) noexcept override {
    const std::uint64_t now = test::thread_allocation_count();
    const bool measured = measuring.load(std::memory_order_acquire);
    if (measured && previous_measured) {
      allocations += now - last;
      ++inputs;
      if (t.type == EventType::kOrderUpdate) ++answers;
      if (t.sent != 0) ++sends;
    }
    previous_measured = measured;
    last = test::thread_allocation_count();
  }
};

// An hour between clock ticks, publications and snapshots: none falls in a measured window.
inline void quiet_housekeeping(EngineConfig& config) {
  config.idle = "yield";
  config.tick_interval = 3'600'000'000'000;
  config.publish_interval = 3'600'000'000'000;
  config.snapshot_interval = 3'600'000'000'000;
  config.snapshot_every_inputs = 1'000'000'000;
}

}  // namespace be::engine::test_support
