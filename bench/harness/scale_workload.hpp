// The scale workload (`botengine bench run --bots N --instruments M`, docs/BENCHMARKS.md
// "Scale"): one fold holding N bots over M instruments, as a platform of many users runs it.
//
// - The deployment: M instruments (S0000USDT ... with prices spread over 20..2,000 USDT),
//   `engine.capacity` sized to hold them, the paper venue.
// - The bots: types and parameters drawn from the seed (grid, DCA, RSI, MA cross, momentum,
//   MACD/Bollinger, market maker); each on an instrument drawn with the market's skew, so
//   popular symbols have many bots. About a third of the DCA bots buy on a shared condition
//   (an RSI crossing from a pool of three per timeframe), as users copy each other's setups:
//   the condition engine evaluates each distinct one once.
// - The market: trades and quotes, each on an instrument drawn from a Zipf law (s = 1.1):
//   instrument 0 is the busiest, most are quiet. Event time moves 1 ms per input; a clock
//   tick every 100 ms of event time closes bars in quiet markets, as the engine's does.
//
// The fold is driven as the engine drives it (each input, then the paper venue's answers as
// inputs), timing each apply() on the steady clock (no queueing; the clock read is about
// 20 ns). Reported: the fold cost per market input (p50, p99, max), the longest single input
// of any kind and the bar-close fan-outs (inputs that close a bar of a bot's timeframe) with
// their total cost, the resident memory the fold added per bot, the snapshot's bytes, and
// the time to restore it into a fresh fold.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/event.hpp"
#include "engine/engine.hpp"
#include "engine/fold.hpp"
#include "engine/format.hpp"

namespace be::bench {

// A deployment's fold driven as the engine drives it: each input, then the paper venue's
// answers as the next inputs (the engine's feedback ring), each handed with its records to
// `each(input, records)`. Shared by the scale workload and the engine's capacity tests.
class FeedbackFold {
 public:
  explicit FeedbackFold(const engine::EngineConfig& config)
      : table_(config.instruments),
        balances_(engine::paper_balances(config, table_)),
        fold_(engine::fold_config(config, balances_), answers_) {}
  template <class Each>
  void apply(const Event& input, Each&& each) {
    answers_.pending.push_back(input);
    while (!answers_.pending.empty()) {
      const Event next = answers_.pending.front();
      answers_.pending.pop_front();
      each(next, fold_.apply(next, ++ordinal));
    }
  }
  void apply(const Event& input) {
    apply(input, [](const Event&, std::span<const Event>) {});
  }
  engine::Fold& fold() noexcept { return fold_; }
  const engine::InstrumentTable& table() const noexcept { return table_; }
  SequenceNumber ordinal = 0;  // of the last input applied (set it after a restore)

 private:
  engine::InstrumentTable table_;
  std::vector<oms::PaperStartingBalance> balances_;
  oms::QueuedResponses answers_;
  engine::Fold fold_;
};

struct ScaleOptions {
  std::size_t bots = 1000;
  std::size_t instruments = 100;
  std::uint64_t seed = 1;
  std::uint64_t market_inputs = 1'000'000;  // measured, after as many again of warm-up
  std::uint64_t warmup_inputs = 200'000;
};

struct ScaleResult {
  std::uint64_t market_inputs = 0;  // measured
  std::uint64_t inputs = 0;         // every input applied (answers and ticks included)
  std::uint64_t p50_ns = 0, p99_ns = 0, p999_ns = 0, max_ns = 0;  // per market input
  double mean_ns = 0;
  double cpu_seconds = 0;  // the measured phase's process CPU time
  double wall_seconds = 0;
  std::uint64_t longest_input_ns = 0;  // any input, measured phase
  std::string longest_input_type;
  std::uint64_t longest_input_records = 0;
  std::uint64_t bar_close_inputs = 0;  // inputs whose records carry >= 1 bot's bar work
  std::uint64_t bar_close_total_ns = 0;
  std::uint64_t max_records_per_input = 0;
  std::uint64_t record_overflow = 0;  // records an input's outbox could not hold (want 0)
  std::uint64_t orders = 0, fills = 0;
  std::int64_t rss_before_bytes = 0;  // anonymous resident memory before the fold was built
  std::int64_t rss_after_bytes = 0;   // ... with the bots created and warmed up
  std::uint64_t snapshot_bytes = 0;
  double snapshot_seconds = 0;
  double restore_seconds = 0;
  bool restore_same_hash = false;
  std::uint64_t distinct_conditions = 0, condition_subscriptions = 0;
};

// The deployment config text and the bot configs (deterministic in the options).
std::string scale_config_json(const ScaleOptions& o);
std::vector<std::string> scale_bot_configs(const ScaleOptions& o);

// The inputs that set the deployment up: instrument definitions, the feed connected, an
// opening trade on each instrument, then each bot's config blob, create and start. The
// blobs point into `configs`, which must outlive the events.
std::vector<Event> scale_setup_inputs(const engine::InstrumentTable& instruments,
                                      const std::vector<std::string>& configs);

// The market: trades and quotes on instruments drawn from a Zipf law (s = 1.1), each a random
// walk of its own, 1 ms of event time apart; every 100th input is the engine's clock tick.
class ScaleMarket {
 public:
  ScaleMarket(std::size_t instruments, std::uint64_t seed);
  ~ScaleMarket();
  Event next();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Runs the workload; errors (a config that does not parse, a bot refused) as text.
struct ScaleRun {
  ScaleResult result;
  std::string error;
};
ScaleRun run_scale(const ScaleOptions& o);

// The result as the table `bench run` prints and as JSON.
std::string scale_table(const ScaleOptions& o, const ScaleResult& r);
std::string scale_json(const ScaleOptions& o, const ScaleResult& r);

}  // namespace be::bench
