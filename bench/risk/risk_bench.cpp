// Pre-trade check cost: RiskEngine::check() per order.
//
// Workload: 64 bots in 8 accounts, 4 instruments (price scale 2, qty scale 3, tick 0.05,
// step 0.010, min notional 5.00), every bot and account limit configured (order quantity
// and notional, position quantity and notional, open orders, daily loss, drawdown, daily
// trades, price band, order token bucket), spot balance check on (so a buy scans the 4
// instruments for reserved quote). Positions and resting orders exist on every bot. 4096
// pre-generated intents (seeded): 80% are accepted, the rest rejected by band, tick, step or
// position limits; event time advances 1 ms per check so the token buckets refill.
//
// Benchmarks, measured in the same run:
//   BM_CheckMixed        the workload above, batch-timed: mean ns per check
//   BM_CheckKilled       peer floor: the same intents on a killed bot (first rule rejects)
//   BM_CheckPercentiles  each check timed alone with rdtsc; reports p50/p90/p99/p999 in ns
//                        (counters), the timer overhead (measured on empty pairs) removed.
// Before timing, each benchmark verifies that two engines fed the workload make identical
// decisions with the expected accept/reject mix (STYLE.md 9); a mismatch is SkipWithError.
#include <benchmark/benchmark.h>
#include <x86intrin.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <vector>

#include "risk/risk_engine.hpp"

namespace {

using namespace be;
using namespace be::risk;

constexpr std::uint32_t kBots = 64;
constexpr std::uint32_t kAccounts = 8;
constexpr std::uint32_t kInstruments = 4;
constexpr std::uint32_t kAssets = 4;  // 0: USDT, 1..3: bases
constexpr std::size_t kIntents = 4096;
constexpr Nanos kStart = 20'000LL * 86'400'000'000'000LL + 3'600'000'000'000LL;
constexpr std::int64_t kPrice = 10'000;  // 100.00

Limits limits(bool account) {
  Limits l;
  l.max_order_quantity = 5'000;
  l.max_order_notional = 100'000;
  l.max_position_quantity = account ? 400'000 : 50'000;
  l.max_position_notional = account ? 50'000'000 : 6'000'000;
  l.max_open_orders = account ? 1'000 : 100;
  l.max_daily_loss = 10'000'000;
  l.max_drawdown = 20'000'000;
  l.max_daily_trades = 4'000'000'000u;
  l.order_rate_count = 100'000;
  l.order_rate_window_ns = 1'000'000'000;
  l.price_band_bps = 500;
  return l;
}

void build(RiskEngine& e) {
  for (std::uint32_t i = 0; i < kInstruments; ++i) {
    InstrumentDefined d;
    d.instrument = InstrumentId{i};
    d.price_scale = 2;
    d.qty_scale = 3;
    d.tick_size = 5;
    d.step_size = 10;
    d.min_notional = 500;
    e.define_instrument(d, AssetId{static_cast<std::uint16_t>(i % 3 + 1)}, AssetId{0});
  }
  for (std::uint32_t a = 0; a < kAccounts; ++a) {
    AccountConfig c;
    c.limits = limits(true);
    c.check_balance = 1;
    e.configure_account(AccountId{a}, c);
    for (std::uint16_t s = 0; s < kAssets; ++s) {
      e.apply_balance(BalanceInput{AccountId{a}, AssetId{s}, 1'000'000'000'000});
    }
  }
  BotConfig bc;
  bc.limits = limits(false);
  bc.protection.stop_loss_bps = 2'000;
  for (std::uint32_t b = 0; b < kBots; ++b) {
    e.configure_bot(BotId{b}, AccountId{b % kAccounts}, bc);
  }
  std::vector<OrderIntent> exits(8);
  for (std::uint32_t i = 0; i < kInstruments; ++i) {
    Trade t;
    t.instrument = InstrumentId{i};
    t.price = kPrice;
    e.apply_trade(t, kStart, exits);
  }
  for (std::uint32_t b = 0; b < kBots; ++b) {
    for (std::uint32_t i = 0; i < kInstruments; ++i) {
      FillInput f{
          BotId{b}, InstrumentId{i}, b % 2 ? Side::kBuy : Side::kSell, false, kPrice, 1'000, 1, 0};
      e.apply_fill(f, kStart);
      e.apply_order_opened(OrderInput{BotId{b}, InstrumentId{i}, Side::kBuy, 9'900, 500});
    }
  }
}

std::vector<OrderIntent> workload() {
  std::mt19937_64 rng(42);
  std::vector<OrderIntent> out(kIntents);
  for (OrderIntent& in : out) {
    in.bot = BotId{static_cast<std::uint32_t>(rng() % kBots)};
    in.instrument = InstrumentId{static_cast<std::uint32_t>(rng() % kInstruments)};
    in.side = rng() % 2 ? Side::kBuy : Side::kSell;
    in.type = rng() % 5 == 0 ? OrderType::kMarket : OrderType::kLimit;
    in.quantity = static_cast<std::int64_t>(1 + rng() % 200) * 10;
    if (in.type == OrderType::kLimit) {
      in.price = kPrice + (static_cast<std::int64_t>(rng() % 41) - 20) * 5;
    }
    const auto bad = rng() % 20;                   // ~20% rejected, for a realistic mix of paths
    if (bad == 0) in.price = kPrice * 2;           // price band
    if (bad == 1 && in.price != 0) in.price += 1;  // tick
    if (bad == 2) in.quantity += 3;                // step
    if (bad == 3) in.quantity = 60'000;            // order quantity
  }
  return out;
}

// Two engines, same inputs: same decisions, expected mix. Returns "" when verified.
const char* verify(const std::vector<OrderIntent>& intents, bool killed) {
  RiskEngine a{Capacity{kBots, kAccounts, kInstruments, kAssets}};
  RiskEngine b{Capacity{kBots, kAccounts, kInstruments, kAssets}};
  build(a);
  build(b);
  if (killed) {
    a.set_kill_switch(Scope::kGlobal, 0);
    b.set_kill_switch(Scope::kGlobal, 0);
  }
  std::size_t accepted = 0;
  Nanos t = kStart;
  for (int round = 0; round < 4; ++round) {
    for (const OrderIntent& in : intents) {
      t += 1'000'000;
      const Decision da = a.check(in, t);
      const Decision db = b.check(in, t);
      if (da.reject.reason != db.reject.reason || da.quantity != db.quantity) {
        return "two engines disagree";
      }
      if (killed && da.reject.reason != RejectReason::kKillSwitch) return "kill switch missed";
      accepted += da.accepted() ? 1 : 0;
    }
  }
  if (a.state_hash() != b.state_hash()) return "state hashes differ";
  const std::size_t total = 4 * intents.size();
  if (!killed && (accepted < total * 7 / 10 || accepted > total * 9 / 10)) {
    return "accept ratio outside 70..90%";
  }
  return "";
}

void run_batch(benchmark::State& state, bool killed) {
  const std::vector<OrderIntent> intents = workload();
  if (const char* err = verify(intents, killed); *err != '\0') {
    state.SkipWithError(err);
    return;
  }
  RiskEngine engine{Capacity{kBots, kAccounts, kInstruments, kAssets}};
  build(engine);
  if (killed) engine.set_kill_switch(Scope::kGlobal, 0);
  Nanos t = kStart;
  std::size_t k = 0;
  std::size_t accepted = 0;
  for (auto _ : state) {
    t += 1'000'000;
    const Decision d = engine.check(intents[k], t);
    benchmark::DoNotOptimize(d);
    accepted += d.accepted() ? 1 : 0;
    k = (k + 1) & (kIntents - 1);
  }
  state.counters["accepted_pct"] =
      100.0 * static_cast<double>(accepted) / static_cast<double>(state.iterations());
}

void BM_CheckMixed(benchmark::State& state) {
  run_batch(state, false);
}
void BM_CheckKilled(benchmark::State& state) {
  run_batch(state, true);
}

std::uint64_t ticks() noexcept {
  _mm_lfence();
  const std::uint64_t v = __rdtsc();
  _mm_lfence();
  return v;
}

// TSC ticks per ns, measured against the steady clock over 50 ms (bench code: clocks are
// allowed here, never in risk/).
double ticks_per_ns() {
  const auto c0 = std::chrono::steady_clock::now();
  const std::uint64_t t0 = ticks();
  while (std::chrono::steady_clock::now() - c0 < std::chrono::milliseconds(50)) {
  }
  const std::uint64_t t1 = ticks();
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - c0)
          .count();
  return static_cast<double>(t1 - t0) / static_cast<double>(ns);
}

void BM_CheckPercentiles(benchmark::State& state) {
  const std::vector<OrderIntent> intents = workload();
  if (const char* err = verify(intents, false); *err != '\0') {
    state.SkipWithError(err);
    return;
  }
  const double per_ns = ticks_per_ns();
  RiskEngine engine{Capacity{kBots, kAccounts, kInstruments, kAssets}};
  build(engine);
  constexpr std::size_t kSamples = 1 << 16;
  std::vector<std::uint64_t> samples(kSamples);
  std::vector<std::uint64_t> overhead(kSamples);
  Nanos t = kStart;
  std::size_t total = 0;
  for (auto _ : state) {
    for (std::size_t k = 0; k < kSamples; ++k) {
      const std::uint64_t a = ticks();
      const std::uint64_t b = ticks();
      overhead[k] = b - a;
    }
    for (std::size_t k = 0; k < kSamples; ++k) {
      t += 1'000'000;
      const OrderIntent& in = intents[k & (kIntents - 1)];
      const std::uint64_t a = ticks();
      const Decision d = engine.check(in, t);
      benchmark::DoNotOptimize(d);
      const std::uint64_t b = ticks();
      samples[k] = b - a;
    }
    total += kSamples;
  }
  std::sort(overhead.begin(), overhead.end());
  std::sort(samples.begin(), samples.end());
  const double base = static_cast<double>(overhead[kSamples / 2]);
  const auto pct = [&](double p) {
    const double v = static_cast<double>(samples[static_cast<std::size_t>(p * (kSamples - 1))]);
    return std::max(0.0, v - base) / per_ns;
  };
  state.counters["p50_ns"] = pct(0.50);
  state.counters["p90_ns"] = pct(0.90);
  state.counters["p99_ns"] = pct(0.99);
  state.counters["p999_ns"] = pct(0.999);
  state.counters["timer_overhead_ns"] = base / per_ns;
  state.counters["checks"] = static_cast<double>(total);
}

BENCHMARK(BM_CheckMixed);
BENCHMARK(BM_CheckKilled);
BENCHMARK(BM_CheckPercentiles)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
