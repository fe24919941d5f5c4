// The harness's view of the engine: the LatencyProbe that records each injected input's stage
// stamps from its intended send time (bench/harness/injector.hpp's LatencyRecorder), and
// whether the engine kept up with the schedule.
//
// Kept up (docs/BENCHMARKS.md "Throughput"): every frame sent was taken (none refused by a
// full ingress) and folded, and the last one was finished within kKeepUpSlack of its intended
// send time: the engine ended the run without a backlog, so the rate was sustained, not
// buffered. `sustained` is the injected inputs over first intended time -> last finished.
//
// Thread-safety: on_input on the thread that finishes inputs; the getters after drain().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/harness/injector.hpp"
#include "engine/engine.hpp"

namespace be::bench {

// Stage boundaries the engine stamps, in pipeline order; each latency is from the intended
// send time to that boundary.
enum EngineStage : std::size_t { kReceived, kSequenced, kStrategy, kRisk, kOrders, kJournaled };
inline std::vector<std::string> engine_stages() {
  return {"ingress", "sequenced", "strategy", "risk", "orders", "journaled"};
}

// A backlog the engine may end the run with and still count as keeping up.
inline constexpr Nanos kKeepUpSlack = 10'000'000;  // 10 ms

struct Throughput {
  std::uint64_t inputs = 0;  // injected inputs the engine finished
  double sustained = 0;      // of them per second, first intended -> last finished
  Nanos catch_up = 0;        // the last one: intended -> finished
};

class EngineProbe final : public engine::LatencyProbe {
 public:
  explicit EngineProbe(LatencyRecorder& rec) : rec_(rec) {}
  void on_input(const engine::StageTimes& t) noexcept override {
    if (t.intended == 0) return;  // timer ticks and venue answers: not injected
    rec_.on_stage(kReceived, t.intended, t.received);
    rec_.on_stage(kSequenced, t.intended, t.sequenced);
    rec_.on_stage(kStrategy, t.intended, t.strategy);
    rec_.on_stage(kRisk, t.intended, t.risk);
    rec_.on_stage(kOrders, t.intended, t.orders);
    if (t.journaled != 0) rec_.on_stage(kJournaled, t.intended, t.journaled);
    // From the actual offer (receive_time) to the end of the fold: what a closed loop would
    // measure.
    rec_.on_uncorrected(t.received, t.orders, t.intended);
    if (t.sent != 0) {
      rec_.on_order(t.intended, t.sent);
      ++orders_;
    }
    if (inputs_++ == 0) first_intended_ = t.intended;
    last_intended_ = t.intended;
    last_finished_ = t.orders;
  }
  std::uint64_t orders() const noexcept { return orders_; }
  Throughput throughput() const noexcept {
    Throughput out;
    out.inputs = inputs_;
    if (inputs_ == 0) return out;
    const Nanos span = last_finished_ - first_intended_;
    out.sustained = span > 0 ? static_cast<double>(inputs_) * 1e9 / static_cast<double>(span) : 0;
    out.catch_up = last_finished_ - last_intended_;
    return out;
  }

 private:
  LatencyRecorder& rec_;
  // The thread that finishes inputs only; read after drain().
  std::uint64_t orders_ = 0;
  std::uint64_t inputs_ = 0;
  Nanos first_intended_ = 0, last_intended_ = 0, last_finished_ = 0;
};

}  // namespace be::bench
