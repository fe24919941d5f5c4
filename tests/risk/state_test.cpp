// Stateful behaviour: reduce-only exemptions, UTC day rollover, kill switches, circuit
// breaker, the rolling error window, position protection, snapshot/restore, and the
// zero-allocation proof of the hot paths.
#include <array>
#include <vector>

#include "core/event.hpp"
#include "tests/risk/risk_fixture.hpp"
#include "tests/support/alloc_counter.hpp"

namespace be::risk::test {
namespace {

class StateTest : public RiskFixture {
 protected:
  void SetUp() override {
    RiskFixture::SetUp();
    trade(px("100.00"));
  }
  // kBot configured with `c`, its account with a balance to check, a position of 1.234 and a
  // resting sell: the state the snapshot tests take.
  void hold_a_position(const BotConfig& c) {
    configure(c);
    configure_account(Limits{}, true);
    engine.apply_balance(BalanceInput{kAccount, kQuote, px("1000.00")});
    fill(Side::kBuy, px("100.00"), qty("1.234"), px("0.05"));
    open_order(Side::kSell, px("105.00"), qty("0.500"));
    trade(px("103.21"), kT0 + kSecond);
  }
};

TEST_F(StateTest, shouldRejectReduceOnlyThatWouldGrowOrFlipThePosition) {
  EXPECT_REJECT(check(reduce_only(market(Side::kSell, qty("1")))),
                RejectReason::kReduceOnlyWouldIncrease, Scope::kBot);
  fill(Side::kBuy, px("100.00"), qty("1.000"));
  EXPECT_TRUE(check(reduce_only(market(Side::kSell, qty("1.000")))).accepted());
  const Decision flip = check(reduce_only(market(Side::kSell, qty("1.001"))));
  EXPECT_REJECT(flip, RejectReason::kReduceOnlyWouldIncrease, Scope::kBot);
  EXPECT_EQ(flip.reject.limit, qty("1.000"));
  EXPECT_REJECT(check(reduce_only(market(Side::kBuy, qty("0.001")))),
                RejectReason::kReduceOnlyWouldIncrease, Scope::kBot);
}

TEST_F(StateTest, shouldLetReduceOnlyExitsPassLossDrawdownPositionAndTradeLimits) {
  BotConfig c;
  c.limits.max_daily_loss = px("10.00");
  c.limits.max_drawdown = px("10.00");
  c.limits.max_position_quantity = qty("0.500");  // already exceeded by the fill below
  c.limits.max_order_quantity = qty("0.100");
  c.limits.max_daily_trades = 1;
  configure(c);
  fill(Side::kBuy, px("100.00"), qty("1.000"));
  trade(px("80.00"));  // -20.00: loss and drawdown limits both hit
  EXPECT_REJECT(check(limit(Side::kSell, px("80.00"), qty("0.100"))),
                RejectReason::kMaxPositionQuantity, Scope::kBot);
  EXPECT_TRUE(check(reduce_only(market(Side::kSell, qty("1.000")))).accepted());
  EXPECT_TRUE(check(reduce_only(limit(Side::kSell, px("80.00"), qty("1.000")))).accepted());
  EXPECT_EQ(engine.daily_trades(kBot), 0u);  // exits are not counted as trades
}

TEST_F(StateTest, shouldStillApplyKillSwitchBandAndFiltersToReduceOnly) {
  configure_limits({.price_band_bps = 100});
  fill(Side::kBuy, px("100.00"), qty("1.000"));
  EXPECT_REJECT(check(reduce_only(limit(Side::kSell, px("50.00"), qty("1.000")))),
                RejectReason::kPriceBand, Scope::kBot);
  ASSERT_TRUE(engine.define_instrument(btc_definition(5, 1, 0), kBase, kQuote));
  EXPECT_REJECT(check(reduce_only(limit(Side::kSell, px("99.99"), qty("1.000")))),
                RejectReason::kTickSize, Scope::kGlobal);
  engine.set_kill_switch(Scope::kBot, 0);
  EXPECT_REJECT(check(reduce_only(market(Side::kSell, qty("1.000")))), RejectReason::kKillSwitch,
                Scope::kBot);
}

TEST_F(StateTest, shouldStartANewDailyLossWindowWhenEventTimeCrossesMidnightUtc) {
  configure_limits({.max_daily_loss = px("50.00")});
  fill(Side::kBuy, px("100.00"), qty("1.000"));
  trade(px("40.00"));
  EXPECT_REJECT(check(limit(Side::kBuy, px("40.00"), qty("0.001"))), RejectReason::kMaxDailyLoss,
                Scope::kBot);
  const Nanos midnight = (kT0 / kDay + 1) * kDay;
  trade(px("40.00"), midnight - 1);
  EXPECT_EQ(engine.bot_daily_pnl(kBot), px("-60.00"));
  trade(px("40.00"), midnight);  // the first event of the new day sets its baseline
  EXPECT_EQ(engine.bot_daily_pnl(kBot), 0);
  EXPECT_EQ(engine.current_day(), midnight / kDay);
  EXPECT_TRUE(check(limit(Side::kBuy, px("40.00"), qty("0.001")), midnight).accepted());
  trade(px("10.01"), midnight + kSecond);  // a further 29.99 loss today
  EXPECT_TRUE(check(limit(Side::kBuy, px("10.01"), qty("0.001")), midnight + kSecond).accepted());
  // An event stamped earlier (a late venue message) never moves the day back.
  trade(px("40.00"), midnight - kDay);
  EXPECT_EQ(engine.current_day(), midnight / kDay);
}

TEST_F(StateTest, shouldLatchKillSwitchAtBotScopeUntilReset) {
  EXPECT_TRUE(engine.set_kill_switch(Scope::kBot, 0));
  EXPECT_FALSE(engine.set_kill_switch(Scope::kBot, 0));  // already set: no transition
  EXPECT_TRUE(engine.kill_switch_active(kBot));
  EXPECT_FALSE(engine.kill_switch_active(kSibling));
  // Nothing but a reset clears it: fills, prices, successes, a new day.
  fill(Side::kBuy, px("100.00"), qty("1"));
  trade(px("101.00"), kT0 + 2 * kDay);
  engine.on_success(kBot);
  const Decision d = check(limit(Side::kBuy, px("101.00"), qty("1")), kT0 + 2 * kDay);
  EXPECT_REJECT(d, RejectReason::kKillSwitch, Scope::kBot);
  EXPECT_EQ(d.reject.scope_id, 0u);
  EXPECT_TRUE(
      check(limit(Side::kBuy, px("101.00"), qty("1"), kSibling), kT0 + 2 * kDay).accepted());
  EXPECT_TRUE(engine.reset_kill_switch(Scope::kBot, 0));
  EXPECT_FALSE(engine.reset_kill_switch(Scope::kBot, 0));
  EXPECT_TRUE(check(limit(Side::kBuy, px("101.00"), qty("1")), kT0 + 2 * kDay).accepted());
}

TEST_F(StateTest, shouldLatchKillSwitchAtAccountScopeForEveryBotOfTheAccount) {
  EXPECT_TRUE(engine.set_kill_switch(Scope::kAccount, 0));
  EXPECT_FALSE(engine.set_kill_switch(Scope::kAccount, 0));
  EXPECT_REJECT(check(limit(Side::kBuy, px("100.00"), qty("1"))), RejectReason::kKillSwitch,
                Scope::kAccount);
  EXPECT_REJECT(check(limit(Side::kBuy, px("100.00"), qty("1"), kSibling)),
                RejectReason::kKillSwitch, Scope::kAccount);
  EXPECT_TRUE(check(limit(Side::kBuy, px("100.00"), qty("1"), kOther)).accepted());
  EXPECT_TRUE(engine.kill_switch_active(kSibling));
  EXPECT_TRUE(engine.reset_kill_switch(Scope::kAccount, 0));
  EXPECT_FALSE(engine.reset_kill_switch(Scope::kAccount, 0));
  EXPECT_TRUE(check(limit(Side::kBuy, px("100.00"), qty("1"))).accepted());
}

TEST_F(StateTest, shouldLatchGlobalKillSwitchFromOperatorCommands) {
  OperatorCommand set;
  set.kind = OperatorCommandKind::kKillSwitchSet;
  set.bot = kNoBot;
  EXPECT_TRUE(engine.apply(set));
  EXPECT_FALSE(engine.apply(set));
  for (const BotId b : {kBot, kSibling, kOther}) {
    EXPECT_REJECT(check(limit(Side::kBuy, px("100.00"), qty("1"), b)), RejectReason::kKillSwitch,
                  Scope::kGlobal);
    EXPECT_TRUE(engine.kill_switch_active(b));
  }
  OperatorCommand reset = set;
  reset.kind = OperatorCommandKind::kKillSwitchReset;
  EXPECT_TRUE(engine.apply(reset));
  EXPECT_FALSE(engine.apply(reset));
  EXPECT_TRUE(check(limit(Side::kBuy, px("100.00"), qty("1"))).accepted());
  // A bot-scoped command reaches only that bot; unrelated kinds are not risk's.
  OperatorCommand bot_set = set;
  bot_set.bot = kOther;
  EXPECT_TRUE(engine.apply(bot_set));
  EXPECT_TRUE(engine.kill_switch_active(kOther));
  EXPECT_FALSE(engine.kill_switch_active(kBot));
  OperatorCommand start = set;
  start.kind = OperatorCommandKind::kStartBot;
  EXPECT_FALSE(engine.apply(start));
}

TEST_F(StateTest, shouldOpenCircuitAfterConsecutiveErrorsUntilOperatorReset) {
  BotConfig c;
  c.max_consecutive_errors = 3;
  configure(c);
  EXPECT_FALSE(engine.on_error(kBot, ErrorKind::kVenueReject, kT0));
  EXPECT_FALSE(engine.on_error(kBot, ErrorKind::kTimeout, kT0));
  engine.on_success(kBot);  // the streak restarts
  EXPECT_FALSE(engine.on_error(kBot, ErrorKind::kVenueReject, kT0));
  EXPECT_FALSE(engine.on_error(kBot, ErrorKind::kVenueReject, kT0));
  EXPECT_FALSE(engine.circuit_open(kBot));
  EXPECT_TRUE(check(limit(Side::kBuy, px("100.00"), qty("1"))).accepted());
  EXPECT_TRUE(engine.on_error(kBot, ErrorKind::kTimeout, kT0));
  EXPECT_TRUE(engine.circuit_open(kBot));
  const Decision d = check(limit(Side::kBuy, px("100.00"), qty("1")));
  EXPECT_REJECT(d, RejectReason::kCircuitOpen, Scope::kBot);
  EXPECT_EQ(d.reject.limit, 3);
  EXPECT_EQ(d.reject.observed, 3);
  engine.on_success(kBot);  // a success does not close an open circuit
  EXPECT_REJECT(check(limit(Side::kBuy, px("100.00"), qty("1"))), RejectReason::kCircuitOpen,
                Scope::kBot);
  EXPECT_TRUE(check(limit(Side::kBuy, px("100.00"), qty("1"), kSibling)).accepted());
  EXPECT_TRUE(engine.reset_circuit(kBot));
  EXPECT_FALSE(engine.reset_circuit(kBot));
  EXPECT_TRUE(check(limit(Side::kBuy, px("100.00"), qty("1"))).accepted());
}

TEST_F(StateTest, shouldCountErrorsByKindOverTheLastHourOfEventTime) {
  const Nanos minute = RiskEngine::kBucketNanos;
  const Nanos t = (kT0 / minute) * minute;  // on a minute boundary
  engine.on_error(kBot, ErrorKind::kVenueReject, t);
  engine.on_error(kBot, ErrorKind::kVenueReject, t + 30 * kSecond);
  engine.on_error(kBot, ErrorKind::kTimeout, t + 30 * kSecond);
  engine.on_error(kBot, ErrorKind::kVenueReject, t + 59 * minute);
  EXPECT_EQ(engine.error_count(kBot, ErrorKind::kVenueReject, t + 59 * minute), 3u);
  EXPECT_EQ(engine.error_count(kBot, ErrorKind::kTimeout, t + 59 * minute), 1u);
  EXPECT_EQ(engine.error_count(kSibling, ErrorKind::kVenueReject, t + 59 * minute), 0u);
  // Minute t leaves the window at t + 60 min; its bucket is reused by minute 60.
  EXPECT_EQ(engine.error_count(kBot, ErrorKind::kVenueReject, t + 60 * minute), 1u);
  engine.on_error(kBot, ErrorKind::kVenueReject, t + 60 * minute);
  EXPECT_EQ(engine.error_count(kBot, ErrorKind::kVenueReject, t + 60 * minute), 2u);
  EXPECT_EQ(engine.error_count(kBot, ErrorKind::kTimeout, t + 60 * minute), 0u);
  EXPECT_EQ(engine.error_count(kBot, ErrorKind::kVenueReject, t + 200 * minute), 0u);
}

TEST_F(StateTest, shouldFireStopLossAndTakeProfitForALongPosition) {
  BotConfig c;
  c.protection.stop_loss_bps = 300;
  c.protection.take_profit_bps = 600;
  c.limits.max_daily_loss = px("1.00");  // the exit must pass despite the loss limit
  configure(c);
  fill(Side::kBuy, px("100.00"), qty("2.000"));
  EXPECT_EQ(trade(px("97.01")), 0u);
  ASSERT_EQ(trade(px("97.00")), 1u);
  const OrderIntent exit = exits[0];
  EXPECT_EQ(exit.bot, kBot);
  EXPECT_EQ(exit.side, Side::kSell);
  EXPECT_EQ(exit.type, OrderType::kMarket);
  EXPECT_TRUE(exit.reduce_only());
  EXPECT_EQ(exit.quantity, qty("2.000"));
  EXPECT_EQ(exit.tag, kTagStopLoss);
  EXPECT_TRUE(check(exit).accepted());
  EXPECT_EQ(trade(px("96.00")), 0u);  // pending until the position changes
  fill(Side::kSell, px("96.00"), qty("2.000"));
  fill(Side::kBuy, px("100.00"), qty("1.000"));
  EXPECT_EQ(trade(px("105.99")), 0u);
  ASSERT_EQ(trade(px("106.00")), 1u);
  EXPECT_EQ(exits[0].tag, kTagTakeProfit);
  EXPECT_EQ(exits[0].quantity, qty("1.000"));
}

TEST_F(StateTest, shouldFireStopLossAndTakeProfitForAShortPosition) {
  BotConfig c;
  c.protection.stop_loss_bps = 300;
  c.protection.take_profit_bps = 600;
  configure(c);
  fill(Side::kSell, px("100.00"), qty("1.500"));
  EXPECT_EQ(trade(px("102.99")), 0u);
  ASSERT_EQ(trade(px("103.00")), 1u);
  EXPECT_EQ(exits[0].side, Side::kBuy);
  EXPECT_EQ(exits[0].quantity, qty("1.500"));
  EXPECT_EQ(exits[0].tag, kTagStopLoss);
  EXPECT_TRUE(check(exits[0]).accepted());
  fill(Side::kBuy, px("103.00"), qty("1.500"));
  fill(Side::kSell, px("100.00"), qty("1.000"));
  EXPECT_EQ(trade(px("94.01")), 0u);
  ASSERT_EQ(trade(px("94.00")), 1u);
  EXPECT_EQ(exits[0].tag, kTagTakeProfit);
}

TEST_F(StateTest, shouldFireTrailingStopFromTheBestPriceSinceEntry) {
  BotConfig c;
  c.protection.trailing_stop_bps = 200;
  configure(c);
  fill(Side::kBuy, px("100.00"), qty("1.000"));
  EXPECT_EQ(trade(px("110.00")), 0u);
  EXPECT_EQ(trade(px("107.81")), 0u);
  ASSERT_EQ(trade(px("107.80")), 1u);  // 110.00 x 0.98
  EXPECT_EQ(exits[0].tag, kTagTrailingStop);
  // Short: the best is the lowest price; a new position restarts the trail.
  fill(Side::kSell, px("107.80"), qty("1.000"));
  fill(Side::kSell, px("100.00"), qty("1.000"));
  EXPECT_EQ(trade(px("90.00")), 0u);
  EXPECT_EQ(trade(px("91.79")), 0u);
  ASSERT_EQ(trade(px("91.80")), 1u);
  EXPECT_EQ(exits[0].side, Side::kBuy);
  EXPECT_EQ(exits[0].tag, kTagTrailingStop);
}

TEST_F(StateTest, shouldRestoreSnapshotWithEqualHashAndLatchedKillSwitch) {
  BotConfig c;
  c.limits.order_rate_count = 3;
  c.limits.order_rate_window_ns = kSecond;
  c.protection.trailing_stop_bps = 150;
  c.max_consecutive_errors = 5;
  hold_a_position(c);
  ASSERT_TRUE(check(limit(Side::kBuy, px("103.00"), qty("0.1")), kT0 + kSecond).accepted());
  engine.on_error(kBot, ErrorKind::kTimeout, kT0 + kSecond);
  engine.set_kill_switch(Scope::kAccount, 1);
  engine.set_kill_switch(Scope::kBot, 0);

  const std::vector<std::byte> bytes = engine.snapshot();
  RiskEngine restored{Capacity{4, 2, 2, 3}};
  ASSERT_TRUE(restored.restore(bytes).has_value());
  EXPECT_EQ(restored.state_hash(), engine.state_hash());
  EXPECT_TRUE(restored.kill_switch_active(kBot));
  EXPECT_TRUE(restored.kill_switch_active(kOther));
  EXPECT_EQ(restored.position(kBot, kBtc), qty("1.234"));
  EXPECT_EQ(restored.bot_equity(kBot), engine.bot_equity(kBot));
  // Both continue identically.
  EXPECT_TRUE(engine.reset_kill_switch(Scope::kBot, 0));
  EXPECT_TRUE(restored.reset_kill_switch(Scope::kBot, 0));
  const OrderIntent i = limit(Side::kBuy, px("103.00"), qty("0.1"));
  for (int k = 0; k < 4; ++k) {
    EXPECT_EQ(engine.check(i, kT0 + 2 * kSecond).reject.reason,
              restored.check(i, kT0 + 2 * kSecond).reject.reason);
  }
  EXPECT_EQ(restored.state_hash(), engine.state_hash());
}

TEST_F(StateTest, shouldRefuseSnapshotsOfAnotherVersionSizeOrCapacity) {
  std::vector<std::byte> bytes = engine.snapshot();
  const std::uint64_t before = engine.state_hash();
  RiskEngine other{Capacity{4, 2, 2, 3}};
  const std::uint64_t other_before = other.state_hash();
  std::vector<std::byte> bad_version = bytes;
  bad_version[0] = std::byte{99};
  EXPECT_EQ(other.restore(bad_version).error(), RestoreError::kBadVersion);
  EXPECT_EQ(other.restore(std::span(bytes).first(bytes.size() - 1)).error(),
            RestoreError::kTruncated);
  EXPECT_EQ(other.restore({}).error(), RestoreError::kTruncated);
  // Tables that cannot hold a configured bot (kOther is bot 2): refused, nothing changed.
  RiskEngine smaller{Capacity{2, 2, 2, 3}};
  const std::uint64_t smaller_before = smaller.state_hash();
  EXPECT_EQ(smaller.restore(bytes).error(), RestoreError::kCapacityMismatch);
  EXPECT_EQ(smaller.state_hash(), smaller_before);
  EXPECT_EQ(other.state_hash(), other_before);  // a refused restore changes nothing
  EXPECT_EQ(engine.state_hash(), before);
}

// engine.capacity grew (docs/CONFIG.md): a snapshot of smaller tables restores into larger
// ones, every entry at its ids, and both engines go on deciding alike; smaller tables that
// still hold every entry restore too.
TEST_F(StateTest, shouldRestoreIntoOtherTableSizesThatHoldEveryEntry) {
  BotConfig c;
  c.limits.max_position_quantity = qty("5");
  c.protection.stop_loss_bps = 100;
  hold_a_position(c);
  engine.set_kill_switch(Scope::kBot, 2);
  const std::vector<std::byte> bytes = engine.snapshot();
  RiskEngine larger{Capacity{40, 9, 7, 11}};
  ASSERT_TRUE(larger.restore(bytes).has_value());
  RiskEngine fitting{Capacity{3, 2, 1, 2}};  // instrument 1 and asset 2 were never used
  ASSERT_TRUE(fitting.restore(bytes).has_value());
  for (RiskEngine* r : {&larger, &fitting}) {
    EXPECT_EQ(r->position(kBot, kBtc), qty("1.234"));
    EXPECT_EQ(r->bot_equity(kBot), engine.bot_equity(kBot));
    EXPECT_TRUE(r->kill_switch_active(kOther));
    EXPECT_FALSE(r->kill_switch_active(kBot));
  }
  // A fall through the stop: each fires the same exit; checks decide alike.
  std::array<OrderIntent, 8> mine{}, theirs{}, fits{};
  const Trade fall{.instrument = kBtc, .price = px("98.00"), .quantity = qty("0.1")};
  const std::size_t n = engine.apply_trade(fall, kT0 + 2 * kSecond, mine);
  ASSERT_EQ(n, 1u);
  ASSERT_EQ(larger.apply_trade(fall, kT0 + 2 * kSecond, theirs), n);
  ASSERT_EQ(fitting.apply_trade(fall, kT0 + 2 * kSecond, fits), n);
  for (const OrderIntent& other : {theirs[0], fits[0]}) {
    EXPECT_EQ(other.bot, mine[0].bot);
    EXPECT_EQ(other.side, mine[0].side);
    EXPECT_EQ(other.quantity, mine[0].quantity);
    EXPECT_EQ(other.tag, mine[0].tag);
  }
  const OrderIntent i = limit(Side::kBuy, px("99.00"), qty("0.1"));
  for (int k = 0; k < 3; ++k) {
    const auto want = engine.check(i, kT0 + 3 * kSecond).reject.reason;
    EXPECT_EQ(larger.check(i, kT0 + 3 * kSecond).reject.reason, want);
    EXPECT_EQ(fitting.check(i, kT0 + 3 * kSecond).reject.reason, want);
  }
  EXPECT_EQ(larger.bot_equity(kBot), engine.bot_equity(kBot));
}

TEST_F(StateTest, shouldNotAllocateInCheckOrApplyPathsAfterConstruction) {
  if (!be::test::allocation_counting_available()) {
    GTEST_SKIP() << "allocation counting unavailable (sanitizer build)";
  }
  BotConfig c;
  c.limits.max_position_quantity = qty("100");
  c.limits.max_daily_loss = px("1000.00");
  c.limits.order_rate_count = 1000;
  c.limits.order_rate_window_ns = kSecond;
  c.limits.cancel_rate_count = 1000;
  c.limits.cancel_rate_window_ns = kSecond;
  c.protection.stop_loss_bps = 100;
  configure(c);
  configure_account(c.limits, true);
  const std::uint64_t before = be::test::allocation_count();
  std::uint64_t accepted = 0;
  for (int k = 0; k < 1000; ++k) {
    const Nanos t = kT0 + k * kSecond;
    engine.apply_balance(BalanceInput{kAccount, kQuote, px("100000.00")});
    trade(px("100.00") + (k % 7), t);
    Quote q;
    q.instrument = kBtc;
    q.bid_price = px("99.00");
    q.ask_price = px("101.00");
    engine.apply_quote(q, t, exits);
    accepted += check(limit(Side::kBuy, px("100.00"), qty("0.1")), t).accepted() ? 1 : 0;
    open_order(Side::kBuy, px("99.00"), qty("0.1"));
    fill(Side::kBuy, px("99.00"), qty("0.05"), 1, kBot, t);
    engine.apply_order_closed(OrderInput{kBot, kBtc, Side::kBuy, px("99.00"), qty("0.05")});
    accepted += engine.check_cancel(kBot, t).accepted() ? 1 : 0;
    engine.on_error(kBot, ErrorKind::kTimeout, t);
    engine.on_success(kBot);
    (void)engine.error_count(kBot, ErrorKind::kTimeout, t);
    (void)engine.state_hash();
  }
  EXPECT_EQ(be::test::allocation_count(), before);
  EXPECT_GT(accepted, 0u);
}

}  // namespace
}  // namespace be::risk::test

namespace be::risk::test {
namespace {

TEST_F(StateTest, shouldRefuseAndCountMalformedInputsLeavingPositionsAndOrdersAlone) {
  const std::uint64_t before = engine.state_hash();
  FillInput f{kBot, kBtc, Side::kBuy, false, px("100.00"), qty("1"), 0, 0};
  FillInput bad_bot = f;
  bad_bot.bot = BotId{99};
  FillInput undefined_instrument = f;
  undefined_instrument.instrument = kEth;
  FillInput zero = f;
  zero.quantity = 0;
  FillInput no_side = f;
  no_side.side = Side::kNone;
  FillInput unconfigured = f;
  unconfigured.bot = BotId{3};
  for (const FillInput& in : {bad_bot, undefined_instrument, zero, no_side, unconfigured}) {
    EXPECT_FALSE(engine.apply_fill(in, kT0));
  }
  EXPECT_FALSE(engine.apply_order_opened(OrderInput{BotId{99}, kBtc, Side::kBuy, 1, 1}));
  EXPECT_FALSE(engine.apply_order_opened(OrderInput{kBot, kEth, Side::kBuy, 1, 1}));
  EXPECT_FALSE(engine.apply_order_opened(OrderInput{kBot, kBtc, Side::kNone, 1, 1}));
  EXPECT_FALSE(engine.apply_order_closed(OrderInput{kBot, kBtc, Side::kSell, 1, -1}));
  EXPECT_FALSE(engine.apply_balance(BalanceInput{AccountId{7}, kQuote, 1}));
  EXPECT_FALSE(engine.apply_balance(BalanceInput{kAccount, AssetId{9}, 1}));
  EXPECT_EQ(engine.bad_inputs(), 11u);
  EXPECT_FALSE(engine.set_kill_switch(Scope::kBot, 99));
  EXPECT_FALSE(engine.on_error(BotId{99}, ErrorKind::kTimeout, kT0));
  EXPECT_FALSE(engine.configure_bot(BotId{99}, kAccount, BotConfig{}));
  EXPECT_FALSE(engine.configure_bot(kBot, kOtherAccount, BotConfig{}));  // bots never move
  BotConfig overflowing;
  overflowing.limits.order_rate_count = 4'000'000'000u;
  overflowing.limits.order_rate_window_ns = INT64_MAX / 2;
  EXPECT_FALSE(engine.configure_bot(kBot, kAccount, overflowing));
  InstrumentDefined rescaled = btc_definition();
  rescaled.qty_scale = 8;
  EXPECT_FALSE(engine.define_instrument(rescaled, kBase, kQuote));
  EXPECT_NE(engine.state_hash(), before);  // the bad-input counter is state: replays agree
  EXPECT_EQ(engine.position(kBot, kBtc), 0);
  EXPECT_EQ(engine.open_orders(kBot), 0u);
}

TEST_F(StateTest, shouldSurviveRestoringArbitraryBytes) {
  std::vector<std::byte> bytes = engine.snapshot();
  std::uint64_t x = 12345;
  for (int round = 0; round < 200; ++round) {
    std::vector<std::byte> mutated = bytes;
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    mutated.resize(static_cast<std::size_t>(x % (bytes.size() + 16)));
    if (!mutated.empty())
      mutated[static_cast<std::size_t>(x >> 33) % mutated.size()] ^= std::byte{0x5A};
    RiskEngine other{Capacity{4, 2, 2, 3}};
    const auto result = other.restore(mutated);
    if (mutated.size() != bytes.size()) {
      EXPECT_FALSE(result.has_value());
    }
    // Whatever was accepted is a state the engine can keep running on.
    (void)other.state_hash();
    (void)other.check(limit(Side::kBuy, px("100.00"), qty("1")), kT0);
    (void)other.apply_trade(Trade{kBtc, Side::kBuy, {}, px("99.00"), 1, 1}, kT0, exits);
    (void)other.apply_fill(FillInput{kBot, kBtc, Side::kSell, true, px("99.00"), 1, 0, 1}, kT0);
  }
}

}  // namespace
}  // namespace be::risk::test
