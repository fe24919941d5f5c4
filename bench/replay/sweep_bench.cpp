// Research benchmarks (issue 20's targets), measured in the same run:
//
//   BM_SweepVsSequential   N RSI configurations (a seeded random search over period, levels
//                          and timeframe; N = $BE_SWEEP_BENCH_CONFIGS, default 1,000) over the
//                          shared BTCUSDT week of 1-minute bars, held in memory: first as one
//                          sweep (replay/sweep.hpp: one pass, its fold sized for all N), then
//                          the same N one after another (a fresh backtest per
//                          configuration, the same in-memory market). Counters: sweep_s,
//                          sequential_s, speedup. Before it reports, every configuration's
//                          figures (trades, PnL, fees, drawdown) must be equal both ways, else
//                          SkipWithError. Targets: sweep <= 5 s, speedup >= 20.
//   BM_CaptureReplay/0|1   a raw capture (shared BINANCE.ws.1.0: depth, bookTicker, trades,
//                          klines) through the real parsers into a backtest with a market maker
//                          and a grid bot on its first symbol, with the optimistic fill model
//                          (0) and the queue model (1): items/s = capture records/s. Target:
//                          the queue model at no less than half the speed.
// Both skip with a message when $BE_SHARED_DATA is not set.
#include <benchmark/benchmark.h>

#include <time.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "replay/backtest.hpp"
#include "replay/capture_replay.hpp"
#include "replay/recorded_market.hpp"
#include "replay/sweep.hpp"
#include "replay/sweep_space.hpp"

namespace {

using namespace be;

std::string shared_data() {
  const char* dir = std::getenv("BE_SHARED_DATA");
  return dir ? std::string(dir) : std::string();
}

std::size_t configurations_wanted() {
  const char* n = std::getenv("BE_SWEEP_BENCH_CONFIGS");
  const long v = n ? std::strtol(n, nullptr, 10) : 1000;
  return v > 0 ? static_cast<std::size_t>(v) : 1000;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// CPU seconds of this process: on a machine shared with builds, the figure to compare.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

void BM_SweepVsSequential(benchmark::State& state) {
  const std::string dir = shared_data();
  if (dir.empty()) return state.SkipWithError("BE_SHARED_DATA is not set");
  auto market =
      replay::load_candle_market(dir + "/candles-1m/BTCUSDT_2021-02-19_1week_1m.json", "");
  if (!market) return state.SkipWithError(market.error().c_str());
  const std::size_t n = configurations_wanted();
  auto spec = replay::parse_sweep_spec(
      R"({"bot":{"name":"rsi","symbol":"BTCUSDT","timeframe":"15m","strategy":{"type":"rsi",)"
      R"("parameters":{"period":14,"oversold":30,"overbought":70,"quote_amount":100}}},)"
      R"("search":"random","seed":20,"samples":)" +
          std::to_string(n) +
          R"(,"parameters":{"strategy.parameters.period":{"from":5,"to":40,"step":1},)"
          R"("strategy.parameters.oversold":{"from":15,"to":40,"step":1},)"
          R"("strategy.parameters.overbought":{"from":60,"to":85,"step":1},)"
          R"("timeframe":["1m","5m","15m","1h"]}})",
      "bench");
  if (!spec) return state.SkipWithError(spec.error().c_str());
  auto configs = replay::expand(*spec);
  if (!configs) return state.SkipWithError(configs.error().c_str());
  std::vector<std::string> bots;
  for (const auto& c : *configs)
    bots.push_back(c.bot_json);
  auto plan = replay::plan_sweep(*market, {});
  if (!plan) return state.SkipWithError(plan.error().c_str());

  double sweep_s = 0, sequential_s = 0, sweep_cpu = 0, sequential_cpu = 0;
  std::size_t passes = 0, reruns = 0;
  for (auto _ : state) {
    auto started = std::chrono::steady_clock::now();
    double cpu = cpu_seconds();
    const replay::SweepResult swept = replay::run_sweep(*market, *plan, bots, {});
    sweep_s = seconds_since(started);
    sweep_cpu = cpu_seconds() - cpu;
    passes = swept.passes;
    reruns = swept.rerun_passes;
    started = std::chrono::steady_clock::now();
    cpu = cpu_seconds();
    std::vector<replay::SweepRun> alone;
    alone.reserve(bots.size());
    for (const std::string& bot : bots)
      alone.push_back(std::move(replay::run_sweep(*market, *plan, {bot}, {}).runs[0]));
    sequential_s = seconds_since(started);
    sequential_cpu = cpu_seconds() - cpu;
    for (std::size_t c = 0; c < bots.size(); ++c) {
      const auto& a = swept.runs[c].metrics;
      const auto& b = alone[c].metrics;
      if (a.trades != b.trades || a.pnl != b.pnl || a.fees != b.fees ||
          a.max_drawdown != b.max_drawdown) {
        return state.SkipWithError(
            ("config " + std::to_string(c) + " differs between the sweep and its run alone")
                .c_str());
      }
    }
  }
  state.counters["configurations"] = static_cast<double>(bots.size());
  state.counters["passes"] = static_cast<double>(passes);
  state.counters["rerun_passes"] = static_cast<double>(reruns);
  state.counters["bars"] = static_cast<double>(market->inputs.size() / 3);
  state.counters["sweep_s"] = sweep_s;
  state.counters["sequential_s"] = sequential_s;
  state.counters["speedup"] = sweep_s > 0 ? sequential_s / sweep_s : 0;
  state.counters["sweep_cpu_s"] = sweep_cpu;
  state.counters["sequential_cpu_s"] = sequential_cpu;
  state.counters["cpu_speedup"] = sweep_cpu > 0 ? sequential_cpu / sweep_cpu : 0;
}
BENCHMARK(BM_SweepVsSequential)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_CaptureReplay(benchmark::State& state) {
  const std::string dir = shared_data();
  if (dir.empty()) return state.SkipWithError("BE_SHARED_DATA is not set");
  auto file = replay::CaptureFile::open(dir + "/captures/BINANCE.ws.1.0");
  if (!file) return state.SkipWithError(file.error().c_str());
  auto config = replay::derive_config(**file, feed::Venue::kBinance);
  if (!config) return state.SkipWithError(config.error().c_str());
  config->fold.paper.fill_model =
      state.range(0) ? oms::FillModel::kQueue : oms::FillModel::kOptimistic;
  const std::string symbol = config->instruments.front().symbol;
  const std::vector<std::string> bots = {
      R"({"name":"mm","symbol":")" + symbol +
      R"(","strategy":{"type":"market_maker","parameters":{"spread_bps":2,"skew_bps":1,)"
      R"("requote_bps":1,"order_size":0.01,"inventory_cap":1}}})"};
  std::uint64_t records = 0;
  for (auto _ : state) {
    replay::Backtest backtest(*config, bots, false);
    auto stats = replay::feed_capture(**file, feed::Venue::kBinance, *config,
                                      [&backtest](const Event& e) { backtest.market(e); });
    if (!stats) return state.SkipWithError(stats.error().c_str());
    records += stats->records;
    benchmark::DoNotOptimize(backtest.fold().hashes().combined);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(records));
  state.SetLabel(state.range(0) ? "queue" : "optimistic");
}
BENCHMARK(BM_CaptureReplay)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
