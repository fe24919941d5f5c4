// The shared engine's semantics on hand-made series: sharing, operators, first-bar crossing
// behaviour, delivery order, refcounting, bad bars, stats, snapshots.
#include <gtest/gtest.h>

#include <random>

#include "strategies/conditions/engine.hpp"
#include "tests/conditions/test_util.hpp"

namespace be::cond::test {
namespace {

TEST(ConditionEngine, shouldShareOneConditionAndOneIndicatorBetweenEqualSpellings) {
  ConditionEngine e;
  auto a = e.subscribe(BotId{1}, indicator_vs(1, 60, "macd", Op::kAbove, Operand::number(0)));
  auto b = e.subscribe(
      BotId{2}, indicator_vs(1, 60, "macd:12:26:9", Op::kAbove, Operand::number(0.0), "macd"));
  auto c =
      e.subscribe(BotId{3}, indicator_vs(1, 60, "macd:26:12:9", Op::kAbove, Operand::number(-0.0)));
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(e.condition_count(), 1u);
  EXPECT_EQ(e.indicator_count(), 1u);
  EXPECT_EQ(*e.condition_of(*a), *e.condition_of(*c));
  // A different output of the same indicator is another condition on the same instance.
  auto d =
      e.subscribe(BotId{4}, indicator_vs(1, 60, "macd", Op::kAbove, Operand::number(0), "signal"));
  ASSERT_TRUE(d);
  EXPECT_EQ(e.condition_count(), 2u);
  EXPECT_EQ(e.indicator_count(), 1u);
  // Another timeframe or symbol is another instance.
  ASSERT_TRUE(e.subscribe(BotId{5}, indicator_vs(1, 300, "macd", Op::kAbove, Operand::number(0))));
  ASSERT_TRUE(e.subscribe(BotId{6}, indicator_vs(2, 60, "macd", Op::kAbove, Operand::number(0))));
  EXPECT_EQ(e.indicator_count(), 3u);
}

TEST(ConditionEngine, shouldUpdateEachIndicatorOncePerBarHoweverManyConditionsUseIt) {
  ConditionEngine e;
  for (int bot = 0; bot < 10; ++bot) {
    for (double level : {10.0, 20.0, 30.0}) {
      ASSERT_TRUE(e.subscribe(BotId{static_cast<std::uint32_t>(bot)},
                              indicator_vs(1, 60, "sma:3", Op::kAbove, Operand::number(level))));
    }
  }
  ASSERT_TRUE(e.subscribe(BotId{99},
                          indicator_vs(1, 60, "sma:3", Op::kAbove, *indicator_operand("ema:5"))));
  RecordingSink sink;
  for (int i = 0; i < 7; ++i)
    e.on_bar(make_bar(1, 60, i * kMinute, 15), kScale, kScale, sink);
  EXPECT_EQ(e.indicator_count(), 2u);
  EXPECT_EQ(e.stats().indicator_updates, 7u * 2u);
  EXPECT_EQ(e.stats().evaluations, 7u * 4u);
}

TEST(ConditionEngine, shouldNotFireACrossingOnTheFirstDefinedBar) {
  ConditionEngine e;
  // sma:2 is defined from the 2nd bar; it is already above 10 then: no crossing.
  auto s =
      e.subscribe(BotId{1}, indicator_vs(1, 60, "sma:2", Op::kCrossesAbove, Operand::number(10)));
  ASSERT_TRUE(s);
  RecordingSink sink;
  const double closes[] = {20, 20, 20, 5, 5, 20, 20};
  for (int i = 0; i < 7; ++i)
    e.on_bar(make_bar(1, 60, i * kMinute, closes[i]), kScale, kScale, sink);
  // sma: -, 20, 20, 12.5, 5, 12.5, 20: crosses above 10 only at bar 5 (5 -> 12.5).
  ASSERT_EQ(sink.triggers.size(), 1u);
  EXPECT_EQ(sink.triggers[0].bar_open_time, 5 * kMinute);
  EXPECT_DOUBLE_EQ(sink.triggers[0].lhs, 12.5);
  EXPECT_DOUBLE_EQ(sink.triggers[0].rhs, 10);
}

TEST(ConditionEngine, shouldFireCrossingWhenPreviousEqualsThreshold) {
  ConditionEngine e;
  ASSERT_TRUE(
      e.subscribe(BotId{1}, indicator_vs(1, 60, "sma:2", Op::kCrossesAbove, Operand::number(10))));
  ASSERT_TRUE(
      e.subscribe(BotId{1}, indicator_vs(1, 60, "sma:2", Op::kCrossesBelow, Operand::number(10))));
  RecordingSink sink;
  const double closes[] = {10, 10, 12, 10, 8};  // sma: -, 10, 11, 11, 9
  for (int i = 0; i < 5; ++i)
    e.on_bar(make_bar(1, 60, i * kMinute, closes[i]), kScale, kScale, sink);
  ASSERT_EQ(sink.triggers.size(), 2u);
  EXPECT_EQ(sink.triggers[0].condition, 1u);  // 10 -> 11: previous == threshold counts
  EXPECT_EQ(sink.triggers[0].bar_open_time, 2 * kMinute);
  EXPECT_EQ(sink.triggers[1].condition, 2u);  // 11 -> 9
  EXPECT_EQ(sink.triggers[1].bar_open_time, 4 * kMinute);
}

TEST(ConditionEngine, shouldFireLevelOperatorsOnEveryBarTheyHold) {
  ConditionEngine e;
  ASSERT_TRUE(e.subscribe(BotId{1}, indicator_vs(1, 60, "sma:2", Op::kBelow, close_price())));
  RecordingSink sink;
  const double closes[] = {10, 11, 12, 11, 13};  // sma: -, 10.5, 11.5, 11.5, 12
  for (int i = 0; i < 5; ++i)
    e.on_bar(make_bar(1, 60, i * kMinute, closes[i]), kScale, kScale, sink);
  ASSERT_EQ(sink.triggers.size(), 3u);  // bars 1, 2, 4
  EXPECT_EQ(sink.triggers[2].bar_open_time, 4 * kMinute);
  EXPECT_DOUBLE_EQ(sink.triggers[2].rhs, 13);
}

TEST(ConditionEngine, shouldDeliverByConditionIdThenSubscriptionOrder) {
  ConditionEngine e;
  const auto above = indicator_vs(1, 60, "sma:2", Op::kAbove, Operand::number(0));
  const auto below = indicator_vs(1, 60, "sma:2", Op::kBelow, Operand::number(100));
  auto s1 = *e.subscribe(BotId{7}, below);  // condition 1
  auto s2 = *e.subscribe(BotId{3}, above);  // condition 2
  auto s3 = *e.subscribe(BotId{5}, below);
  auto s4 = *e.subscribe(BotId{1}, above);
  RecordingSink sink;
  e.on_bar(make_bar(1, 60, 0, 50), kScale, kScale, sink);
  e.on_bar(make_bar(1, 60, kMinute, 50), kScale, kScale, sink);
  ASSERT_EQ(sink.triggers.size(), 4u);
  const SubscriptionId expected[] = {s1, s3, s2, s4};
  for (std::size_t i = 0; i < 4; ++i)
    EXPECT_EQ(sink.triggers[i].subscription, expected[i]) << i;
  EXPECT_EQ(sink.triggers[0].bot, BotId{7});
  EXPECT_EQ(sink.triggers[1].bot, BotId{5});
}

TEST(ConditionEngine, shouldDropConditionAndIndicatorsWhenLastSubscriberLeaves) {
  ConditionEngine e;
  const auto cross = indicator_vs(1, 60, "ema:9", Op::kCrossesAbove, *indicator_operand("ema:21"));
  auto a = *e.subscribe(BotId{1}, cross);
  auto b = *e.subscribe(BotId{2}, cross);
  auto c = *e.subscribe(BotId{2}, indicator_vs(1, 60, "ema:9", Op::kAbove, Operand::number(1)));
  EXPECT_EQ(e.indicator_count(), 2u);
  EXPECT_TRUE(e.unsubscribe(a));
  EXPECT_EQ(e.condition_count(), 2u);
  EXPECT_TRUE(e.unsubscribe(b));
  EXPECT_EQ(e.condition_count(), 1u);
  EXPECT_EQ(e.indicator_count(), 1u);  // ema:9 still used
  EXPECT_FALSE(e.unsubscribe(b));
  EXPECT_EQ(e.unsubscribe_bot(BotId{2}), 1u);
  EXPECT_EQ(e.condition_count(), 0u);
  EXPECT_EQ(e.indicator_count(), 0u);
  EXPECT_EQ(e.subscription_count(), 0u);
  (void)c;
  // A condition created again gets a new id and starts cold.
  auto d = *e.subscribe(BotId{3}, cross);
  EXPECT_EQ(*e.condition_of(d), 3u);
}

TEST(ConditionEngine, shouldRefuseInvalidDefinitions) {
  ConditionEngine e;
  ConditionDef d = indicator_vs(1, 60, "rsi:14", Op::kAbove, Operand::number(30));
  d.lhs = Operand::number(1);
  auto r = e.subscribe(BotId{1}, d);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("lhs"), std::string::npos);
  d = indicator_vs(1, 0, "rsi:14", Op::kAbove, Operand::number(30));
  EXPECT_FALSE(e.subscribe(BotId{1}, d));
  d = indicator_vs(1, 60, "rsi:14", Op::kAbove, Operand::number(std::nan("")));
  EXPECT_FALSE(e.subscribe(BotId{1}, d));
  d = indicator_vs(1, 60, "rsi:14", Op::kAbove, Operand::number(30));
  d.lhs.output = 2;
  EXPECT_FALSE(e.subscribe(BotId{1}, d));
  EXPECT_EQ(e.condition_count(), 0u);
}

TEST(ConditionEngine, shouldCountAndDropPartialLateUnwatchedAndBadScaleBars) {
  ConditionEngine e;
  ASSERT_TRUE(e.subscribe(BotId{1}, indicator_vs(1, 60, "sma:2", Op::kAbove, Operand::number(0))));
  RecordingSink sink;
  e.on_bar(make_bar(1, 60, kMinute, 5), kScale, kScale, sink);
  Bar partial = make_bar(1, 60, 2 * kMinute, 5);
  partial.closed = 0;
  e.on_bar(partial, kScale, kScale, sink);
  e.on_bar(make_bar(1, 60, kMinute, 5), kScale, kScale, sink);  // same open time again
  e.on_bar(make_bar(1, 60, 0, 5), kScale, kScale, sink);        // earlier
  e.on_bar(make_bar(2, 60, kMinute, 5), kScale, kScale, sink);  // nobody watches
  e.on_bar(make_bar(1, 300, kMinute, 5), kScale, kScale, sink);
  e.on_bar(make_bar(1, 60, 9 * kMinute, 5), 19, kScale, sink);
  e.on_bar(make_bar(1, 60, 9 * kMinute, 5), kScale, -1, sink);
  EXPECT_EQ(e.stats().bars, 1u);
  EXPECT_EQ(e.stats().bars_partial, 1u);
  EXPECT_EQ(e.stats().bars_late, 2u);
  EXPECT_EQ(e.stats().bars_unwatched, 2u);
  EXPECT_EQ(e.stats().bars_bad_scale, 2u);
  EXPECT_EQ(e.stats().indicator_updates, 1u);
}

TEST(ConditionEngine, shouldReportSubscribersEvaluationsAndTriggersPerCondition) {
  ConditionEngine e;
  const auto def = indicator_vs(4, 60, "sma:2", Op::kAbove, Operand::number(10));
  auto a = *e.subscribe(BotId{8}, def);
  auto b = *e.subscribe(BotId{9}, def);
  RecordingSink sink;
  const double closes[] = {5, 15, 15, 5, 5};  // sma: -, 10, 15, 10, 5
  for (int i = 0; i < 5; ++i)
    e.on_bar(make_bar(4, 60, i * kMinute, closes[i]), kScale, kScale, sink);
  auto st = e.condition_stats(*e.condition_of(a));
  ASSERT_TRUE(st);
  EXPECT_EQ(st->canonical, "4/60s sma:2.value above 10");
  EXPECT_EQ(st->hash, condition_hash(st->canonical));
  EXPECT_EQ(st->evaluations, 5u);
  EXPECT_EQ(st->triggers, 1u);
  ASSERT_EQ(st->subscribers.size(), 2u);
  EXPECT_EQ(st->subscribers[0], (Subscriber{a, BotId{8}}));
  EXPECT_EQ(st->subscribers[1], (Subscriber{b, BotId{9}}));
  EXPECT_EQ(e.stats().deliveries, 2u);
  EXPECT_EQ(e.all_condition_stats().size(), 1u);
  EXPECT_FALSE(e.condition_stats(77));
}

TEST(ConditionEngine, shouldRestoreSnapshotToTheSameHashAndTheSameFutureTriggers) {
  ConditionEngine live;
  ASSERT_TRUE(live.subscribe(
      BotId{1}, indicator_vs(1, 60, "ema:3", Op::kCrossesAbove, *indicator_operand("sma:5"))));
  ASSERT_TRUE(live.subscribe(BotId{2},
                             indicator_vs(1, 60, "bbands:4", Op::kAbove, close_price(), "upper")));
  auto dropped = *live.subscribe(
      BotId{3}, indicator_vs(2, 60, "rsi:3", Op::kCrossesBelow, Operand::number(40)));
  ASSERT_TRUE(live.subscribe(BotId{3},
                             indicator_vs(2, 60, "rsi:3", Op::kCrossesAbove, Operand::number(60))));
  RecordingSink sink;
  double px = 100;
  Nanos t = 0;
  const auto feed = [&](ConditionEngine& e, RecordingSink& s, int n, Nanos start, double p0) {
    double p = p0;
    for (int i = 0; i < n; ++i) {
      p += ((i * 7919) % 11) - 5.0;
      e.on_bar(make_bar(1, 60, start + i * kMinute, p), kScale, kScale, s);
      e.on_bar(make_bar(2, 60, start + i * kMinute, p * 0.5), kScale, kScale, s);
    }
    return p;
  };
  px = feed(live, sink, 30, t, px);
  t += 30 * kMinute;
  ASSERT_TRUE(live.unsubscribe(dropped));
  std::vector<std::byte> bytes;
  live.save(bytes);
  ConditionEngine restored;
  ASSERT_FALSE(restored.restore(bytes).has_value());
  EXPECT_EQ(restored.state_hash(), live.state_hash());
  RecordingSink a;
  RecordingSink b;
  feed(live, a, 40, t, px);
  feed(restored, b, 40, t, px);
  ASSERT_EQ(a.triggers.size(), b.triggers.size());
  ASSERT_FALSE(a.triggers.empty());
  for (std::size_t i = 0; i < a.triggers.size(); ++i)
    EXPECT_TRUE(same(a.triggers[i], b.triggers[i])) << i;
  EXPECT_EQ(restored.state_hash(), live.state_hash());
  // New ids continue where the snapshot left off.
  auto next =
      restored.subscribe(BotId{4}, indicator_vs(3, 60, "sma:2", Op::kAbove, Operand::number(1)));
  auto next_live =
      live.subscribe(BotId{4}, indicator_vs(3, 60, "sma:2", Op::kAbove, Operand::number(1)));
  EXPECT_EQ(*next, *next_live);
  EXPECT_EQ(restored.condition_of(*next), live.condition_of(*next_live));
}

TEST(ConditionEngine, shouldRefuseCorruptSnapshotsAndStayUnchanged) {
  ConditionEngine e;
  ASSERT_TRUE(e.subscribe(BotId{1}, indicator_vs(1, 60, "sma:2", Op::kAbove, Operand::number(0))));
  std::vector<std::byte> bytes;
  e.save(bytes);
  const auto hash = e.state_hash();
  for (std::size_t cut : {std::size_t{0}, std::size_t{5}, bytes.size() / 2, bytes.size() - 1}) {
    std::vector<std::byte> truncated(bytes.begin(),
                                     bytes.begin() + static_cast<std::ptrdiff_t>(cut));
    EXPECT_TRUE(e.restore(truncated).has_value()) << cut;
  }
  auto trailing = bytes;
  trailing.push_back(std::byte{0});
  EXPECT_TRUE(e.restore(trailing).has_value());
  EXPECT_EQ(e.state_hash(), hash);
  EXPECT_EQ(e.condition_count(), 1u);
}

TEST(ConditionEngine, shouldChangeStateHashWhenAnythingThatDecidesTriggersChanges) {
  ConditionEngine e;
  ASSERT_TRUE(
      e.subscribe(BotId{1}, indicator_vs(1, 60, "sma:2", Op::kCrossesAbove, Operand::number(5))));
  const auto h0 = e.state_hash();
  RecordingSink sink;
  e.on_bar(make_bar(1, 60, 0, 4), kScale, kScale, sink);
  const auto h1 = e.state_hash();
  EXPECT_NE(h0, h1);
  e.on_bar(make_bar(1, 60, kMinute, 4), kScale, kScale, sink);
  EXPECT_NE(e.state_hash(), h1);
  const auto h2 = e.state_hash();
  ASSERT_TRUE(
      e.subscribe(BotId{2}, indicator_vs(1, 60, "sma:2", Op::kCrossesAbove, Operand::number(5))));
  EXPECT_NE(e.state_hash(), h2);
}

}  // namespace
}  // namespace be::cond::test

namespace be::cond::test {
namespace {

TEST(ConditionEngine, shouldSurviveRandomlyCorruptedSnapshots) {
  ConditionEngine e;
  ASSERT_TRUE(e.subscribe(BotId{1}, indicator_vs(1, 60, "macd", Op::kCrossesAbove,
                                                 *indicator_operand("macd", "signal"))));
  ASSERT_TRUE(
      e.subscribe(BotId{2}, indicator_vs(2, 300, "bbands:5", Op::kBelow, close_price(), "lower")));
  RecordingSink sink;
  for (int i = 0; i < 50; ++i) {
    e.on_bar(make_bar(1, 60, i * kMinute, 100 + (i % 7)), kScale, kScale, sink);
    e.on_bar(make_bar(2, 300, i * 5 * kMinute, 50 + (i % 5)), kScale, kScale, sink);
  }
  std::vector<std::byte> bytes;
  e.save(bytes);
  std::mt19937_64 rng(99);
  int accepted = 0;
  for (int round = 0; round < 3000; ++round) {
    auto bad = bytes;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f)
      bad[rng() % bad.size()] = static_cast<std::byte>(rng());
    ConditionEngine target;
    if (!target.restore(bad).has_value()) {
      ++accepted;  // a flip in a counter or a double: still a consistent engine
      target.on_bar(make_bar(1, 60, 1'000 * kMinute, 101), kScale, kScale, sink);
      (void)target.state_hash();
    }
  }
  EXPECT_LT(accepted, 3000);
}

}  // namespace
}  // namespace be::cond::test
