// What the injector sends frames into. The real one is the Engine (runner/cmd_bench.cpp
// adapts Engine::offer_frame and its LatencyProbe); the parser pipeline here runs frames
// through the real Binance feed parser only: a baseline for the first stage and a way to
// exercise the whole harness without the engine.
//
// Thread-safety: offer() is called by the injecting thread only; stage callbacks into the
// LatencyRecorder happen on the pipeline's thread (the same one for a fused pipeline).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench/harness/injector.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"

namespace be::bench {

class FramePipeline {
 public:
  virtual ~FramePipeline() = default;
  // One wire frame, stamped at ingress with `receive_time` (Unix ns, the engine's ingress
  // clock) and carrying its schedule slot `intended` (monotonic ns, the latency origin).
  virtual void offer(std::string_view frame, Nanos receive_time, Nanos intended) = 0;
  // Blocks until every offered frame has left the pipeline (a no-op when fused).
  virtual void drain() {}
  virtual std::uint64_t rejected() const noexcept = 0;
  virtual std::uint64_t orders() const noexcept = 0;
};

// Stage `stage` (0, "parse", by default): the Binance parser accepted the frame and emitted
// its events, stamped with `now` (the clock the intended times are on: monotonic for the
// in-process injector, the wall clock for frames from the simulator's socket). Symbols are
// defined up front (the generator's, upper case) as a live engine would.
std::unique_ptr<FramePipeline> make_parser_pipeline(LatencyRecorder& recorder,
                                                    const std::vector<std::string>& symbols,
                                                    Nanos (*now)() noexcept = monotonic_now,
                                                    std::size_t stage = 0);
inline std::vector<std::string> parser_pipeline_stages() {
  return {"parse"};
}

}  // namespace be::bench
