// A parameter sweep: N bot configurations over one recorded market (replay/recorded_market.hpp)
// as N bots in one replay pass of the engine's fold (replay/backtest.hpp), so the market is
// parsed, sequenced, folded into bars and matched once per pass, not once per configuration.
//
//   RecordedMarket --slice per period--> Backtest(chunk of configurations, one account each)
//        |                                   | every input's records
//        |                                   v
//        '--> pass after pass ---------> per-bot collectors --> SweepRun per (config, period)
//
// Isolation: configuration i of a pass is bot i on paper account i (BacktestOptions::
// account_per_bot): its own balances, risk limits, kill switches and positions, and the paper
// venue shares a trade's quantity only between the orders of one account (PaperConfig::
// isolate_accounts), so each configuration's fills, queue positions included, are what they
// would be alone. tests/replay/sweep_test.cpp checks it: a seeded sample of configurations,
// each run alone, trade for trade. (One coupling remains outside the sweep's reach: the
// strategy stage's available-quote budget is account 0's, shared by all bots; sizing by
// `capital_fraction` reads it, so a sweep refuses such configurations.)
//
// Passes: every configuration in one pass (the point: bars, indicators' inputs and
// matching computed once for all), the pass's fold sized for them (pass_config) up to
// kMaxSweepPass; more configurations, or SweepOptions::chunk, run in chunks, a pass each
// over every period.
// Periods: the whole recording, or in-sample and out-of-sample parts (SweepSplit): each is
// replayed on its own (bots created at its start, indicators warming up again), so an
// out-of-sample figure never sees in-sample state.
// Figures per run: replay/report_metrics.hpp's definitions (one home), sampled at every fill,
// every price change while in a position and every kReportPeriod.
//
// Determinism: the same market, configurations, periods and chunk give the same runs; the
// chunk does not change them either (that is the isolation). Thread-safety: none; one thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"
#include "engine/engine.hpp"
#include "replay/recorded_market.hpp"

namespace be::replay {

struct SweepSplit {
  enum class Kind : std::uint8_t { kNone = 0, kHoldout = 1, kWalkForward = 2 };
  Kind kind = Kind::kNone;
  double in_sample = 0.7;  // kHoldout: the in-sample share of the recorded time span
  std::size_t folds = 3;   // kWalkForward: folds + 1 equal parts; fold k: in = part k, out = k+1
};

// One part of the recording the configurations run over.
struct SweepPeriod {
  std::string label;  // "all", "in", "out", "part 1" ...
  RecordedMarket::Part part;
};
// A walk-forward fold or the holdout: which period is in-sample and which out-of-sample.
struct SweepFold {
  std::size_t in = 0, out = 0;
};

struct SweepPlan {
  std::vector<SweepPeriod> periods;
  std::vector<SweepFold> folds;  // empty without a split
};
// Errors: a split whose parts hold no market input.
Expected<SweepPlan, std::string> plan_sweep(const RecordedMarket& market, const SweepSplit& split);

struct SweepFill {
  Nanos time = 0;
  Side side = Side::kNone;
  std::int64_t price = 0, quantity = 0, fee = 0, realized_pnl = 0;  // realized: cumulative
  friend bool operator==(const SweepFill&, const SweepFill&) = default;
};

struct SweepMetrics {
  std::uint64_t trades = 0, closing_trades = 0;
  std::int64_t pnl = 0, realized_pnl = 0, fees = 0, max_drawdown = 0;  // price scale
  double max_drawdown_duration_s = 0, win_rate = 0, exposure = 0, expectancy = 0;
  std::optional<double> profit_factor, return_ratio, sharpe, sortino, calmar;
};

// The metrics a sweep ranks by (the CSV's column names).
inline constexpr std::array<std::string_view, 10> kSweepRankMetrics = {
    "pnl",    "return",   "sharpe",        "sortino",    "calmar",
    "trades", "win_rate", "profit_factor", "expectancy", "max_drawdown"};
// A metric's value (nullopt: undefined, ranked last); larger is better except max_drawdown.
std::optional<double> metric_value(const SweepMetrics& m, std::string_view metric, int scale);

struct SweepRun {
  SweepMetrics metrics;
  std::vector<SweepFill> fills;  // with SweepOptions::keep_fills
  bool created = false;          // false: the fold refused the config (see the bot's status)
};

struct SweepOptions {
  std::size_t chunk = 0;  // configurations per pass; 0: all (at most kMaxSweepPass)
  bool keep_fills = false;
  // Called now and then with inputs replayed so far and in all (the progress bar).
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
};

struct SweepResult {
  SweepPlan plan;
  std::vector<SweepRun> runs;  // configuration-major: runs[c * periods + p]
  std::size_t passes = 0;
  std::size_t rerun_passes = 0;  // passes whose order table overflowed, run again roomier
  std::uint64_t inputs = 0;      // inputs applied over every pass
  int price_scale = 8;           // of the first instrument: the figures' scale
  const SweepRun& run(std::size_t configuration, std::size_t period) const {
    return runs[configuration * plan.periods.size() + period];
  }
};

// The most configurations one pass holds: a fold costs about 45 KB per bot
// (docs/BENCHMARKS.md, capacity), so 2,048 take about 90 MB.
inline constexpr std::size_t kMaxSweepPass = 2048;
// Order slots (live orders and remembered finished ones) a pass has per configuration, shared
// by the pass. A pass whose table overflows (an order refused that the configuration alone
// would have placed) runs again with the deployment's room for each (16,384 / 64 bots = 256
// by default), and if that overflows too, configuration by configuration on the deployment's
// fold: the same figures whatever happens, only slower.
inline constexpr std::uint32_t kSweepOrdersPerBot = 16;
// The deployment fold's order slots per bot.
std::uint32_t deployment_orders_per_bot(const engine::EngineConfig& config);

// How many configurations the deployment's own fold holds in one pass.
std::size_t pass_capacity(const engine::EngineConfig& config);

// `config` with its fold's tables sized for a pass of `bots` configurations, each on its own
// account, for the market's instruments, with `orders_per_bot` order slots each (never fewer
// than the deployment's table); unchanged when the deployment's fold already holds them.
engine::EngineConfig pass_config(const engine::EngineConfig& config, std::size_t bots,
                                 std::uint32_t orders_per_bot);

// Configurations the sweep cannot isolate, named ("config 3: sizing by capital_fraction reads
// the budget every bot shares"); empty when all can run.
std::vector<std::string> sweep_refusals(const std::vector<std::string>& bots);

SweepResult run_sweep(const RecordedMarket& market, const SweepPlan& plan,
                      const std::vector<std::string>& bots, const SweepOptions& options);

}  // namespace be::replay
