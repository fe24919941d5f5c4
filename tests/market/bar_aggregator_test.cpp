#include "strategies/market/bar_aggregator.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "tests/support/alloc_counter.hpp"
#include "tests/support/expect_payloads.hpp"

namespace be {
namespace {

constexpr Nanos kSecond = kNanosPerSecond;
constexpr Nanos kMinute = 60 * kSecond;
// 2021-02-19T00:00:00Z, the first bar of the BTC week in ../shared/data.
constexpr Nanos kDay0 = 1613692800LL * kSecond;
constexpr InstrumentId kBtc{1};

struct Collect {
  std::vector<Bar>* out;
  void operator()(const Bar& b) const { out->push_back(b); }
};

TEST(BarAggregator, shouldBuildOhlcvFromTradesAndCloseOnFirstTradeOfNextInterval) {
  BarAggregator agg(kBtc, 60);
  std::vector<Bar> bars;
  agg.on_trade(100, 5, kDay0 + 1 * kSecond, Collect{&bars});
  agg.on_trade(105, 1, kDay0 + 10 * kSecond, Collect{&bars});
  agg.on_trade(98, 2, kDay0 + 30 * kSecond, Collect{&bars});
  agg.on_trade(101, 3, kDay0 + 59 * kSecond + 999'999'999, Collect{&bars});
  EXPECT_TRUE(bars.empty()) << "the bar is still open: event time has not left the minute";
  agg.on_trade(102, 1, kDay0 + kMinute, Collect{&bars});
  ASSERT_EQ(bars.size(), 1u);
  test::expect_bar(bars[0], {.instrument = kBtc,
                             .interval_seconds = 60,
                             .open_time = kDay0,
                             .open = 100,
                             .high = 105,
                             .low = 98,
                             .close = 101,
                             .volume = 11,
                             .trade_count = 4,
                             .closed = 1});
  ASSERT_TRUE(agg.has_open_bar());
  EXPECT_EQ(agg.open_bar().open, 102);
}

TEST(BarAggregator, shouldCarryEmptyIntervalsForwardAtThePreviousClose) {
  BarAggregator agg(kBtc, 60);
  std::vector<Bar> bars;
  agg.on_trade(100, 5, kDay0, Collect{&bars});
  agg.on_trade(110, 1, kDay0 + 3 * kMinute + kSecond, Collect{&bars});
  ASSERT_EQ(bars.size(), 3u);  // the traded minute, then two empty ones
  for (int i = 1; i <= 2; ++i) {
    EXPECT_EQ(bars[i].open_time, kDay0 + i * kMinute);
    EXPECT_EQ(bars[i].open, 100);
    EXPECT_EQ(bars[i].high, 100);
    EXPECT_EQ(bars[i].low, 100);
    EXPECT_EQ(bars[i].close, 100);
    EXPECT_EQ(bars[i].volume, 0);
    EXPECT_EQ(bars[i].trade_count, 0u);
  }
  EXPECT_EQ(agg.stats()["empty_bars_emitted"], 2u);
}

TEST(BarAggregator, shouldEmitNothingForEmptyIntervalsWhenSkipping) {
  BarAggregator agg(kBtc, 60, EmptyIntervalPolicy::kSkip);
  std::vector<Bar> bars;
  agg.on_trade(100, 5, kDay0, Collect{&bars});
  agg.on_trade(110, 1, kDay0 + 3 * kMinute, Collect{&bars});
  agg.on_time(kDay0 + 4 * kMinute, Collect{&bars});
  ASSERT_EQ(bars.size(), 2u);
  EXPECT_EQ(bars[0].open_time, kDay0);
  EXPECT_EQ(bars[1].open_time, kDay0 + 3 * kMinute);
  EXPECT_EQ(agg.stats()["empty_bars_emitted"], 0u);
}

TEST(BarAggregator, shouldCloseBarsWhenEventTimeAdvancesWithoutTrades) {
  BarAggregator agg(kBtc, 60);
  std::vector<Bar> bars;
  agg.on_time(kDay0, Collect{&bars});
  EXPECT_TRUE(bars.empty()) << "nothing before the first trade: no previous close to carry";
  agg.on_trade(100, 5, kDay0 + kSecond, Collect{&bars});
  agg.on_time(kDay0 + kMinute - 1, Collect{&bars});
  EXPECT_TRUE(bars.empty());
  agg.on_time(kDay0 + kMinute, Collect{&bars});  // the minute's end: the bar is final
  ASSERT_EQ(bars.size(), 1u);
  agg.on_time(kDay0 + 3 * kMinute + 5 * kSecond, Collect{&bars});
  EXPECT_EQ(bars.size(), 3u) << "two whole empty minutes have passed; the third is open";
}

TEST(BarAggregator, shouldCountAndDropTradesForAnEmittedInterval) {
  BarAggregator agg(kBtc, 60);
  std::vector<Bar> bars;
  agg.on_trade(100, 5, kDay0 + kMinute, Collect{&bars});
  agg.on_trade(100, 5, kDay0 + 2 * kMinute, Collect{&bars});
  agg.on_trade(999, 5, kDay0 + kMinute + kSecond, Collect{&bars});  // late
  agg.on_trade(999, 5, kDay0, Collect{&bars});                      // before the first
  EXPECT_EQ(agg.stats()["late_inputs"], 2u);
  ASSERT_EQ(bars.size(), 1u);
  EXPECT_EQ(bars[0].high, 100) << "an emitted bar is never amended";
  EXPECT_EQ(agg.open_bar().high, 100);
}

TEST(BarAggregator, shouldNotFillAHugeGapAndNotHang) {
  BarAggregator agg(kBtc, 60, EmptyIntervalPolicy::kCarryForward, /*max_empty_fill=*/1000);
  std::vector<Bar> bars;
  agg.on_trade(100, 1, kDay0, Collect{&bars});
  const Nanos far_future = kDay0 + 100LL * 365 * 24 * 60 * kMinute;
  agg.on_trade(200, 1, far_future, Collect{&bars});
  EXPECT_EQ(bars.size(), 1u);
  EXPECT_EQ(agg.stats()["gaps_not_filled"], 1u);
  EXPECT_EQ(agg.open_bar().open_time, align_down(far_future, kMinute));
  // A gap within the limit is still filled.
  agg.on_trade(201, 1, align_down(far_future, kMinute) + 5 * kMinute, Collect{&bars});
  EXPECT_EQ(bars.size(), 1u + 1u + 4u);
}

TEST(BarAggregator, shouldAlignFourHourAndDailyBarsToUtc) {
  std::vector<Bar> bars;
  BarAggregator four_hours(kBtc, 4 * 3600);
  BarAggregator day(kBtc, 86400);
  const Nanos t = kDay0 + 13 * 3600 * kSecond + 17 * kMinute;  // 13:17 UTC
  four_hours.on_trade(1, 1, t, Collect{&bars});
  day.on_trade(1, 1, t, Collect{&bars});
  EXPECT_EQ(four_hours.open_bar().open_time, kDay0 + 12 * 3600 * kSecond);
  EXPECT_EQ(day.open_bar().open_time, kDay0);
  EXPECT_EQ(align_down(-1, kMinute), -kMinute) << "floor, not truncation, before 1970";
}

TEST(BarAggregator, shouldIgnorePartialAndMisalignedLowerBars) {
  BarAggregator agg(kBtc, 300);
  std::vector<Bar> bars;
  Bar partial;
  partial.interval_seconds = 60;
  partial.open_time = kDay0;
  agg.on_bar(partial, Collect{&bars});
  Bar seven_minutes = partial;
  seven_minutes.closed = 1;
  seven_minutes.interval_seconds = 7 * 60;
  agg.on_bar(seven_minutes, Collect{&bars});
  EXPECT_EQ(agg.stats()["partial_bars_ignored"], 1u);
  EXPECT_EQ(agg.stats()["misaligned_bars"], 1u);
  EXPECT_FALSE(agg.has_open_bar());
}

// The naive twin (STYLE.md 6): 5m bars built straight from trades must equal 5m bars rolled
// up from the 1m bars of the same trades, for both empty-interval policies, over a long
// seeded session with bursts and gaps.
void check_rollup_matches_direct(EmptyIntervalPolicy policy, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  BarAggregator one_minute(kBtc, 60, policy);
  BarAggregator five_direct(kBtc, 300, policy);
  BarAggregator five_rolled(kBtc, 300, policy);
  std::vector<Bar> direct;
  std::vector<Bar> rolled;
  auto roll = [&](const Bar& b) { five_rolled.on_bar(b, Collect{&rolled}); };
  Nanos t = kDay0;
  std::int64_t price = 5'000'000;
  for (int i = 0; i < 50'000; ++i) {
    // Mostly sub-second spacing, sometimes a gap of minutes, so empty intervals occur.
    t += (rng() % 50 == 0) ? static_cast<Nanos>(rng() % (12 * 60)) * kSecond
                           : static_cast<Nanos>(rng() % 900) * 1'000'000;
    price += static_cast<std::int64_t>(rng() % 201) - 100;
    const auto qty = static_cast<std::int64_t>(1 + rng() % 1000);
    one_minute.on_trade(price, qty, t, roll);
    five_direct.on_trade(price, qty, t, Collect{&direct});
  }
  const Nanos end = align_down(t, 300 * kSecond) + 300 * kSecond;
  one_minute.on_time(end, roll);
  five_direct.on_time(end, Collect{&direct});
  five_rolled.on_time(end, Collect{&rolled});
  ASSERT_GT(direct.size(), 100u);
  ASSERT_EQ(direct.size(), rolled.size());
  for (std::size_t i = 0; i < direct.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(direct[i].open_time, rolled[i].open_time);
    EXPECT_EQ(direct[i].open, rolled[i].open);
    EXPECT_EQ(direct[i].high, rolled[i].high);
    EXPECT_EQ(direct[i].low, rolled[i].low);
    EXPECT_EQ(direct[i].close, rolled[i].close);
    EXPECT_EQ(direct[i].volume, rolled[i].volume);
    EXPECT_EQ(direct[i].trade_count, rolled[i].trade_count);
    if (::testing::Test::HasFailure()) return;
  }
  if (policy == EmptyIntervalPolicy::kCarryForward) {
    EXPECT_GT(five_direct.stats()["empty_bars_emitted"], 0u) << "the session must contain gaps";
  }
}

TEST(BarAggregator, shouldRollUpLowerBarsExactlyAsDirectAggregationWhenCarrying) {
  check_rollup_matches_direct(EmptyIntervalPolicy::kCarryForward, 7);
}

TEST(BarAggregator, shouldRollUpLowerBarsExactlyAsDirectAggregationWhenSkipping) {
  check_rollup_matches_direct(EmptyIntervalPolicy::kSkip, 11);
}

TEST(BarAggregator, shouldEmitEveryStandardTimeframeFromOneTradeStream) {
  MultiTimeframeBars bars(kBtc);
  std::vector<Bar> out;
  Trade trade;
  trade.instrument = kBtc;
  trade.quantity = 1;
  for (Nanos m = 0; m < 24 * 60; ++m) {
    trade.price = 100 + m;
    bars.on_trade(trade, kDay0 + m * kMinute, Collect{&out});
  }
  bars.on_time(kDay0 + 24 * 60 * kMinute, Collect{&out});
  std::size_t count[6] = {};
  for (const Bar& b : out) {
    for (std::size_t i = 0; i < kStandardIntervals.size(); ++i) {
      if (b.interval_seconds == kStandardIntervals[i]) ++count[i];
    }
  }
  EXPECT_EQ(count[0], 1440u);
  EXPECT_EQ(count[1], 288u);
  EXPECT_EQ(count[2], 96u);
  EXPECT_EQ(count[3], 24u);
  EXPECT_EQ(count[4], 6u);
  EXPECT_EQ(count[5], 1u);
  EXPECT_EQ(out.back().interval_seconds, 86400u);
  EXPECT_EQ(out.back().open, 100);
  EXPECT_EQ(out.back().close, 100 + 1439);
  EXPECT_EQ(out.back().volume, 1440);
}

TEST(BarAggregator, shouldNotAllocateWhileAggregating) {
  if (!test::allocation_counting_available()) GTEST_SKIP() << "sanitizer owns malloc";
  MultiTimeframeBars bars(kBtc);
  std::uint64_t emitted = 0;
  auto count = [&](const Bar&) { ++emitted; };
  Trade trade;
  trade.quantity = 1;
  const auto before = test::allocation_count();
  for (Nanos i = 0; i < 200'000; ++i) {
    trade.price = 100 + (i % 37);
    bars.on_trade(trade, kDay0 + i * 500'000'000, count);
  }
  EXPECT_EQ(test::allocation_count() - before, 0u);
  EXPECT_GT(emitted, 0u);
}

}  // namespace
}  // namespace be
