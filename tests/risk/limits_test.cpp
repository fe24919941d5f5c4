// One test per reject reason: each fires AT its limit (or one unit past it, for limits that
// allow equality: docs/RISK.md) and not below.
#include "tests/risk/risk_fixture.hpp"

namespace be::risk::test {
namespace {

class LimitsTest : public RiskFixture {
 protected:
  void SetUp() override {
    RiskFixture::SetUp();
    trade(px("100.00"));
  }
};

TEST_F(LimitsTest, shouldRejectUnknownInstrumentBotAndMalformedIntent) {
  OrderIntent i = limit(Side::kBuy, px("100.00"), qty("1"));
  i.instrument = kEth;  // within capacity, never defined
  EXPECT_REJECT(check(i), RejectReason::kUnknownInstrument, Scope::kGlobal);
  EXPECT_REJECT(check(limit(Side::kBuy, px("100.00"), qty("1"), BotId{3})),
                RejectReason::kUnknownBot, Scope::kGlobal);
  EXPECT_REJECT(check(limit(Side::kNone, px("100.00"), qty("1"))), RejectReason::kInvalidIntent,
                Scope::kBot);
  EXPECT_REJECT(check(limit(Side::kBuy, 0, qty("1"))), RejectReason::kInvalidIntent, Scope::kBot);
  EXPECT_REJECT(check(limit(Side::kBuy, px("100.00"), 0)), RejectReason::kInvalidIntent,
                Scope::kBot);
  OrderIntent sell_by_amount = market(Side::kSell, 0);
  sell_by_amount.quote_amount = px("10.00");
  EXPECT_REJECT(check(sell_by_amount), RejectReason::kInvalidIntent, Scope::kBot);
  EXPECT_TRUE(check(limit(Side::kBuy, px("100.00"), qty("1"))).accepted());
}

TEST_F(LimitsTest, shouldRejectOrderQuantityAboveLimitNotAtIt) {
  configure_limits({.max_order_quantity = qty("1.000")});
  EXPECT_TRUE(check(limit(Side::kBuy, px("100.00"), qty("1.000"))).accepted());
  const Decision d = check(limit(Side::kBuy, px("100.00"), qty("1.001")));
  EXPECT_REJECT(d, RejectReason::kMaxOrderQuantity, Scope::kBot);
  EXPECT_EQ(d.reject.limit, qty("1.000"));
  EXPECT_EQ(d.reject.observed, qty("1.001"));
}

TEST_F(LimitsTest, shouldRejectOrderNotionalAboveLimitAtBotAndAccountScope) {
  configure_limits({.max_order_notional = px("1000.00")});
  EXPECT_TRUE(check(limit(Side::kBuy, px("100.00"), qty("10.000"))).accepted());
  const Decision d = check(limit(Side::kBuy, px("100.00"), qty("10.001")));
  EXPECT_REJECT(d, RejectReason::kMaxOrderNotional, Scope::kBot);
  EXPECT_EQ(d.reject.observed, px("1000.10"));

  Limits account;
  account.max_order_notional = px("500.00");
  configure_account(account);
  EXPECT_TRUE(check(limit(Side::kBuy, px("100.00"), qty("5.000"), kSibling)).accepted());
  const Decision a = check(limit(Side::kBuy, px("100.00"), qty("5.001"), kSibling));
  EXPECT_REJECT(a, RejectReason::kMaxOrderNotional, Scope::kAccount);
  EXPECT_EQ(a.reject.scope_id, 0u);
  EXPECT_TRUE(check(limit(Side::kBuy, px("100.00"), qty("5.001"), kOther)).accepted());
}

TEST_F(LimitsTest, shouldRejectPositionQuantityCountingFillsAndRestingOrders) {
  configure_limits({.max_position_quantity = qty("2.000")});
  fill(Side::kBuy, px("100.00"), qty("1.500"));
  EXPECT_TRUE(check(limit(Side::kBuy, px("100.00"), qty("0.500"))).accepted());
  const Decision d = check(limit(Side::kBuy, px("100.00"), qty("0.501")));
  EXPECT_REJECT(d, RejectReason::kMaxPositionQuantity, Scope::kBot);
  EXPECT_EQ(d.reject.observed, qty("2.001"));
  open_order(Side::kBuy, px("99.00"), qty("0.500"));
  EXPECT_REJECT(check(limit(Side::kBuy, px("100.00"), qty("0.001"))),
                RejectReason::kMaxPositionQuantity, Scope::kBot);
  // Selling shrinks the exposure: not blocked by the position limit.
  EXPECT_TRUE(check(limit(Side::kSell, px("100.00"), qty("1.000"))).accepted());
}

TEST_F(LimitsTest, shouldRejectPositionNotionalAtTheReferencePrice) {
  configure_limits({.max_position_notional = px("300.00")});
  fill(Side::kBuy, px("90.00"), qty("2.000"));  // valued at the reference 100.00, not 90.00
  EXPECT_TRUE(check(limit(Side::kBuy, px("100.00"), qty("1.000"))).accepted());
  const Decision d = check(limit(Side::kBuy, px("100.00"), qty("1.001")));
  EXPECT_REJECT(d, RejectReason::kMaxPositionNotional, Scope::kBot);
  EXPECT_EQ(d.reject.observed, px("300.10"));
}

TEST_F(LimitsTest, shouldRejectWhenOpenOrdersReachTheLimit) {
  configure_limits({.max_open_orders = 2});
  open_order(Side::kBuy, px("99.00"), qty("1"));
  EXPECT_TRUE(check(limit(Side::kBuy, px("99.00"), qty("1"))).accepted());
  open_order(Side::kBuy, px("99.00"), qty("1"));
  const Decision d = check(limit(Side::kBuy, px("99.00"), qty("1")));
  EXPECT_REJECT(d, RejectReason::kMaxOpenOrders, Scope::kBot);
  EXPECT_EQ(d.reject.observed, 2);
  engine.apply_order_closed(OrderInput{kBot, kBtc, Side::kBuy, px("99.00"), qty("1")});
  EXPECT_TRUE(check(limit(Side::kBuy, px("99.00"), qty("1"))).accepted());
}

TEST_F(LimitsTest, shouldRejectWhenDailyLossReachesTheLimit) {
  configure_limits({.max_daily_loss = px("50.00")});
  fill(Side::kBuy, px("100.00"), qty("1.000"), px("0.10"));  // the fee counts as loss
  trade(px("50.11"));                                        // -49.89 - 0.10 = -49.99
  EXPECT_EQ(engine.bot_daily_pnl(kBot), px("-49.99"));
  EXPECT_TRUE(check(limit(Side::kBuy, px("50.11"), qty("0.001"))).accepted());
  trade(px("50.10"));
  const Decision d = check(limit(Side::kBuy, px("50.10"), qty("0.001")));
  EXPECT_REJECT(d, RejectReason::kMaxDailyLoss, Scope::kBot);
  EXPECT_EQ(d.reject.limit, px("50.00"));
  EXPECT_EQ(d.reject.observed, px("50.00"));
}

TEST_F(LimitsTest, shouldRejectWhenDrawdownFromPeakReachesTheLimit) {
  configure_limits({.max_drawdown = px("20.00")});
  fill(Side::kBuy, px("100.00"), qty("1.000"));
  trade(px("130.00"));  // peak equity +30.00
  trade(px("110.01"));
  EXPECT_TRUE(check(limit(Side::kBuy, px("110.01"), qty("0.001"))).accepted());
  trade(px("110.00"));
  const Decision d = check(limit(Side::kBuy, px("110.00"), qty("0.001")));
  EXPECT_REJECT(d, RejectReason::kMaxDrawdown, Scope::kBot);
  EXPECT_EQ(d.reject.observed, px("20.00"));
}

TEST_F(LimitsTest, shouldRejectWhenDailyTradesReachTheLimitUntilTheNextUtcDay) {
  configure_limits({.max_daily_trades = 2});
  EXPECT_TRUE(check(limit(Side::kBuy, px("100.00"), qty("1"))).accepted());
  EXPECT_TRUE(check(limit(Side::kBuy, px("100.00"), qty("1"))).accepted());
  EXPECT_REJECT(check(limit(Side::kBuy, px("100.00"), qty("1"))), RejectReason::kMaxDailyTrades,
                Scope::kBot);
  const Nanos midnight = (kT0 / kDay + 1) * kDay;
  EXPECT_REJECT(check(limit(Side::kBuy, px("100.00"), qty("1")), midnight - 1),
                RejectReason::kMaxDailyTrades, Scope::kBot);
  EXPECT_TRUE(check(limit(Side::kBuy, px("100.00"), qty("1")), midnight).accepted());
}

TEST_F(LimitsTest, shouldRejectPricesOutsideTheBandAroundTheReference) {
  configure_limits({.price_band_bps = 100});  // 1%
  EXPECT_TRUE(check(limit(Side::kBuy, px("101.00"), qty("1"))).accepted());
  EXPECT_TRUE(check(limit(Side::kSell, px("99.00"), qty("1"))).accepted());
  const Decision d = check(limit(Side::kBuy, px("101.01"), qty("1")));
  EXPECT_REJECT(d, RejectReason::kPriceBand, Scope::kBot);
  EXPECT_EQ(d.reject.limit, 100);
  EXPECT_EQ(d.reject.observed, 101);
  EXPECT_REJECT(check(limit(Side::kSell, px("98.99"), qty("1"))), RejectReason::kPriceBand,
                Scope::kBot);
  EXPECT_TRUE(check(market(Side::kBuy, qty("1"))).accepted());  // checked at the reference
}

TEST_F(RiskFixture, shouldRejectWithNoReferencePriceUntilMarketDataArrives) {
  EXPECT_REJECT(check(market(Side::kBuy, qty("1"))), RejectReason::kNoReferencePrice, Scope::kBot);
  EXPECT_TRUE(check(limit(Side::kBuy, px("100.00"), qty("1"))).accepted());  // no band set
  configure_limits({.price_band_bps = 100});
  EXPECT_REJECT(check(limit(Side::kBuy, px("100.00"), qty("1"))), RejectReason::kNoReferencePrice,
                Scope::kBot);
  Quote q;
  q.instrument = kBtc;
  q.bid_price = px("99.99");
  q.ask_price = px("100.01");
  engine.apply_quote(q, kT0, exits);
  EXPECT_EQ(engine.reference_price(kBtc), px("100.00"));
  EXPECT_TRUE(check(limit(Side::kBuy, px("100.00"), qty("1"))).accepted());
}

TEST_F(LimitsTest, shouldEnforceTickStepAndMinNotionalFilters) {
  ASSERT_TRUE(engine.define_instrument(btc_definition(5, 10, px("10.00")), kBase, kQuote));
  EXPECT_TRUE(check(limit(Side::kBuy, px("100.05"), qty("1.010"))).accepted());
  const Decision tick = check(limit(Side::kBuy, px("100.03"), qty("1.010")));
  EXPECT_REJECT(tick, RejectReason::kTickSize, Scope::kGlobal);
  EXPECT_EQ(tick.reject.limit, 5);
  EXPECT_REJECT(check(limit(Side::kBuy, px("100.05"), qty("1.015"))), RejectReason::kStepSize,
                Scope::kGlobal);
  EXPECT_TRUE(check(limit(Side::kBuy, px("100.00"), qty("0.100"))).accepted());  // 10.00
  const Decision small = check(limit(Side::kBuy, px("100.00"), qty("0.090")));
  EXPECT_REJECT(small, RejectReason::kMinNotional, Scope::kGlobal);
  EXPECT_EQ(small.reject.observed, px("9.00"));
}

TEST_F(LimitsTest, shouldConvertQuoteAmountBuysRoundingDownToTheStep) {
  ASSERT_TRUE(engine.define_instrument(btc_definition(1, 10, 0), kBase, kQuote));
  OrderIntent by_amount = market(Side::kBuy, 0);
  by_amount.quote_amount = px("12.34");  // 0.1234 BTC at 100.00 -> 0.120 at step 0.010
  const Decision d = check(by_amount);
  ASSERT_TRUE(d.accepted());
  EXPECT_EQ(d.quantity, qty("0.120"));
  by_amount.quote_amount = px("0.99");  // 0.0099 BTC -> 0
  EXPECT_REJECT(check(by_amount), RejectReason::kQuoteAmountTooSmall, Scope::kGlobal);
  by_amount.quote_amount = px("1.00");  // exactly one step
  EXPECT_EQ(check(by_amount).quantity, qty("0.010"));
}

TEST_F(LimitsTest, shouldRejectBuysBeyondQuoteBalanceAndSellsBeyondBaseBalance) {
  configure_account(Limits{}, /*check_balance=*/true);
  engine.apply_balance(BalanceInput{kAccount, kQuote, px("100.00")});
  engine.apply_balance(BalanceInput{kAccount, kBase, qty("0.500")});
  EXPECT_TRUE(check(limit(Side::kBuy, px("100.00"), qty("1.000"))).accepted());
  open_order(Side::kBuy, px("100.00"), qty("0.500"));  // reserves 50.00
  EXPECT_TRUE(check(limit(Side::kBuy, px("100.00"), qty("0.500"))).accepted());
  const Decision d = check(limit(Side::kBuy, px("100.00"), qty("0.501")));
  EXPECT_REJECT(d, RejectReason::kInsufficientBalance, Scope::kAccount);
  EXPECT_EQ(d.reject.limit, px("50.00"));
  EXPECT_EQ(d.reject.observed, px("50.10"));
  EXPECT_TRUE(check(limit(Side::kSell, px("100.00"), qty("0.500"))).accepted());
  EXPECT_REJECT(check(limit(Side::kSell, px("100.00"), qty("0.501"))),
                RejectReason::kInsufficientBalance, Scope::kAccount);
  // A fill moves the balances: the resting buy filled, so 50.00 left the quote balance.
  FillInput f{kBot, kBtc, Side::kBuy, true, px("100.00"), qty("0.500"), 0, px("100.00")};
  engine.apply_fill(f, kT0);
  EXPECT_EQ(engine.balance(kAccount, kQuote), px("50.00"));
  EXPECT_EQ(engine.balance(kAccount, kBase), qty("1.000"));
  EXPECT_TRUE(check(limit(Side::kSell, px("100.00"), qty("1.000"))).accepted());
}

TEST_F(LimitsTest, shouldThrottleOrdersWithATokenBucketRefilledOnEventTime) {
  configure_limits({.order_rate_window_ns = kSecond, .order_rate_count = 2});
  const OrderIntent i = limit(Side::kBuy, px("100.00"), qty("1"));
  EXPECT_TRUE(check(i, kT0).accepted());
  EXPECT_TRUE(check(i, kT0).accepted());
  const Decision d = check(i, kT0);
  EXPECT_REJECT(d, RejectReason::kOrderRateThrottle, Scope::kBot);
  EXPECT_EQ(d.reject.limit, 2);
  EXPECT_REJECT(check(i, kT0 + kSecond / 2 - 1), RejectReason::kOrderRateThrottle, Scope::kBot);
  EXPECT_TRUE(check(i, kT0 + kSecond / 2).accepted());  // one token refilled in half a window
  EXPECT_REJECT(check(i, kT0 + kSecond / 2), RejectReason::kOrderRateThrottle, Scope::kBot);
  // A long pause refills to the capacity, not beyond.
  EXPECT_TRUE(check(i, kT0 + 100 * kSecond).accepted());
  EXPECT_TRUE(check(i, kT0 + 100 * kSecond).accepted());
  EXPECT_REJECT(check(i, kT0 + 100 * kSecond), RejectReason::kOrderRateThrottle, Scope::kBot);
  // Time going backwards refills nothing.
  EXPECT_REJECT(check(i, kT0), RejectReason::kOrderRateThrottle, Scope::kBot);
}

TEST_F(LimitsTest, shouldThrottleCancelsPerBotAndPerAccount) {
  configure_limits({.cancel_rate_window_ns = kSecond, .cancel_rate_count = 1});
  Limits account;
  account.cancel_rate_count = 2;
  account.cancel_rate_window_ns = kSecond;
  configure_account(account);
  EXPECT_TRUE(engine.check_cancel(kBot, kT0).accepted());
  const RiskReject r = engine.check_cancel(kBot, kT0);
  EXPECT_EQ(r.reason, RejectReason::kCancelRateThrottle);
  EXPECT_EQ(r.scope, Scope::kBot);
  EXPECT_TRUE(engine.check_cancel(kSibling, kT0).accepted());
  const RiskReject a = engine.check_cancel(kSibling, kT0);
  EXPECT_EQ(a.reason, RejectReason::kCancelRateThrottle);
  EXPECT_EQ(a.scope, Scope::kAccount);
  EXPECT_TRUE(engine.check_cancel(kSibling, kT0 + kSecond / 2).accepted());
  // A killed bot may still cancel: cancels reduce risk.
  engine.set_kill_switch(Scope::kBot, 0);
  EXPECT_TRUE(engine.check_cancel(kBot, kT0 + kSecond).accepted());
}

TEST_F(LimitsTest, shouldApplyAccountLimitsAcrossTheAccountsBots) {
  Limits account;
  account.max_position_quantity = qty("3.000");
  account.max_daily_trades = 3;
  configure_account(account);
  fill(Side::kBuy, px("100.00"), qty("2.000"), 0, kBot);
  fill(Side::kBuy, px("100.00"), qty("0.500"), 0, kSibling);
  EXPECT_TRUE(check(limit(Side::kBuy, px("100.00"), qty("0.500"), kSibling)).accepted());
  EXPECT_REJECT(check(limit(Side::kBuy, px("100.00"), qty("0.501"), kSibling)),
                RejectReason::kMaxPositionQuantity, Scope::kAccount);
  EXPECT_TRUE(check(limit(Side::kSell, px("100.00"), qty("0.500"), kBot)).accepted());
  EXPECT_TRUE(check(limit(Side::kSell, px("100.00"), qty("0.500"), kBot)).accepted());
  EXPECT_REJECT(check(limit(Side::kSell, px("100.00"), qty("0.500"), kSibling)),
                RejectReason::kMaxDailyTrades, Scope::kAccount);
  EXPECT_TRUE(check(limit(Side::kSell, px("100.00"), qty("0.500"), kOther)).accepted());
}

}  // namespace
}  // namespace be::risk::test
