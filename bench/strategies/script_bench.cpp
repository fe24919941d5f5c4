// What a Lua script strategy costs (strategies/script/, docs/STRATEGIES.md), against the
// built-in C++ bot it rewrites, in the same run.
//
// Workload
//   Input: the 10,080 one-minute bars of BTCUSDT 2021-02-19..25 from $BE_SHARED_DATA
//   (candles-1m), or, when the data is absent, a seeded random walk of the same length (the
//   output says which). Bars cycle; each bot is warmed up over one full pass before timing.
//   The context fills a market order at once (position moves, then an order update "filled"
//   reaches the bot), allocates nothing and reads no clock.
//   ScriptOnTradeReadingIndicator  one on_trade call of a script whose on_trade reads one
//                                  indicator (bot.value of RSI 14) and returns. Target <= 200 ns.
//   RsiBuiltin / RsiScript         one closed bar into the built-in "rsi" bot / into
//                                  examples/rsi.lua (its indicator update, the Lua call, the
//                                  rule, and any order). Target: the script <= max(3x the
//                                  built-in, 300 ns).
//   ThousandRsiScriptBots          1,000 RSI script bots created and fed 240 bars: the
//                                  heap held per bot all-in (bytes_per_bot, malloc's bytes
//                                  in use). Target <= 64 KiB.
//   RsiScript also reports lua_heap_bytes: the script's whole Lua heap after the run.
//   Before timing, the script's orders over the whole series are compared with the built-in
//   bot's (bar, side, quantity, flags): any difference fails the benchmark (SkipWithError).
//
// Run with repetitions and read the medians (a shared, noisy 2-core VM):
//   BE_SHARED_DATA=../shared/data build/release/bench/strategies/script_bench
//       --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <malloc.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "feed/candle_file.hpp"
#include "strategies/bots/registry.hpp"
#include "strategies/script/script_bot.hpp"

namespace {

using namespace be;

bots::InstrumentInfo btcusdt() {
  bots::InstrumentInfo info;
  info.price_scale = info.qty_scale = 8;
  info.tick_size = 1'000'000;
  info.step_size = 1'000;
  return info;
}

struct Series {
  std::string source;
  std::vector<Bar> bars;
};

const Series& series() {
  static const Series s = [] {
    Series out;
    if (const char* dir = std::getenv("BE_SHARED_DATA")) {
      auto c =
          replay::load_candles(std::string(dir) + "/candles-1m/BTCUSDT_2021-02-19_1week_1m.json");
      if (c) {
        out.source = "BTCUSDT 1m week";
        out.bars = c->bars;
      }
    }
    if (out.bars.empty()) {
      out.source = "seeded random walk";
      bots::SeededRng rng(7);
      std::int64_t price = 50'000'00000000;
      for (int i = 0; i < 10'080; ++i) {
        price += static_cast<std::int64_t>(rng.next() % 4'000'00000000) - 2'000'00000000;
        Bar b;
        b.open_time = static_cast<Nanos>(i) * 60'000'000'000LL;
        b.open = b.high = b.low = b.close = price;
        out.bars.push_back(b);
      }
    }
    for (Bar& b : out.bars) {
      b.closed = 1;
      b.interval_seconds = 60;
    }
    return out;
  }();
  return s;
}

// Fills every order at once; keeps the last few for the check, without allocating.
class BenchContext final : public bots::BotContext {
 public:
  Nanos now() const noexcept override { return now_; }
  void submit(const OrderIntent& intent) noexcept override {
    position_ += intent.side == Side::kBuy ? intent.quantity : -intent.quantity;
    pending_ = intent;
    has_pending_ = true;
    ++submitted;
    digest = digest * 1'000'003 + static_cast<std::uint64_t>(intent.quantity) * 31 +
             static_cast<std::uint64_t>(intent.side) * 7 + intent.flags + bar_ * 131;
  }
  void cancel(InstrumentId, std::uint32_t) noexcept override {}
  void set_timer(std::uint32_t, Nanos) noexcept override {}
  const bots::InstrumentInfo* instrument(InstrumentId) const noexcept override { return &info_; }
  std::int64_t position(InstrumentId) const noexcept override { return position_; }
  bool tradable(InstrumentId) const noexcept override { return true; }
  std::int64_t available_quote(InstrumentId) const noexcept override { return 1'000'000'000; }

  void bar(bots::Bot& bot, const Bar& b, std::uint64_t index) {
    now_ = b.open_time + 60'000'000'000LL;
    bar_ = index;
    bot.on_bar(b, *this);
    if (has_pending_) {
      has_pending_ = false;
      bot.on_order_update({pending_.instrument, pending_.tag, bots::BotOrderStatus::kFilled,
                           pending_.side, pending_.price, pending_.quantity, pending_.quantity},
                          *this);
    }
  }

  std::uint64_t submitted = 0;
  std::uint64_t digest = 0;

 private:
  bots::InstrumentInfo info_ = btcusdt();
  Nanos now_ = 0;
  std::uint64_t bar_ = 0;
  std::int64_t position_ = 0;
  OrderIntent pending_;
  bool has_pending_ = false;
};

bots::InstrumentResolver resolver() {
  static const bots::InstrumentInfo info = btcusdt();
  return [](std::string_view, std::string_view) { return &info; };
}

std::unique_ptr<bots::Bot> make(const std::string& type, const std::string& parameters) {
  auto created =
      bots::BotRegistry::builtin().create(R"({"name":"b","symbol":"BTCUSDT","strategy":{"type":")" +
                                              type + R"(","parameters":)" + parameters + "}}",
                                          BotId{1}, resolver());
  return created.has_value() ? std::move(created->bot) : nullptr;
}

std::string json_string(const std::string& text) {
  std::string out;
  config::append_json_string(out, text);
  return out;
}

std::unique_ptr<bots::Bot> make_rsi_script() {
  std::ifstream in(std::string(BE_SOURCE_DIR) + "/examples/rsi.lua");
  const std::string source((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return make("script", R"({"source":)" + json_string(source) +
                            R"(,"inputs":{"period":14,"oversold":30,"overbought":70,)"
                            R"("quantity":"0.01"}})");
}

std::unique_ptr<bots::Bot> make_rsi_builtin() {
  return make("rsi", R"({"period":14,"oversold":30,"overbought":70,"quantity":0.01})");
}

// The orders of one pass over the series, as a digest.
std::uint64_t pass_digest(bots::Bot& bot) {
  BenchContext ctx;
  const auto& bars = series().bars;
  for (std::size_t i = 0; i < bars.size(); ++i)
    ctx.bar(bot, bars[i], i);
  return ctx.digest ^ ctx.submitted;
}

void per_bar(benchmark::State& state, std::unique_ptr<bots::Bot> (*factory)()) {
  auto check_script = make_rsi_script();
  auto check_builtin = make_rsi_builtin();
  if (!check_script || !check_builtin) {
    state.SkipWithError("a bot could not be created");
    return;
  }
  if (pass_digest(*check_script) != pass_digest(*check_builtin) ||
      !check_script->failure().empty()) {
    state.SkipWithError("examples/rsi.lua does not trade as the built-in rsi bot");
    return;
  }
  auto bot = factory();
  BenchContext ctx;
  const auto& bars = series().bars;
  for (std::size_t i = 0; i < bars.size(); ++i)
    ctx.bar(*bot, bars[i], i);  // warm-up
  std::size_t i = 0;
  for (auto _ : state) {
    ctx.bar(*bot, bars[i], i);
    if (++i == bars.size()) i = 0;
  }
  if (!bot->failure().empty()) state.SkipWithError(std::string(bot->failure()).c_str());
  if (const auto* script = dynamic_cast<const script::ScriptBot*>(bot.get())) {
    state.counters["lua_heap_bytes"] = static_cast<double>(script->host().heap_bytes());
  }
  state.SetLabel(series().source);
}

void RsiBuiltin(benchmark::State& state) {
  per_bar(state, &make_rsi_builtin);
}
void RsiScript(benchmark::State& state) {
  per_bar(state, &make_rsi_script);
}

void ScriptOnTradeReadingIndicator(benchmark::State& state) {
  auto bot = make("script", R"({"source":)" +
                                json_string("local rsi = bot.indicator('rsi:14')\n"
                                            "function on_trade(price, quantity, side)\n"
                                            "  local value = bot.value(rsi)\n"
                                            "end") +
                                "}");
  if (!bot) {
    state.SkipWithError("the script bot could not be created");
    return;
  }
  BenchContext ctx;
  const auto& bars = series().bars;
  for (std::size_t i = 0; i < 100; ++i)
    ctx.bar(*bot, bars[i], i);  // the indicator is ready
  Trade trade;
  trade.aggressor = Side::kBuy;
  trade.quantity = 1'000'000;
  std::size_t i = 0;
  for (auto _ : state) {
    trade.price = bars[i].close;
    bot->on_trade(trade, ctx);
    if (++i == bars.size()) i = 0;
  }
  if (!bot->failure().empty()) state.SkipWithError(std::string(bot->failure()).c_str());
  state.SetLabel(series().source);
}

// 1,000 RSI script bots in one process, each fed four hours of bars (its state is then full
// size): the heap they hold all-in (malloc's bytes in use: the Lua states, the bots, their
// indicators) per bot. Target (issue 19): at most 64 KiB per bot.
void ThousandRsiScriptBots(benchmark::State& state) {
  constexpr int kBots = 1000;
  double per_bot = 0;
  for (auto _ : state) {
    const std::size_t before = mallinfo2().uordblks;
    std::vector<std::unique_ptr<bots::Bot>> bots;
    bots.reserve(kBots);
    for (int i = 0; i < kBots; ++i)
      bots.push_back(make_rsi_script());
    BenchContext ctx;
    const auto& bars = series().bars;
    for (auto& bot : bots) {
      for (std::size_t i = 0; i < 240; ++i)
        ctx.bar(*bot, bars[i], i);
    }
    per_bot = static_cast<double>(mallinfo2().uordblks - before) / kBots;
    for (const auto& bot : bots) {
      if (!bot->failure().empty()) state.SkipWithError(std::string(bot->failure()).c_str());
    }
  }
  state.counters["bytes_per_bot"] = per_bot;
  state.SetLabel(series().source);
}

BENCHMARK(ScriptOnTradeReadingIndicator);
BENCHMARK(ThousandRsiScriptBots)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(RsiBuiltin);
BENCHMARK(RsiScript);

}  // namespace

BENCHMARK_MAIN();
