// replay/sweep's figures against the backtest report's: the sweep feeds period ends lazily
// (only when a configuration's equity changes) and merges flat stretches of returns in closed
// form, the report feeds every period end one at a time; both must give the same trades, PnL,
// drawdown and its duration, exposure and ratios. Also: a pass whose order table overflows
// runs again and still equals each configuration alone.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/fixed_point.hpp"
#include "core/json_config.hpp"
#include "replay/backtest.hpp"
#include "replay/capture_replay.hpp"
#include "replay/report_metrics.hpp"
#include "replay/sweep.hpp"
#include "replay/sweep_space.hpp"
#include "tests/replay/generated_capture.hpp"
#include "tests/support/shared_data.hpp"

namespace {

using namespace be::replay;

RecordedMarket synthetic_market(int steps) {
  auto file =
      CaptureFile::from_text(be::test::generated_binance_capture(steps), be::feed::Venue::kBinance);
  auto config = derive_config(*file, be::feed::Venue::kBinance);
  EXPECT_TRUE(config) << (config ? "" : config.error());
  auto market = capture_market(*file, be::feed::Venue::kBinance, *config);
  EXPECT_TRUE(market) << (market ? "" : market.error());
  return market ? std::move(*market) : RecordedMarket{};
}

std::vector<std::string> bots_of(const std::string& spec_json) {
  auto spec = parse_sweep_spec(spec_json, "spec.json");
  EXPECT_TRUE(spec) << (spec ? "" : spec.error());
  std::vector<std::string> bots;
  if (!spec) return bots;
  auto configs = expand(*spec);
  EXPECT_TRUE(configs) << (configs ? "" : configs.error());
  if (!configs) return bots;
  for (const SweepConfiguration& c : *configs)
    bots.push_back(c.bot_json);
  return bots;
}

double number(const be::config::Value& bot, std::string_view key) {
  const be::config::Value* v = bot.find(key);
  EXPECT_TRUE(v != nullptr && v->kind == be::config::Value::Kind::kNumber) << key;
  return v != nullptr && v->kind == be::config::Value::Kind::kNumber ? std::stod(v->text) : NAN;
}

// The report prints ratios with 4 decimals ("%.4f"), null when undefined.
void expect_ratio(const be::config::Value& bot, std::string_view key, std::optional<double> m) {
  const be::config::Value* v = bot.find(key);
  ASSERT_NE(v, nullptr) << key;
  if (v->kind == be::config::Value::Kind::kNull) {
    EXPECT_FALSE(m) << key << " is null in the report, " << m.value_or(0) << " in the sweep";
    return;
  }
  ASSERT_TRUE(m) << key << " is " << v->text << " in the report, undefined in the sweep";
  EXPECT_NEAR(*m, std::stod(v->text), 0.6e-4) << key;
}

// Each configuration of one sweep pass against a backtest of it alone, with the report.
void expect_sweep_agrees_with_reports(const RecordedMarket& market,
                                      const std::vector<std::string>& bots) {
  auto plan = plan_sweep(market, {});
  ASSERT_TRUE(plan) << plan.error();
  const SweepResult swept = run_sweep(market, *plan, bots, {});
  ASSERT_EQ(swept.passes, 1u);
  const std::vector<be::Event> inputs = market.slice(plan->periods[0].part);
  std::size_t with_drawdown = 0, with_sharpe = 0;
  for (std::size_t c = 0; c < bots.size(); ++c) {
    SCOPED_TRACE("config " + std::to_string(c) + ": " + bots[c]);
    Backtest alone(market.config, {bots[c]}, true);
    for (const be::Event& e : inputs)
      alone.market(e);
    // The bots' part only: the fills and curves after it run past the parser's 1 MiB.
    const std::string json = alone.report_json();
    const std::size_t end = json.find("],\"total\":");
    ASSERT_NE(end, std::string::npos);
    auto report = be::config::parse(json.substr(0, end) + "]}");
    ASSERT_TRUE(report) << report.error();
    const be::config::Value* list = report->find("bots");
    ASSERT_TRUE(list != nullptr && list->items.size() == 1u);
    const be::config::Value& bot = list->items[0];
    const SweepMetrics& m = swept.run(c, 0).metrics;
    EXPECT_EQ(m.trades, static_cast<std::uint64_t>(number(bot, "trades")));
    EXPECT_EQ(be::decimal_to_string(m.pnl, swept.price_scale), bot.find("pnl")->text);
    EXPECT_EQ(be::decimal_to_string(m.max_drawdown, swept.price_scale),
              bot.find("max_drawdown")->text);
    EXPECT_NEAR(m.max_drawdown_duration_s, number(bot, "max_drawdown_duration_s"), 0.6e-4);
    EXPECT_NEAR(m.exposure, number(bot, "exposure"), 0.6e-4);
    EXPECT_NEAR(m.win_rate, number(bot, "win_rate"), 0.6e-4);
    expect_ratio(bot, "sharpe", m.sharpe);
    expect_ratio(bot, "sortino", m.sortino);
    expect_ratio(bot, "calmar", m.calmar);
    with_drawdown += m.max_drawdown != 0 && m.max_drawdown_duration_s > 0;
    with_sharpe += m.sharpe.has_value();
  }
  EXPECT_GE(with_drawdown * 2, bots.size()) << "most configurations should see a drawdown";
  EXPECT_GE(with_sharpe * 2, bots.size()) << "most configurations should have a Sharpe ratio";
}

// Grid bots over 20 minutes of a synthetic market that swings both ways: positions held over
// many period ends, marks at every trade and quote.
TEST(SweepMetrics, shouldAgreeWithTheBacktestReportOfEachGridConfigurationAlone) {
  const auto market = synthetic_market(12'000);
  const auto bots =
      bots_of(R"({"bot":{"name":"grid","symbol":"BTCUSDT","strategy":{"type":"grid","parameters":)"
              R"({"lower":49700,"upper":50300,"grids":12,"quantity_per_grid":0.2}}},)"
              R"("parameters":{"strategy.parameters.grids":[4,9,16],)"
              R"("strategy.parameters.lower":[49600,49800]}})");
  ASSERT_EQ(bots.size(), 6u);
  expect_sweep_agrees_with_reports(market, bots);
}

// RSI over the shared BTCUSDT week: 10,080 period ends, long flat stretches between trades.
TEST(SweepMetrics, shouldAgreeWithTheBacktestReportOfEachRsiConfigurationOverTheBtcWeek) {
  const std::string dir = be::test::shared_data();
  if (dir.empty()) GTEST_SKIP() << "BE_SHARED_DATA is not set: no shared candles";
  auto market = load_candle_market(dir + "/candles-1m/BTCUSDT_2021-02-19_1week_1m.json", "");
  ASSERT_TRUE(market) << market.error();
  const auto bots = bots_of(
      R"({"bot":{"name":"rsi","symbol":"BTCUSDT","timeframe":"15m","strategy":{"type":"rsi",)"
      R"("parameters":{"period":14,"oversold":30,"overbought":70,"quote_amount":100}}},)"
      R"("parameters":{"strategy.parameters.period":[7,14],"timeframe":["1m","5m","15m"]}})");
  ASSERT_EQ(bots.size(), 6u);
  expect_sweep_agrees_with_reports(*market, bots);
}

// A flat stretch merged in closed form gives what adding each zero change one by one gives.
TEST(SweepMetrics, shouldMergeAFlatStretchOfReturnsAsAddingEachPeriod) {
  be::engine::ReturnSeries merged, one_by_one;
  const double equities[] = {0, 10, 10, -5, 7, 7, 30, -12};
  const std::size_t repeats[] = {3, 1, 500, 2, 1, 10'080, 4, 1};
  for (std::size_t k = 0; k < std::size(equities); ++k) {
    merged.add(equities[k], repeats[k]);
    for (std::size_t r = 0; r < repeats[k]; ++r)
      one_by_one.add(equities[k]);
  }
  ASSERT_EQ(merged.periods(), one_by_one.periods());
  const auto a = merged.ratios(1000, 42);
  const auto b = one_by_one.ratios(1000, 42);
  ASSERT_TRUE(a.sharpe && b.sharpe && a.sortino && b.sortino && a.calmar && b.calmar);
  EXPECT_NEAR(*a.sharpe, *b.sharpe, 1e-9 * std::abs(*b.sharpe));
  EXPECT_NEAR(*a.sortino, *b.sortino, 1e-9 * std::abs(*b.sortino));
  EXPECT_NEAR(*a.calmar, *b.calmar, 1e-9 * std::abs(*b.calmar));
}

// Grid bots keep an order per level. A deployment whose fold has only 128 order slots makes
// the pass of 80 configurations (16 slots each, 1,280) overflow with 24 levels each: the pass
// runs again with more room and every configuration still equals itself alone.
TEST(SweepMetrics, shouldRunAPassAgainWhenItsOrderTableOverflowsAndStillMatchEachAlone) {
  auto market = synthetic_market(1200);
  be::engine::EngineCapacity small;
  small.bots = 64;
  small.instruments = 16;
  small.open_orders = 128;
  be::engine::size_tables(market.config.fold, small, market.config.fold.oms.assets);
  std::vector<std::string> bots;
  for (const std::string& b : bots_of(
           R"({"bot":{"name":"grid","symbol":"BTCUSDT","strategy":{"type":"grid",)"
           R"("parameters":{"lower":49700,"upper":50300,"grids":24,"quantity_per_grid":0.1}}},)"
           R"("parameters":{"strategy.parameters.lower":{"from":49500,"to":49895,"step":5}}})")) {
    bots.push_back(b);
  }
  ASSERT_EQ(bots.size(), 80u);
  auto plan = plan_sweep(market, {});
  ASSERT_TRUE(plan) << plan.error();
  SweepOptions options;
  options.keep_fills = true;
  const SweepResult swept = run_sweep(market, *plan, bots, options);
  EXPECT_EQ(swept.rerun_passes, 1u);
  EXPECT_EQ(swept.passes, 2u) << "the overflowing pass and the roomier one";
  for (const std::size_t c : {0u, 17u, 40u}) {
    const SweepResult alone = run_sweep(market, *plan, {bots[c]}, options);
    EXPECT_EQ(alone.rerun_passes, 0u);
    ASSERT_FALSE(alone.runs[0].fills.empty()) << c;
    EXPECT_EQ(swept.run(c, 0).fills, alone.runs[0].fills) << c;
    EXPECT_EQ(swept.run(c, 0).metrics.pnl, alone.runs[0].metrics.pnl) << c;
  }
}

}  // namespace
