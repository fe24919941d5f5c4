// The shared engine against its naive twin (STYLE.md 6): the same subscriptions and bars,
// identical triggers in identical order, over a long seeded random session and over real
// candles. State hashes and snapshots are checked along the way.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "feed/candle_file.hpp"
#include "strategies/conditions/engine.hpp"
#include "strategies/market/bar_aggregator.hpp"
#include "tests/conditions/naive_conditions.hpp"
#include "tests/conditions/test_util.hpp"

namespace be::cond::test {
namespace {

// Runs one bar through both and compares; returns the number of triggers.
std::size_t step(ConditionEngine& shared, NaiveWorld& naive, const Bar& bar, RecordingSink& sink) {
  sink.triggers.clear();
  shared.on_bar(bar, kScale, kScale, sink);
  const auto expected = naive.on_bar(bar, kScale, kScale);
  EXPECT_EQ(sink.triggers.size(), expected.size())
      << "bar instr " << index_of(bar.instrument) << " tf " << bar.interval_seconds << " t "
      << bar.open_time;
  const std::size_t n = std::min(sink.triggers.size(), expected.size());
  for (std::size_t i = 0; i < n; ++i) {
    EXPECT_TRUE(same(sink.triggers[i], expected[i]))
        << "trigger " << i << ": shared " << describe(sink.triggers[i]) << " naive "
        << describe(expected[i]);
  }
  return sink.triggers.size();
}

// A pool of conditions with deliberate overlap: different spellings of one condition, one
// indicator used by several conditions, indicator-vs-indicator and price comparisons.
std::vector<ConditionDef> condition_pool(std::uint32_t instruments,
                                         const std::vector<std::uint32_t>& timeframes) {
  struct Left {
    const char* spec;
    const char* output;
    std::vector<double> levels;
  };
  const std::vector<Left> lefts = {
      {"rsi:14", "", {30, 50, 70}},
      {"rsi:7", "", {30, 70}},
      {"ema:9", "", {}},
      {"ema:21", "", {}},
      {"sma:20", "", {}},
      {"macd", "macd", {0}},
      {"macd:26:12:9", "signal", {0}},
      {"macd:12:26:9", "hist", {0}},
      {"bbands:20", "lower", {}},
      {"bbands:20:2:2", "upper", {}},
      {"stoch", "k", {20, 80}},
      {"stoch:5:3:3", "d", {20, 80}},
      {"atr:14", "", {0.5, 1.0}},
      {"roc:10", "", {0}},
      {"mom:10", "", {0}},
      {"vwap:20", "", {}},
  };
  const Op ops[] = {Op::kAbove, Op::kBelow, Op::kCrossesAbove, Op::kCrossesBelow};
  std::vector<ConditionDef> out;
  for (std::uint32_t instr = 0; instr < instruments; ++instr) {
    for (std::uint32_t tf : timeframes) {
      for (const Left& l : lefts) {
        for (Op op : ops) {
          for (double level : l.levels)
            out.push_back(indicator_vs(instr, tf, l.spec, op, Operand::number(level), l.output));
          if (l.levels.empty() || std::string(l.spec) == "macd") {
            out.push_back(indicator_vs(instr, tf, l.spec, op, close_price(), l.output));
            out.push_back(
                indicator_vs(instr, tf, l.spec, op, *indicator_operand("ema:21"), l.output));
          }
        }
      }
    }
  }
  return out;
}

TEST(ConditionTwin, shouldMatchNaivePerBotEvaluationOverALongRandomSession) {
  constexpr std::uint32_t kInstruments = 6;
  const std::vector<std::uint32_t> timeframes = {60, 300};
  constexpr std::uint32_t kBots = 60;
  constexpr int kMinutes = 6000;
  auto pool = condition_pool(kInstruments, timeframes);
  std::mt19937_64 rng(20261123);
  std::shuffle(pool.begin(), pool.end(), rng);
  ConditionEngine shared;
  NaiveWorld naive;
  std::vector<SubscriptionId> live;

  const auto subscribe_random = [&] {
    const BotId bot{static_cast<std::uint32_t>(rng() % kBots)};
    // Skewed choice: low indices far more often, so many bots overlap on few conditions.
    const std::size_t a = rng() % pool.size();
    const std::size_t b = rng() % pool.size();
    const ConditionDef& def = pool[std::min(a, b)];
    auto id = shared.subscribe(bot, def);
    ASSERT_TRUE(id) << id.error();
    ASSERT_EQ(*id, naive.subscribe(bot, def));
    live.push_back(*id);
  };
  for (int i = 0; i < 400; ++i)
    subscribe_random();

  std::vector<double> price(kInstruments);
  for (std::uint32_t i = 0; i < kInstruments; ++i)
    price[i] = 100.0 + 37.0 * i;
  std::vector<Bar> five(kInstruments);
  std::size_t triggers = 0;
  RecordingSink sink;
  for (int m = 0; m < kMinutes; ++m) {
    const Nanos t = m * kMinute;
    for (std::uint32_t i = 0; i < kInstruments; ++i) {
      price[i] = std::max(1.0, price[i] + (static_cast<double>(rng() % 2001) - 1000.0) / 1000.0);
      Bar bar = make_bar(i, 60, t, price[i]);
      bar.high = bar.close + static_cast<std::int64_t>(rng() % 50'000'000);
      bar.low = bar.close - static_cast<std::int64_t>(rng() % 50'000'000);
      bar.volume = static_cast<std::int64_t>(rng() % (100 * kOne)) + 1;
      triggers += step(shared, naive, bar, sink);
      // A 5m bar folded from the 1m bars, emitted after the last of them.
      Bar& f = five[i];
      if (m % 5 == 0) {
        f = bar;
        f.interval_seconds = 300;
      } else {
        f.high = std::max(f.high, bar.high);
        f.low = std::min(f.low, bar.low);
        f.close = bar.close;
        f.volume += bar.volume;
      }
      if (m % 5 == 4) triggers += step(shared, naive, f, sink);
      if (::testing::Test::HasFailure()) return;
    }
    // Churn: subscribe and unsubscribe midway, both ways.
    if (rng() % 4 == 0) subscribe_random();
    if (rng() % 4 == 0 && !live.empty()) {
      const std::size_t k = rng() % live.size();
      ASSERT_TRUE(shared.unsubscribe(live[k]));
      ASSERT_TRUE(naive.unsubscribe(live[k]));
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(k));
    }
    if (m == kMinutes / 2) {
      // A bot leaves entirely (its subscriptions in both worlds).
      const BotId gone{3};
      std::vector<SubscriptionId> mine;
      for (SubscriptionId s : live) {
        auto st = shared.condition_stats(*shared.condition_of(s));
        for (const Subscriber& sub : st->subscribers)
          if (sub.subscription == s && sub.bot == gone) mine.push_back(s);
      }
      EXPECT_EQ(shared.unsubscribe_bot(gone), mine.size());
      for (SubscriptionId s : mine) {
        naive.unsubscribe(s);
        std::erase(live, s);
      }
    }
    if (m % 500 == 0) {
      ASSERT_EQ(shared.subscription_count(), naive.subscription_count());
      ASSERT_EQ(shared.condition_count(), naive.distinct_conditions());
      // A restored copy must hash the same as the live engine.
      std::vector<std::byte> bytes;
      shared.save(bytes);
      ConditionEngine copy;
      ASSERT_FALSE(copy.restore(bytes).has_value());
      ASSERT_EQ(copy.state_hash(), shared.state_hash());
    }
  }
  // The session must have exercised sharing and produced plenty of triggers of every kind.
  EXPECT_GT(triggers, 10'000u);
  EXPECT_GT(shared.subscription_count(), shared.condition_count());
  EXPECT_LT(shared.indicator_count(), shared.condition_count());
  std::map<Op, int> fired_ops;
  for (const auto& st : shared.all_condition_stats()) {
    if (st.triggers > 0)
      ++fired_ops[st.canonical.find("crosses") != std::string::npos ? Op::kCrossesAbove
                                                                    : Op::kAbove];
  }
  EXPECT_GT(fired_ops[Op::kCrossesAbove], 0);
  EXPECT_GT(fired_ops[Op::kAbove], 0);
}

// The candle file from $BE_SHARED_DATA, or nullopt with the reason in `why`.
std::optional<replay::Candles> load_shared(const std::string& name, std::uint32_t instrument,
                                           std::string& why) {
  const char* dir = std::getenv("BE_SHARED_DATA");
  if (dir == nullptr || *dir == '\0') {
    why = "BE_SHARED_DATA is not set (ctest sets it to shared/data)";
    return std::nullopt;
  }
  replay::CandleOptions options;
  options.instrument = InstrumentId{instrument};
  auto candles = replay::load_candles(std::string(dir) + "/candles-1m/" + name, options);
  if (!candles) {
    why = "real candles absent: " + candles.error().message;
    return std::nullopt;
  }
  return std::move(*candles);
}

TEST(ConditionTwin, shouldMatchNaiveEvaluationOnRealCandlesAcrossTimeframes) {
  std::string why;
  auto btc = load_shared("BTCUSDT_2021-02-19_1week_1m.json", 0, why);
  auto dash = load_shared("DASHUSDT_2020-09-09_1week_1m.json", 1, why);
  if (!btc || !dash) GTEST_SKIP() << why;
  ConditionEngine shared;
  NaiveWorld naive;
  const std::vector<std::uint32_t> timeframes = {60, 900, 3600};
  const auto pool = condition_pool(2, timeframes);
  std::uint32_t bot = 0;
  for (std::size_t i = 0; i < pool.size(); i += 2) {
    for (int copies = 0; copies < 3; ++copies) {
      const BotId b{bot++ % 50};
      ASSERT_EQ(*shared.subscribe(b, pool[i]), naive.subscribe(b, pool[i]));
    }
  }
  RecordingSink sink;
  std::size_t triggers = 0;
  std::vector<BarAggregator> up;
  for (std::uint32_t instr = 0; instr < 2; ++instr) {
    up.emplace_back(InstrumentId{instr}, 900);
    up.emplace_back(InstrumentId{instr}, 3600);
  }
  const std::size_t n = std::min(btc->size(), dash->size());
  for (std::size_t i = 0; i < n; ++i) {
    for (std::uint32_t instr = 0; instr < 2; ++instr) {
      Bar bar = (instr == 0 ? btc : dash)->bars[i];
      // Both weeks start on the same weekday and minute; line them up in time.
      bar.open_time = btc->bars[i].open_time;
      triggers += step(shared, naive, bar, sink);
      for (std::size_t a = instr * 2; a < instr * 2 + 2; ++a) {
        up[a].on_bar(bar,
                     [&](const Bar& higher) { triggers += step(shared, naive, higher, sink); });
      }
      if (::testing::Test::HasFailure()) return;
    }
  }
  EXPECT_GT(triggers, 1000u);
  EXPECT_EQ(shared.stats().bars_late, 0u);
}

TEST(ConditionTwin, shouldFireRsiCrossingsWhereAHandWrittenRsiCrosses) {
  std::string why;
  auto btc = load_shared("BTCUSDT_2021-02-19_1week_1m.json", 0, why);
  if (!btc) GTEST_SKIP() << why;
  ConditionEngine shared;
  ASSERT_TRUE(shared.subscribe(
      BotId{1}, indicator_vs(0, 60, "rsi:14", Op::kCrossesBelow, Operand::number(30))));
  RecordingSink sink;
  std::vector<Nanos> expected;
  ta::Rsi rsi(14);
  bool has_prev = false;
  double prev = 0;
  for (const Bar& bar : btc->bars) {
    shared.on_bar(bar, kScale, kScale, sink);
    if (!rsi.update(bar, kScale, kScale)) continue;
    if (has_prev && prev >= 30 && rsi.value() < 30) expected.push_back(bar.open_time);
    has_prev = true;
    prev = rsi.value();
  }
  ASSERT_GT(expected.size(), 10u);
  ASSERT_EQ(sink.triggers.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i)
    EXPECT_EQ(sink.triggers[i].bar_open_time, expected[i]);
}

}  // namespace
}  // namespace be::cond::test
