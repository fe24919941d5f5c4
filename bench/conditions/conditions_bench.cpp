// The shared condition engine against every bot evaluating its own conditions, and what an
// idle bot subscription costs in memory.
//
// Workload
//   100 symbols, one timeframe (1m). Each symbol has 5 distinct conditions (500 in all) over
//   5 indicator instances (500 in all):
//     rsi:14 crosses_below 30 | rsi:14 crosses_above 70 | ema:9 crosses_above ema:21
//     | macd.hist crosses_above 0 | bbands:20.lower above close
//   10,000 bots, bot b on symbol b % 100, each subscribed to 2 of its symbol's 5 conditions
//   (20,000 subscriptions, 40 per condition). Prices: a seeded random walk per symbol.
//   One benchmark iteration = one bar close on every symbol (100 bars); time per iteration is
//   the cost of one round of bar closes, triggers delivered to a counting sink included.
//   Peers in the same run, same bars, same bots:
//     Shared  ConditionEngine: each indicator instance updated once, each condition
//             evaluated once, triggers fanned out to the 40 subscribers.
//     PerBot  (the evaluation of tests/conditions/naive_conditions.hpp) every bot owns its
//     indicator instances and previous values and evaluates its
//             own 2 conditions (bots are indexed by symbol, so no bot is visited for another
//             symbol's bar: the naive side pays only for its own redundancy).
//   Before timing, both run 400 rounds from scratch and must deliver identical triggers
//   (condition, subscription, bot, bar, values) in identical order, else SkipWithError.
//   Target: Shared at least 20x cheaper per round than PerBot.
//
//   IdleSubscriptionMemory: heap bytes (glibc mallinfo2, in use) added by subscribing 10,000
//   more bots, once each, to the 500 existing conditions: the bookkeeping one idle
//   subscription costs beside the shared indicator windows (which it does not add to).
//   PerBotIndicatorMemory: for comparison, the heap bytes one bot's own two conditions with
//   their own indicator windows take in the PerBot design. Target: <= 4096 B per idle bot.
//
// Run with repetitions and read the medians; the machine is a shared, noisy 2-core VM:
//   build/cond/bench/conditions/conditions_bench --benchmark_repetitions=7
//       --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "strategies/conditions/engine.hpp"
#include "tests/conditions/naive_conditions.hpp"

namespace {

using namespace be;
using namespace be::cond;

constexpr std::uint32_t kSymbols = 100;
constexpr std::uint32_t kBots = 10'000;
constexpr std::uint32_t kPerSymbol = 5;
constexpr std::uint32_t kTimeframe = 60;
constexpr int kScale = 8;
constexpr Nanos kMinute = 60'000'000'000LL;
constexpr int kWalk = 4096;  // rounds of prices, cycled

ConditionDef condition(std::uint32_t symbol, std::uint32_t which) {
  ConditionDef d;
  d.instrument = InstrumentId{symbol};
  d.timeframe_seconds = kTimeframe;
  switch (which) {
    case 0:
      d.lhs = *indicator_operand("rsi:14");
      d.op = Op::kCrossesBelow;
      d.rhs = Operand::number(30);
      break;
    case 1:
      d.lhs = *indicator_operand("rsi:14");
      d.op = Op::kCrossesAbove;
      d.rhs = Operand::number(70);
      break;
    case 2:
      d.lhs = *indicator_operand("ema:9");
      d.op = Op::kCrossesAbove;
      d.rhs = *indicator_operand("ema:21");
      break;
    case 3:
      d.lhs = *indicator_operand("macd", "hist");
      d.op = Op::kCrossesAbove;
      d.rhs = Operand::number(0);
      break;
    default:
      d.lhs = *indicator_operand("bbands:20", "lower");
      d.op = Op::kAbove;
      d.rhs.kind = OperandKind::kClose;
      break;
  }
  return d;
}

std::uint32_t first_condition_of(std::uint32_t bot) {
  return (bot / kSymbols) % kPerSymbol;
}

// Closes of every symbol for kWalk rounds: a random walk with some trend so crossings happen.
const std::vector<std::int64_t>& walk() {
  static const std::vector<std::int64_t> closes = [] {
    std::vector<std::int64_t> out(static_cast<std::size_t>(kWalk) * kSymbols);
    std::mt19937_64 rng(7);
    for (std::uint32_t s = 0; s < kSymbols; ++s) {
      double p = 100.0 + s;
      for (int r = 0; r < kWalk; ++r) {
        p = std::max(1.0, p * (1.0 + (static_cast<double>(rng() % 2001) - 1000.0) * 1e-5));
        out[static_cast<std::size_t>(r) * kSymbols + s] = static_cast<std::int64_t>(p * 1e8);
      }
    }
    return out;
  }();
  return closes;
}

Bar bar_at(std::uint64_t round, std::uint32_t symbol) {
  Bar b;
  b.instrument = InstrumentId{symbol};
  b.interval_seconds = kTimeframe;
  b.open_time = static_cast<Nanos>(round) * kMinute;
  const std::int64_t c = walk()[(round % kWalk) * kSymbols + symbol];
  b.open = b.close = c;
  b.high = c + c / 1000;
  b.low = c - c / 1000;
  b.volume = 100'000'000;
  b.closed = 1;
  return b;
}

struct CountingSink final : TriggerSink {
  std::uint64_t count = 0;
  std::uint64_t checksum = 0;
  std::vector<Trigger>* record = nullptr;
  void on_trigger(const Trigger& t) noexcept override {
    ++count;
    checksum = checksum * 31 + t.subscription + static_cast<std::uint64_t>(t.bar_open_time);
    if (record != nullptr) record->push_back(t);
  }
};

// ---- Peers ----------------------------------------------------------------------------------

struct Shared {
  ConditionEngine engine;
  Shared() {
    for (std::uint32_t b = 0; b < kBots; ++b) {
      const std::uint32_t s = b % kSymbols;
      const std::uint32_t c = first_condition_of(b);
      (void)engine.subscribe(BotId{b}, condition(s, c));
      (void)engine.subscribe(BotId{b}, condition(s, (c + 1) % kPerSymbol));
    }
  }
  void round(std::uint64_t r, TriggerSink& sink) {
    for (std::uint32_t s = 0; s < kSymbols; ++s)
      engine.on_bar(bar_at(r, s), kScale, kScale, sink);
  }
};

// Every bot for itself: its own indicators, its own previous values, its own evaluation.
struct PerBot {
  struct Own {
    ConditionDef def;
    ConditionId condition;  // the shared engine's id, only to order triggers alike
    SubscriptionId subscription;
    std::optional<ta::AnyIndicator> lhs;
    std::optional<ta::AnyIndicator> rhs;
    bool has_previous = false;
    double previous_lhs = 0;
    double previous_rhs = 0;
  };
  struct OwnBot {
    BotId id;
    std::vector<Own> conditions;
  };
  std::vector<std::vector<OwnBot>> by_symbol{kSymbols};

  PerBot() {
    SubscriptionId next = 1;
    for (std::uint32_t b = 0; b < kBots; ++b) {
      const std::uint32_t s = b % kSymbols;
      OwnBot bot{BotId{b}, {}};
      const std::uint32_t c = first_condition_of(b);
      for (std::uint32_t which : {c, (c + 1) % kPerSymbol}) {
        Own o;
        o.def = condition(s, which);
        // Ids as the shared engine hands them out: conditions in first-subscription order.
        o.condition = 0;
        o.subscription = next++;
        if (o.def.lhs.kind == OperandKind::kIndicator) o.lhs.emplace(o.def.lhs.spec);
        if (o.def.rhs.kind == OperandKind::kIndicator) o.rhs.emplace(o.def.rhs.spec);
        bot.conditions.push_back(std::move(o));
      }
      by_symbol[s].push_back(std::move(bot));
    }
  }

  void round(std::uint64_t r, TriggerSink& sink) {
    for (std::uint32_t s = 0; s < kSymbols; ++s) {
      const Bar bar = bar_at(r, s);
      for (OwnBot& bot : by_symbol[s]) {
        for (Own& o : bot.conditions) {
          if (o.lhs) o.lhs->update(bar, kScale, kScale);
          if (o.rhs) o.rhs->update(bar, kScale, kScale);
          const double l = test::naive_value(o.def.lhs, o.lhs, bar, kScale);
          const double rv = test::naive_value(o.def.rhs, o.rhs, bar, kScale);
          const bool holds =
              test::naive_holds(o.def.op, l, rv, o.has_previous, o.previous_lhs, o.previous_rhs);
          if (holds) {
            sink.on_trigger(Trigger{o.condition, o.subscription, bot.id, bar.instrument,
                                    bar.interval_seconds, bar.open_time, l, rv});
          }
        }
      }
    }
  }
};

// Both peers from scratch over the same rounds: identical triggers in the shared order.
std::string verify() {
  static const std::string result = [] {
    Shared shared;
    PerBot per_bot;
    // Give the per-bot triggers the shared condition ids, then order as the engine does.
    for (auto& bots : per_bot.by_symbol)
      for (auto& bot : bots)
        for (auto& o : bot.conditions)
          o.condition = *shared.engine.condition_of(o.subscription);
    std::vector<Trigger> a;
    std::vector<Trigger> b;
    CountingSink sa;
    CountingSink sb;
    sa.record = &a;
    sb.record = &b;
    for (std::uint64_t r = 0; r < 400; ++r) {
      const std::size_t from = b.size();
      shared.round(r, sa);
      per_bot.round(r, sb);
      // Within one symbol's bar the shared order is (condition id, subscription id).
      std::stable_sort(b.begin() + static_cast<std::ptrdiff_t>(from), b.end(),
                       [](const Trigger& x, const Trigger& y) {
                         if (x.instrument != y.instrument)
                           return index_of(x.instrument) < index_of(y.instrument);
                         return x.condition != y.condition ? x.condition < y.condition
                                                           : x.subscription < y.subscription;
                       });
    }
    if (a.size() != b.size()) {
      return "trigger counts differ: shared " + std::to_string(a.size()) + ", per-bot " +
             std::to_string(b.size());
    }
    if (a.size() < 1000) return "too few triggers to mean anything: " + std::to_string(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      const Trigger& x = a[i];
      const Trigger& y = b[i];
      if (x.condition != y.condition || x.subscription != y.subscription || x.bot != y.bot ||
          x.bar_open_time != y.bar_open_time || x.lhs != y.lhs || x.rhs != y.rhs) {
        return "trigger " + std::to_string(i) + " differs";
      }
    }
    return std::string();
  }();
  return result;
}

template <class Peer>
void run_rounds(benchmark::State& state) {
  if (const std::string err = verify(); !err.empty()) {
    state.SkipWithError(err.c_str());
    return;
  }
  Peer peer;
  CountingSink sink;
  std::uint64_t r = 0;
  for (; r < 200; ++r)
    peer.round(r, sink);  // warm-up: every indicator ready
  const std::uint64_t warm = sink.count;
  for (auto _ : state) {
    peer.round(r++, sink);
  }
  benchmark::DoNotOptimize(sink.checksum);
  state.counters["bars_per_round"] = kSymbols;
  state.counters["triggers_per_round"] = benchmark::Counter(
      static_cast<double>(sink.count - warm) / static_cast<double>(state.iterations()));
  state.counters["ns_per_bar"] =
      benchmark::Counter(static_cast<double>(kSymbols) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_Shared(benchmark::State& state) {
  run_rounds<Shared>(state);
}
void BM_PerBot(benchmark::State& state) {
  run_rounds<PerBot>(state);
}
BENCHMARK(BM_Shared)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PerBot)->Unit(benchmark::kMicrosecond);

std::size_t heap_in_use() {
  return mallinfo2().uordblks;
}

void BM_IdleSubscriptionMemory(benchmark::State& state) {
  for (auto _ : state) {
    ConditionEngine engine;
    for (std::uint32_t s = 0; s < kSymbols; ++s)
      for (std::uint32_t c = 0; c < kPerSymbol; ++c)
        (void)engine.subscribe(BotId{0}, condition(s, c));  // the conditions and windows exist
    const std::size_t before = heap_in_use();
    for (std::uint32_t b = 1; b <= kBots; ++b)
      (void)engine.subscribe(BotId{b}, condition(b % kSymbols, b % kPerSymbol));
    const std::size_t after = heap_in_use();
    if (engine.condition_count() != kSymbols * kPerSymbol ||
        engine.indicator_count() != kSymbols * kPerSymbol) {
      state.SkipWithError("idle subscriptions created conditions or indicators");
      return;
    }
    state.counters["bytes_per_subscription"] =
        static_cast<double>(after - before) / static_cast<double>(kBots);
  }
}
BENCHMARK(BM_IdleSubscriptionMemory)->Iterations(1);

void BM_PerBotIndicatorMemory(benchmark::State& state) {
  for (auto _ : state) {
    const std::size_t before = heap_in_use();
    auto* per_bot = new PerBot();
    const std::size_t after = heap_in_use();
    delete per_bot;
    state.counters["bytes_per_bot"] =
        static_cast<double>(after - before) / static_cast<double>(kBots);
  }
}
BENCHMARK(BM_PerBotIndicatorMemory)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
