// replay/sweep: the parameter space (grid order, ranges, seeded random draws, refusals), and
// the sweep's promise: every configuration of a sweep equals the same configuration run
// alone, trade for trade (a seeded sample per sweep), whatever the chunk; the same command
// gives the same table; splits replay each part on its own.
#include "replay/sweep.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "core/seeded_rng.hpp"
#include "replay/sweep_report.hpp"
#include "replay/sweep_space.hpp"
#include "tests/replay/generated_capture.hpp"
#include "tests/support/shared_data.hpp"

namespace {

using namespace be::replay;

SweepSpec spec_of(const std::string& json) {
  auto spec = parse_sweep_spec(json, "spec.json");
  EXPECT_TRUE(spec) << (spec ? "" : spec.error());
  return spec ? *spec : SweepSpec{};
}

std::vector<SweepConfiguration> expanded(const SweepSpec& spec) {
  auto c = expand(spec);
  EXPECT_TRUE(c) << (c ? "" : c.error());
  return c ? *c : std::vector<SweepConfiguration>{};
}

constexpr const char* kRsiBase =
    R"({"name":"rsi","symbol":"BTCUSDT","timeframe":"15m","strategy":{"type":"rsi",)"
    R"("parameters":{"period":14,"oversold":30,"overbought":70,"quote_amount":100}}})";

TEST(SweepSpace, shouldExpandAGridWithTheLastAxisVaryingFastest) {
  const auto configs =
      expanded(spec_of(std::string(R"({"bot":)") + kRsiBase +
                       R"(,"parameters":{"strategy.parameters.period":[7,14],)"
                       R"("strategy.parameters.oversold":{"from":20,"to":30,"step":5}}})"));
  ASSERT_EQ(configs.size(), 6u);
  const std::vector<std::vector<std::string>> want = {{"7", "20"},  {"7", "25"},  {"7", "30"},
                                                      {"14", "20"}, {"14", "25"}, {"14", "30"}};
  for (std::size_t i = 0; i < want.size(); ++i)
    EXPECT_EQ(configs[i].values, want[i]) << i;
  EXPECT_EQ(configs[4].bot_json,
            R"({"name":"rsi #4","symbol":"BTCUSDT","timeframe":"15m","strategy":{"type":"rsi",)"
            R"("parameters":{"period":14,"oversold":25,"overbought":70,"quote_amount":100}}})");
}

TEST(SweepSpace, shouldStepARangeOfDecimalsWithoutFallingShortOfItsEnd) {
  const auto configs = expanded(spec_of(
      std::string(R"({"bot":)") + kRsiBase +
      R"(,"parameters":{"strategy.parameters.quote_amount":{"from":0.1,"to":0.3,"step":0.1},)"
      R"("risk_management.stop_loss_pct":[1.5]}})"));
  ASSERT_EQ(configs.size(), 3u);
  EXPECT_EQ(configs[0].values[0], "0.1");
  EXPECT_EQ(configs[2].values[0], "0.3");
  // A path into an object the base lacks creates it.
  EXPECT_NE(configs[0].bot_json.find(R"("risk_management":{"stop_loss_pct":1.5})"),
            std::string::npos)
      << configs[0].bot_json;
}

TEST(SweepSpace, shouldDrawTheSameRandomConfigurationsForTheSameSeedOnly) {
  const std::string body = std::string(R"({"bot":)") + kRsiBase +
                           R"(,"search":"random","samples":50,"parameters":{)"
                           R"("strategy.parameters.period":{"from":5,"to":30,"step":1},)"
                           R"("strategy.parameters.oversold":{"from":10.0,"to":40.0}})";
  const auto a = expanded(spec_of(body + R"(,"seed":7})"));
  const auto b = expanded(spec_of(body + R"(,"seed":7})"));
  const auto c = expanded(spec_of(body + R"(,"seed":8})"));
  ASSERT_EQ(a.size(), 50u);
  std::set<std::string> periods;
  bool differs = false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].bot_json, b[i].bot_json);
    differs |= a[i].bot_json != c[i].bot_json;
    const long period = std::stol(a[i].values[0]);
    EXPECT_GE(period, 5);
    EXPECT_LE(period, 30);
    const double oversold = std::stod(a[i].values[1]);
    EXPECT_GE(oversold, 10.0);
    EXPECT_LE(oversold, 40.0);
    periods.insert(a[i].values[0]);
  }
  EXPECT_TRUE(differs);
  EXPECT_GT(periods.size(), 10u);  // the draws spread over the range
}

TEST(SweepSpace, shouldRefuseBadSpecsNamingTheField) {
  struct Case {
    std::string json, says;
  };
  const std::string bot = std::string(R"("bot":)") + kRsiBase;
  for (const Case& c : {
           Case{"[]", "spec.json: expected a sweep spec"},
           Case{"{" + bot + "}", "spec.json: parameters: expected"},
           Case{"{" + bot + R"(,"parameters":{"a":[]}})", "spec.json: parameters.a: an empty list"},
           Case{"{" + bot + R"(,"parameters":{"a":{"from":3,"to":1,"step":1}}})",
                "spec.json: parameters.a: a range needs step > 0 and to >= from"},
           Case{"{" + bot + R"(,"parameters":{"a..b":[1]}})", "spec.json: parameters.a..b: not a"},
           Case{"{" + bot + R"(,"parameters":{"a":{"from":1,"to":2}}})",
                "spec.json: parameters.a: a range without a step can only be drawn from"},
           Case{"{" + bot + R"(,"parameters":{"a":[1]},"colour":1})", "spec.json: colour: unknown"},
           Case{R"({"bot":7,"parameters":{"a":[1]}})", "spec.json: bot: expected a bot config"},
           Case{"{" + bot + R"(,"parameters":{"a":[1]},"samples":0})", "spec.json: samples:"},
       }) {
    auto spec = parse_sweep_spec(c.json, "spec.json");
    ASSERT_FALSE(spec) << c.json;
    EXPECT_EQ(spec.error().rfind(c.says, 0), 0u) << spec.error();
  }
  // A path that runs through a value that is not an object.
  auto spec = parse_sweep_spec("{" + bot + R"(,"parameters":{"symbol.x":[1]}})", "spec.json");
  ASSERT_TRUE(spec);
  auto configs = expand(*spec);
  ASSERT_FALSE(configs);
  EXPECT_EQ(configs.error(), "parameters.symbol.x: runs into a value that is not an object");
}

// ---- Isolation: a configuration in a sweep equals the configuration alone ------------------

RecordedMarket synthetic_market() {
  auto file =
      CaptureFile::from_text(be::test::generated_binance_capture(1200), be::feed::Venue::kBinance);
  auto config = derive_config(*file, be::feed::Venue::kBinance);
  EXPECT_TRUE(config) << (config ? "" : config.error());
  auto market = capture_market(*file, be::feed::Venue::kBinance, *config);
  EXPECT_TRUE(market) << (market ? "" : market.error());
  return market ? std::move(*market) : RecordedMarket{};
}

// Runs `bots` in one sweep (chunk `chunk`), then a seeded sample of them alone, and compares
// every fill and figure.
void expect_sweep_equals_alone(const RecordedMarket& market, const std::vector<std::string>& bots,
                               std::size_t chunk, std::size_t sample, std::uint64_t seed) {
  auto plan = plan_sweep(market, {});
  ASSERT_TRUE(plan) << plan.error();
  SweepOptions options;
  options.chunk = chunk;
  options.keep_fills = true;
  const SweepResult swept = run_sweep(market, *plan, bots, options);
  ASSERT_EQ(swept.passes, (bots.size() + chunk - 1) / chunk);
  std::size_t traded = 0;
  for (const SweepRun& run : swept.runs) {
    EXPECT_TRUE(run.created);
    traded += !run.fills.empty();
  }
  EXPECT_GE(traded * 2, bots.size()) << "most configurations should trade for the test to bite";
  be::SeededRng rng(seed);
  for (std::size_t k = 0; k < sample; ++k) {
    const std::size_t c = rng.below(bots.size());
    const SweepResult alone = run_sweep(market, *plan, {bots[c]}, options);
    const SweepRun& a = alone.runs[0];
    const SweepRun& s = swept.run(c, 0);
    ASSERT_EQ(s.fills.size(), a.fills.size()) << "config " << c << ": " << bots[c];
    for (std::size_t f = 0; f < a.fills.size(); ++f)
      EXPECT_EQ(s.fills[f], a.fills[f]) << "config " << c << " fill " << f;
    EXPECT_EQ(s.metrics.pnl, a.metrics.pnl) << c;
    EXPECT_EQ(s.metrics.fees, a.metrics.fees) << c;
    EXPECT_EQ(s.metrics.max_drawdown, a.metrics.max_drawdown) << c;
    EXPECT_EQ(s.metrics.trades, a.metrics.trades) << c;
    EXPECT_EQ(s.metrics.sharpe, a.metrics.sharpe) << c;
  }
}

std::vector<std::string> bots_of(const std::string& spec_json) {
  std::vector<std::string> bots;
  for (const SweepConfiguration& c : expanded(spec_of(spec_json)))
    bots.push_back(c.bot_json);
  return bots;
}

// Grid bots at the same prices compete for each trade's 0.25 at a price if accounts are not
// isolated: quantities of 0.2 make the second one in line short.
TEST(SweepIsolation, shouldGiveEachGridConfigurationTheFillsItGetsAlone) {
  const auto market = synthetic_market();
  const auto bots =
      bots_of(R"({"bot":{"name":"grid","symbol":"BTCUSDT","strategy":{"type":"grid","parameters":)"
              R"({"lower":49700,"upper":50300,"grids":12,"quantity_per_grid":0.2}}},)"
              R"("parameters":{"strategy.parameters.grids":[6,12,24],)"
              R"("strategy.parameters.quantity_per_grid":[0.1,0.2,0.3],)"
              R"("strategy.parameters.lower":[49700,49600]}})");
  ASSERT_EQ(bots.size(), 18u);
  expect_sweep_equals_alone(market, bots, 7, 6, 20261207);
}

TEST(SweepIsolation, shouldGiveEachMarketMakerConfigurationTheFillsItGetsAlone) {
  const auto market = synthetic_market();
  const auto bots = bots_of(
      R"({"bot":{"name":"mm","symbol":"BTCUSDT","strategy":{"type":"market_maker","parameters":)"
      R"({"spread_bps":10,"skew_bps":5,"requote_bps":2,"order_size":0.2,"inventory_cap":1}}},)"
      R"("parameters":{"strategy.parameters.spread_bps":[10,12,16,20],)"
      R"("strategy.parameters.order_size":[0.1,0.2,0.25]}})");
  expect_sweep_equals_alone(market, bots, 5, 5, 7);
}

TEST(SweepIsolation, shouldGiveTheSameResultsWhateverTheChunk) {
  const auto market = synthetic_market();
  const auto bots = bots_of(
      R"({"bot":{"name":"grid","symbol":"BTCUSDT","strategy":{"type":"grid","parameters":)"
      R"({"lower":49700,"upper":50300,"grids":12,"quantity_per_grid":0.2}}},)"
      R"("parameters":{"strategy.parameters.grids":[6,12],"strategy.parameters.lower":[49700,49600]}})");
  auto plan = plan_sweep(market, {});
  ASSERT_TRUE(plan);
  SweepOptions one, all;
  one.chunk = 1;
  all.chunk = 64;
  one.keep_fills = all.keep_fills = true;
  const auto a = run_sweep(market, *plan, bots, one);
  const auto b = run_sweep(market, *plan, bots, all);
  EXPECT_EQ(a.passes, 4u);
  EXPECT_EQ(b.passes, 1u);
  for (std::size_t c = 0; c < bots.size(); ++c) {
    EXPECT_EQ(a.runs[c].fills, b.runs[c].fills) << c;
    EXPECT_EQ(a.runs[c].metrics.pnl, b.runs[c].metrics.pnl) << c;
  }
}

TEST(SweepIsolation, shouldMatchRsiConfigurationsAloneOverTheSharedBtcWeek) {
  const std::string dir = be::test::shared_data();
  if (dir.empty()) GTEST_SKIP() << "BE_SHARED_DATA is not set: no shared candles";
  auto market = load_candle_market(dir + "/candles-1m/BTCUSDT_2021-02-19_1week_1m.json", "");
  ASSERT_TRUE(market) << market.error();
  auto spec = spec_of(std::string(R"({"bot":)") + kRsiBase +
                      R"(,"search":"random","samples":40,"seed":3,"parameters":{)"
                      R"("strategy.parameters.period":{"from":5,"to":30,"step":1},)"
                      R"("strategy.parameters.oversold":{"from":20,"to":40,"step":1},)"
                      R"("strategy.parameters.overbought":{"from":60,"to":80,"step":1},)"
                      R"("timeframe":["1m","5m","15m"]}})");
  std::vector<std::string> bots;
  for (const SweepConfiguration& c : expanded(spec))
    bots.push_back(c.bot_json);
  expect_sweep_equals_alone(*market, bots, 16, 5, 11);
}

// ---- Splits and the table ---------------------------------------------------------------

TEST(SweepSplits, shouldCutTheRecordingInTimeAndReplayEachPartOnItsOwn) {
  const auto market = synthetic_market();
  auto holdout = plan_sweep(market, {SweepSplit::Kind::kHoldout, 0.75, 0});
  ASSERT_TRUE(holdout) << holdout.error();
  ASSERT_EQ(holdout->periods.size(), 2u);
  EXPECT_EQ(holdout->periods[0].part.begin, market.opening);
  EXPECT_EQ(holdout->periods[0].part.end, holdout->periods[1].part.begin);
  EXPECT_EQ(holdout->periods[1].part.end, market.inputs.size());
  const be::Nanos cut = market.first_time() + (market.last_time() - market.first_time()) * 3 / 4;
  EXPECT_GE(market.inputs[holdout->periods[1].part.begin].header.event_time, cut);
  EXPECT_LT(market.inputs[holdout->periods[1].part.begin - 1].header.event_time, cut);
  ASSERT_EQ(holdout->folds.size(), 1u);

  auto walk = plan_sweep(market, {SweepSplit::Kind::kWalkForward, 0, 3});
  ASSERT_TRUE(walk) << walk.error();
  ASSERT_EQ(walk->periods.size(), 4u);
  ASSERT_EQ(walk->folds.size(), 3u);
  EXPECT_EQ(walk->folds[2].in, 2u);
  EXPECT_EQ(walk->folds[2].out, 3u);

  // A part opens with the recording's definitions, restamped to its own start.
  const auto slice = market.slice(holdout->periods[1].part);
  ASSERT_EQ(slice.size(),
            market.opening + holdout->periods[1].part.end - holdout->periods[1].part.begin);
  EXPECT_EQ(slice.front().header.type, be::EventType::kInstrumentDefined);
  EXPECT_EQ(slice.front().header.event_time,
            market.inputs[holdout->periods[1].part.begin].header.event_time);

  // The out-of-sample run of a configuration is that configuration over the part alone.
  const std::vector<std::string> bots = {
      R"({"name":"g","symbol":"BTCUSDT","strategy":{"type":"grid","parameters":)"
      R"({"lower":49700,"upper":50300,"grids":12,"quantity_per_grid":0.2}}})"};
  SweepOptions options;
  options.keep_fills = true;
  const auto split = run_sweep(market, *holdout, bots, options);
  ASSERT_EQ(split.runs.size(), 2u);
  EXPECT_FALSE(split.run(0, 0).fills.empty());
  EXPECT_FALSE(split.run(0, 1).fills.empty());
  EXPECT_GE(split.run(0, 1).fills.front().time,
            market.inputs[holdout->periods[1].part.begin].header.event_time);

  EXPECT_FALSE(plan_sweep(market, {SweepSplit::Kind::kWalkForward, 0, 100'000}));
}

TEST(SweepReport, shouldRankByTheMetricAndWriteTheSameTableEveryTime) {
  const auto market = synthetic_market();
  const auto spec = spec_of(
      R"({"bot":{"name":"mm","symbol":"BTCUSDT","strategy":{"type":"market_maker","parameters":)"
      R"({"spread_bps":10,"skew_bps":5,"requote_bps":2,"order_size":0.2,"inventory_cap":1}}},)"
      R"("parameters":{"strategy.parameters.spread_bps":[10,14,20],"strategy.parameters.order_size":[0.1,0.2]}})");
  const auto configs = expanded(spec);
  std::vector<std::string> bots;
  for (const auto& c : configs)
    bots.push_back(c.bot_json);
  auto plan = plan_sweep(market, {SweepSplit::Kind::kHoldout, 0.5, 0});
  ASSERT_TRUE(plan);
  const auto run = [&] { return run_sweep(market, *plan, bots, {}); };
  const SweepResult first = run(), second = run();
  const SweepTable a{&spec, &configs, &first, "pnl", "synthetic"};
  const SweepTable b{&spec, &configs, &second, "pnl", "synthetic"};
  EXPECT_EQ(sweep_csv(a), sweep_csv(b));
  EXPECT_EQ(sweep_json(a), sweep_json(b));

  const auto order = rank_configurations(a);
  ASSERT_EQ(order.size(), 6u);
  for (std::size_t k = 1; k < order.size(); ++k) {
    EXPECT_GE(*in_sample_value(a, order[k - 1]), *in_sample_value(a, order[k])) << k;
  }
  const std::string csv = sweep_csv(a);
  EXPECT_EQ(csv.rfind("rank,config,strategy.parameters.spread_bps,strategy.parameters.order_size,"
                      "in_sample_pnl,out_of_sample_pnl,in_trades,",
                      0),
            0u)
      << csv.substr(0, 200);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 7);
  EXPECT_EQ(csv.substr(csv.find('\n') + 1, 4), "1," + std::to_string(order[0]) + ",");
  auto json = be::config::parse(sweep_json(a));
  ASSERT_TRUE(json) << json.error();
  ASSERT_EQ(json->find("ranking")->items.size(), 6u);
  EXPECT_EQ(json->find("ranking")->items[0].find("config")->text, std::to_string(order[0]));
  const std::string html = sweep_html(a);
  EXPECT_NE(html.find("<table id=\"ranking\">"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);  // the in/out-of-sample scatter
  EXPECT_EQ(html.find("src="), std::string::npos);  // nothing loaded from anywhere
}

TEST(SweepRefusals, shouldNameConfigurationsSizedByTheSharedBudget) {
  const auto refusals = sweep_refusals(
      {kRsiBase,
       R"({"name":"f","strategy":{"type":"rsi","parameters":{"capital_fraction":0.1}}})"});
  ASSERT_EQ(refusals.size(), 1u);
  EXPECT_EQ(refusals[0].rfind("config 1: sizing by capital_fraction", 0), 0u) << refusals[0];
}

}  // namespace
