// Memory per idle bot, by type: the strategies issue's target is at most 4 KiB per idle bot
// beside its indicator windows.
//
// Workload: 10,000 bots of one type are created from their JSON config (the registry path the
// control API uses) and kept; the heap grows by what they hold. glibc's mallinfo2() reports
// the bytes in use before and after, so the figure includes allocator overhead per block and
// the indicator windows too: it is an upper bound of the target's "beside its windows".
// Verification before measuring: every config creates a bot of the expected type.
//
// Counter: bytes_per_bot.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <memory>
#include <string>
#include <vector>

#include "strategies/bots/registry.hpp"

namespace {

using namespace be;
using namespace be::bots;

struct Case {
  const char* type;
  const char* params;
  std::size_t window_doubles;  // doubles held in indicator rings for these parameters
};

// Ring sizes follow the indicators' constructors (period-length windows of doubles).
const Case kCases[] = {
    {"rsi", R"({"period":14,"quantity":0.01})", 0},
    {"ma_cross", R"({"ma":"sma","fast":9,"slow":21,"quantity":0.01})", 9 + 21 + 9 + 21},
    {"momentum", R"({"period":10,"quantity":0.01})", 11},
    {"macd_bollinger", R"({"quantity":0.01})", 20 + 20},
    {"custom", R"({"entry_logic":{"name":"RSIBBVolumeEntryMixin"},
                   "exit_logic":{"name":"ATRExitMixin"},"position_size":0.1})",
     20 + 20 + 20},
    {"dca", R"({"base_order_quote":10,"take_profit_pct":1})", 0},
    {"grid", R"({"lower":45000,"upper":58000,"grids":26,"quantity_per_grid":0.001})", 0},
    {"market_maker", R"({"spread_bps":10,"order_size":0.01,"inventory_cap":0.03})", 0},
};

InstrumentInfo btcusdt() {
  InstrumentInfo info;
  info.tick_size = 1'000'000;
  info.step_size = 1'000;
  return info;
}

void BM_IdleBotMemory(benchmark::State& state) {
  const Case& c = kCases[state.range(0)];
  static const InstrumentInfo info = btcusdt();
  const std::string json = std::string(R"({"name":"b","symbol":"BTCUSDT","strategy":{"type":")") +
                           c.type + R"(","parameters":)" + c.params + "}}";
  auto resolve = [](std::string_view, std::string_view) { return &info; };
  {
    auto probe = BotRegistry::builtin().create(json, BotId{0}, resolve);
    if (!probe.has_value() || probe->bot->type_name() != c.type) {
      state.SkipWithError("the config does not create the expected bot type");
      return;
    }
  }
  constexpr int kBots = 10'000;
  double per_bot = 0;
  for (auto _ : state) {
    std::vector<std::unique_ptr<Bot>> bots;
    bots.reserve(kBots);
    const std::size_t before = mallinfo2().uordblks;
    for (int i = 0; i < kBots; ++i) {
      auto created =
          BotRegistry::builtin().create(json, BotId{static_cast<std::uint32_t>(i)}, resolve);
      bots.push_back(std::move(created->bot));  // the config copy is dropped with `created`
    }
    const std::size_t after = mallinfo2().uordblks;
    per_bot = static_cast<double>(after - before) / kBots;
    benchmark::DoNotOptimize(bots.data());
  }
  state.SetLabel(c.type);
  state.counters["bytes_per_bot"] = per_bot;
}
BENCHMARK(BM_IdleBotMemory)
    ->DenseRange(0, std::size(kCases) - 1)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
