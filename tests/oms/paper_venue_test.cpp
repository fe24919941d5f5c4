// PaperVenue: the matching rules of docs/OMS.md, each with its figures; latency on event
// time; cancel races; reconciliation answers; balances; snapshot/restore.
#include "oms/paper_venue.hpp"

#include <gtest/gtest.h>

#include <cstdint>

#include "tests/oms/oms_fixture.hpp"

namespace be::oms {
namespace {

using test::kBase;
using test::kQuote;
using test::quote;
using test::trade;

constexpr BotId kBot{3};
constexpr AccountId kAccount{0};

class PaperVenueTest : public ::testing::Test {
 protected:
  PaperVenueTest() : venue(base_config(), sink) {
    EXPECT_TRUE(venue.define_instrument(test::instrument(0), kBase, kQuote));
  }

  static PaperConfig base_config() {
    PaperConfig c;
    c.maker_fee_bps = 10;  // 0.10%
    c.taker_fee_bps = 20;  // 0.20%
    c.slippage_bps = 50;   // 0.50%
    c.max_orders = 8;
    c.instruments = 2;
    c.accounts = 1;
    c.assets = 2;
    return c;
  }

  static OrderNew order(SequenceNumber seq, Side side, OrderType type, std::int64_t price,
                        std::int64_t quantity, TimeInForce tif = TimeInForce::kGtc) {
    OrderNew o;
    o.bot = kBot;
    o.instrument = InstrumentId{0};
    o.client_sequence = seq;
    o.account = kAccount;
    o.side = side;
    o.order_type = static_cast<std::uint8_t>(type);
    o.time_in_force = static_cast<std::uint8_t>(tif);
    o.price = price;
    o.quantity = quantity;
    return o;
  }

  std::vector<OrderUpdate> orders() const {
    std::vector<OrderUpdate> out;
    for (const test::Response& r : sink.responses)
      if (r.is_order) out.push_back(r.order);
    return out;
  }
  static OrderEvent ev(const OrderUpdate& u) { return static_cast<OrderEvent>(u.event); }

  test::RecordingSink sink;
  PaperVenue venue;
};

TEST_F(PaperVenueTest, shouldFillAMarketBuyAtTheAskPlusSlippageWithTakerFee) {
  venue.on_market(quote(0, 10000, 10010, 1), 1);  // 100.00 / 100.10
  venue.submit(order(1, Side::kBuy, OrderType::kMarket, 0, 2000), 2);
  const auto u = orders();
  ASSERT_EQ(u.size(), 2u);
  EXPECT_EQ(ev(u[0]), OrderEvent::kAccepted);
  EXPECT_EQ(ev(u[1]), OrderEvent::kFill);
  // 100.10 x 1.005 = 100.6005 -> 100.60; fee 2 x 100.60 x 0.002 = 0.4024 -> 0.40.
  EXPECT_EQ(u[1].last_price, 10060);
  EXPECT_EQ(u[1].last_quantity, 2000);
  EXPECT_EQ(u[1].cumulative_quantity, 2000);
  EXPECT_EQ(u[1].fee, 40);
  EXPECT_EQ(u[1].liquidity, OrderUpdate::kTaker);
  EXPECT_NE(u[1].trade_id, 0u);
}

TEST_F(PaperVenueTest, shouldFillAMarketSellAtTheBidLessSlippageAndUseLastTradeWithoutQuote) {
  venue.on_market(trade(0, 20000, 5, 1), 1);
  venue.submit(order(1, Side::kSell, OrderType::kMarket, 0, 1000), 2);
  auto u = orders();
  ASSERT_EQ(u.size(), 2u);
  EXPECT_EQ(u[1].last_price, 19900);  // 200.00 x 0.995
  venue.on_market(quote(0, 19950, 19960, 3), 3);
  venue.submit(order(2, Side::kSell, OrderType::kMarket, 0, 1000), 4);
  u = orders();
  EXPECT_EQ(u.back().last_price, 19850);  // 199.50 x 0.995 = 198.5025 -> 198.50
}

TEST_F(PaperVenueTest, shouldRejectAMarketOrderBeforeAnyMarketData) {
  venue.submit(order(1, Side::kBuy, OrderType::kMarket, 0, 1000), 1);
  const auto u = orders();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(ev(u[0]), OrderEvent::kRejected);
  EXPECT_EQ(u[0].reason, static_cast<std::uint16_t>(PaperReason::kNoMarket));
}

TEST_F(PaperVenueTest, shouldTakeAtTheTouchWhenALimitIsMarketableOnArrival) {
  venue.on_market(quote(0, 10000, 10010, 1), 1);
  venue.submit(order(1, Side::kBuy, OrderType::kLimit, 10050, 1000), 2);
  const auto u = orders();
  ASSERT_EQ(u.size(), 2u);
  EXPECT_EQ(u[1].last_price, 10010) << "the ask, not the limit";
  EXPECT_EQ(u[1].liquidity, OrderUpdate::kTaker);
  EXPECT_EQ(u[1].fee, 20);  // 100.10 x 0.002 = 0.2002 -> 0.20
}

TEST_F(PaperVenueTest, shouldRestAndFillInFullWhenATradePrintsThroughTheLimit) {
  venue.on_market(quote(0, 10000, 10010, 1), 1);
  venue.submit(order(1, Side::kBuy, OrderType::kLimit, 9990, 3000), 2);
  EXPECT_EQ(venue.resting_orders(), 1u);
  venue.on_market(quote(0, 9980, 9985, 3), 3);
  EXPECT_EQ(orders().size(), 1u) << "quotes never fill resting orders";
  venue.on_market(trade(0, 9989, 1, 4), 4);  // one unit trades below our bid
  const auto u = orders();
  ASSERT_EQ(u.size(), 2u);
  EXPECT_EQ(ev(u[1]), OrderEvent::kFill);
  EXPECT_EQ(u[1].last_price, 9990) << "makers fill at their own price";
  EXPECT_EQ(u[1].last_quantity, 3000) << "through the price: the whole remainder";
  EXPECT_EQ(u[1].liquidity, OrderUpdate::kMaker);
  EXPECT_EQ(u[1].fee, 30);  // 3 x 99.90 x 0.001 = 0.2997 -> 0.30
  EXPECT_EQ(venue.resting_orders(), 0u);
}

TEST_F(PaperVenueTest, shouldFillPartiallyAtThePriceUpToTheTradedSizeInArrivalOrder) {
  venue.submit(order(1, Side::kSell, OrderType::kLimit, 10100, 1000), 1);
  venue.submit(order(2, Side::kSell, OrderType::kLimit, 10100, 1000), 1);
  venue.on_market(trade(0, 10100, 1500, 2), 2);
  auto u = orders();
  ASSERT_EQ(u.size(), 4u);
  EXPECT_EQ(u[2].client_sequence, 1u);
  EXPECT_EQ(ev(u[2]), OrderEvent::kFill);
  EXPECT_EQ(u[2].last_quantity, 1000);
  EXPECT_EQ(u[3].client_sequence, 2u);
  EXPECT_EQ(ev(u[3]), OrderEvent::kPartialFill);
  EXPECT_EQ(u[3].last_quantity, 500);
  EXPECT_EQ(u[3].cumulative_quantity, 500);
  venue.on_market(trade(0, 10099, 10, 3), 3);  // below a sell: does not reach it
  EXPECT_EQ(orders().size(), 4u);
  venue.on_market(trade(0, 10101, 1, 4), 4);  // through: the rest
  u = orders();
  ASSERT_EQ(u.size(), 5u);
  EXPECT_EQ(ev(u[4]), OrderEvent::kFill);
  EXPECT_EQ(u[4].last_quantity, 500);
  EXPECT_EQ(u[4].cumulative_quantity, 1000);
}

TEST_F(PaperVenueTest, shouldExpireIocThatCannotTakeAndRejectPostOnlyThatWould) {
  venue.on_market(quote(0, 10000, 10010, 1), 1);
  venue.submit(order(1, Side::kBuy, OrderType::kLimit, 9000, 1000, TimeInForce::kIoc), 2);
  OrderNew post = order(2, Side::kBuy, OrderType::kLimit, 10010, 1000);
  post.flags = OrderIntent::kPostOnly;
  venue.submit(post, 2);
  const auto u = orders();
  ASSERT_EQ(u.size(), 3u);
  EXPECT_EQ(ev(u[1]), OrderEvent::kExpired);
  EXPECT_EQ(ev(u[2]), OrderEvent::kRejected);
  EXPECT_EQ(u[2].reason, static_cast<std::uint16_t>(PaperReason::kPostOnlyWouldTake));
}

TEST_F(PaperVenueTest, shouldDelayArrivalByLatencyOnEventTimeOnly) {
  PaperConfig c = base_config();
  c.latency_ns = 1'000;
  test::RecordingSink s;
  PaperVenue v(c, s);
  ASSERT_TRUE(v.define_instrument(test::instrument(0), kBase, kQuote));
  v.on_market(quote(0, 10000, 10010, 100), 100);
  v.submit(order(1, Side::kBuy, OrderType::kMarket, 0, 1000), 100);
  EXPECT_TRUE(s.responses.empty()) << "in flight until t + latency";
  EXPECT_EQ(v.pending_requests(), 1u);
  // The ask moves before the order arrives: it takes the price it finds on arrival.
  v.on_market(quote(0, 10100, 10110, 500), 500);
  EXPECT_TRUE(s.responses.empty());
  v.on_market(quote(0, 10200, 10210, 1100), 1100);  // released at 1100, arrival time 1100
  ASSERT_EQ(s.responses.size(), 2u);
  EXPECT_EQ(s.responses[0].event_time, 1100);
  EXPECT_EQ(s.responses[1].event_time, 1100);
  EXPECT_EQ(s.responses[1].order.last_price, 10161) << "101.10 x 1.005, the book before 1100";
  v.submit(order(2, Side::kBuy, OrderType::kLimit, 9000, 1000), 1200);
  v.advance(2200);
  ASSERT_EQ(s.responses.size(), 3u);
  EXPECT_EQ(s.responses[2].event_time, 2200);
}

TEST_F(PaperVenueTest, shouldRejectACancelThatLosesTheRaceWithTheFill) {
  PaperConfig c = base_config();
  c.latency_ns = 100;
  test::RecordingSink s;
  PaperVenue v(c, s);
  ASSERT_TRUE(v.define_instrument(test::instrument(0), kBase, kQuote));
  v.submit(order(1, Side::kBuy, OrderType::kLimit, 10000, 1000), 0);
  v.advance(100);  // acked, resting
  OrderCancel cancel;
  cancel.bot = kBot;
  cancel.instrument = InstrumentId{0};
  cancel.client_sequence = 1;
  v.cancel(cancel, 150);                     // arrives at 250
  v.on_market(trade(0, 9999, 1, 200), 200);  // fills at 200, before the cancel lands
  v.advance(250);
  ASSERT_EQ(s.responses.size(), 3u);
  EXPECT_EQ(ev(s.responses[1].order), OrderEvent::kFill);
  EXPECT_EQ(ev(s.responses[2].order), OrderEvent::kCancelRejected);
  EXPECT_EQ(s.responses[2].order.reason, static_cast<std::uint16_t>(PaperReason::kTooLateToCancel));
  // A cancel that wins: canceled with what had filled.
  v.submit(order(2, Side::kBuy, OrderType::kLimit, 9990, 1000), 300);  // below the last trade
  v.on_market(trade(0, 9990, 400, 400), 400);
  cancel.client_sequence = 2;
  v.cancel(cancel, 450);
  v.advance(600);
  EXPECT_EQ(ev(s.responses.back().order), OrderEvent::kCanceled);
  EXPECT_EQ(s.responses.back().order.cumulative_quantity, 400);
  cancel.client_sequence = 77;
  v.cancel(cancel, 600);
  v.advance(700);
  EXPECT_EQ(s.responses.back().order.reason,
            static_cast<std::uint16_t>(PaperReason::kUnknownOrder));
}

TEST_F(PaperVenueTest, shouldAnswerReconciliationQueriesFromItsOwnRecord) {
  venue.submit(order(1, Side::kBuy, OrderType::kLimit, 10000, 1000), 1);
  venue.on_market(trade(0, 10000, 250, 2), 2);
  venue.query_order(kBot, InstrumentId{0}, 1, 3);
  auto u = orders();
  EXPECT_EQ(ev(u.back()), OrderEvent::kReconciledPartial);
  EXPECT_EQ(u.back().cumulative_quantity, 250);
  EXPECT_EQ(u.back().last_price, 10000);
  venue.on_market(trade(0, 9000, 1, 4), 4);
  venue.query_order(kBot, InstrumentId{0}, 1, 5);
  EXPECT_EQ(ev(orders().back()), OrderEvent::kReconciledFilled);
  venue.query_order(kBot, InstrumentId{0}, 99, 5);
  EXPECT_EQ(ev(orders().back()), OrderEvent::kReconciledNotFound);
  venue.submit(order(2, Side::kBuy, OrderType::kLimit, 8000, 1000), 6);
  venue.query_order(kBot, InstrumentId{0}, 2, 7);
  EXPECT_EQ(ev(orders().back()), OrderEvent::kReconciledNew);
}

TEST_F(PaperVenueTest, shouldAcknowledgeAResendOfALiveOrderWithoutASecondOrder) {
  venue.submit(order(1, Side::kBuy, OrderType::kLimit, 10000, 1000), 1);
  venue.submit(order(1, Side::kBuy, OrderType::kLimit, 10000, 1000), 2);
  const auto u = orders();
  ASSERT_EQ(u.size(), 2u);
  EXPECT_EQ(ev(u[1]), OrderEvent::kAccepted);
  EXPECT_EQ(venue.resting_orders(), 1u);
  EXPECT_EQ(venue.stats()["duplicates"], 1u);
}

TEST_F(PaperVenueTest, shouldKeepAndReportBalancesAndEnforceThemWhenAsked) {
  const PaperStartingBalance start[] = {{kAccount, kQuote, 1000'00}, {kAccount, kBase, 0}};
  PaperConfig c = base_config();
  c.enforce_balances = true;
  c.starting_balances = start;
  test::RecordingSink s;
  PaperVenue v(c, s);
  ASSERT_TRUE(v.define_instrument(test::instrument(0), kBase, kQuote));
  v.submit(order(1, Side::kSell, OrderType::kLimit, 10000, 1), 1);
  EXPECT_EQ(s.responses.back().order.reason,
            static_cast<std::uint16_t>(PaperReason::kInsufficientBalance));
  v.submit(order(2, Side::kBuy, OrderType::kLimit, 10000, 11'000), 1);  // 1100.00 > 1000.00
  EXPECT_EQ(s.responses.back().order.reason,
            static_cast<std::uint16_t>(PaperReason::kInsufficientBalance));
  v.submit(order(3, Side::kBuy, OrderType::kLimit, 10000, 5'000), 1);  // locks 500.00
  EXPECT_EQ(v.balance(kAccount, kQuote).locked, 500'00);
  v.on_market(trade(0, 9000, 1, 2), 2);  // fills at 100.00, maker fee 0.50
  EXPECT_EQ(v.balance(kAccount, kQuote).locked, 0);
  EXPECT_EQ(v.balance(kAccount, kQuote).free, 1000'00 - 500'00 - 50);
  EXPECT_EQ(v.balance(kAccount, kBase).free, 5'000);
  s.responses.clear();
  v.request_balances(kAccount, 3);
  ASSERT_EQ(s.responses.size(), 2u);
  EXPECT_FALSE(s.responses[0].is_order);
  EXPECT_EQ(s.responses[0].balance.asset, kBase);
  EXPECT_EQ(s.responses[0].balance.free, 5'000);
  EXPECT_EQ(s.responses[1].balance.free, 1000'00 - 500'00 - 50);
}

TEST_F(PaperVenueTest, shouldRejectUnknownInstrumentsBadOrdersAndAFullBook) {
  OrderNew bad = order(1, Side::kBuy, OrderType::kLimit, 10000, 1000);
  bad.instrument = InstrumentId{1};
  venue.submit(bad, 1);
  EXPECT_EQ(orders().back().reason, static_cast<std::uint16_t>(PaperReason::kUnknownInstrument));
  venue.submit(order(2, Side::kBuy, OrderType::kLimit, 10000, 0), 1);
  EXPECT_EQ(orders().back().reason, static_cast<std::uint16_t>(PaperReason::kBadQuantity));
  venue.submit(order(3, Side::kBuy, OrderType::kLimit, -5, 10), 1);
  EXPECT_EQ(orders().back().reason, static_cast<std::uint16_t>(PaperReason::kBadPrice));
  venue.submit(order(4, Side::kBuy, OrderType::kLimit, INT64_MAX / 2, 1'000'000), 1);
  EXPECT_EQ(orders().back().reason, static_cast<std::uint16_t>(PaperReason::kBadPrice));
  for (SequenceNumber k = 10; k < 18; ++k)
    venue.submit(order(k, Side::kBuy, OrderType::kLimit, 5000, 10), 1);
  venue.submit(order(18, Side::kBuy, OrderType::kLimit, 5000, 10), 1);
  EXPECT_EQ(orders().back().reason, static_cast<std::uint16_t>(PaperReason::kTooManyOrders));
}

TEST_F(PaperVenueTest, shouldRejectRequestsBeyondTheInFlightQueueAsBusy) {
  PaperConfig c = base_config();
  c.latency_ns = 100;
  c.max_pending = 2;
  test::RecordingSink s;
  PaperVenue v(c, s);
  ASSERT_TRUE(v.define_instrument(test::instrument(0), kBase, kQuote));
  v.submit(order(1, Side::kBuy, OrderType::kLimit, 9000, 1000), 0);
  v.submit(order(2, Side::kBuy, OrderType::kLimit, 9000, 1000), 0);
  v.submit(order(3, Side::kBuy, OrderType::kLimit, 9000, 1000), 0);
  ASSERT_EQ(s.responses.size(), 1u);
  EXPECT_EQ(s.responses[0].order.client_sequence, 3u);
  EXPECT_EQ(s.responses[0].order.reason, static_cast<std::uint16_t>(PaperReason::kVenueBusy));
  EXPECT_EQ(s.responses[0].event_time, 0) << "refused at once, not after the latency";
  OrderCancel cancel;
  cancel.bot = kBot;
  cancel.client_sequence = 1;
  v.cancel(cancel, 50);
  EXPECT_EQ(static_cast<OrderEvent>(s.responses.back().order.event), OrderEvent::kCancelRejected);
  v.advance(100);
  EXPECT_EQ(v.resting_orders(), 2u);
  EXPECT_EQ(v.stats()["busy"], 2u);
}

TEST_F(PaperVenueTest, shouldIgnoreMarketDataForInstrumentsItDoesNotKnow) {
  venue.submit(order(1, Side::kBuy, OrderType::kLimit, 10000, 1000), 1);
  const auto before = venue.state_hash();
  venue.on_market(trade(7, 1, 1000, 2), 2);
  venue.on_market(quote(9, 1, 2, 3), 3);
  venue.on_market(trade(0, 0, 1000, 4), 4);  // a zero price is not a trade
  EXPECT_EQ(venue.state_hash(), before);
  EXPECT_EQ(orders().size(), 1u);
}

TEST_F(PaperVenueTest, shouldRestoreASnapshotThatContinuesIdentically) {
  PaperConfig c = base_config();
  c.latency_ns = 10;
  test::RecordingSink s1;
  test::RecordingSink s2;
  PaperVenue a(c, s1);
  PaperVenue b(c, s2);
  ASSERT_TRUE(a.define_instrument(test::instrument(0), kBase, kQuote));
  a.submit(order(1, Side::kBuy, OrderType::kLimit, 10000, 1000), 0);
  a.submit(order(2, Side::kSell, OrderType::kLimit, 10100, 1000), 5);  // still in flight
  a.on_market(trade(0, 10000, 300, 12), 12);
  const auto bytes = a.snapshot();
  ASSERT_TRUE(b.restore(bytes).has_value());
  EXPECT_EQ(a.state_hash(), b.state_hash());
  a.on_market(trade(0, 10200, 300, 20), 20);
  b.on_market(trade(0, 10200, 300, 20), 20);
  EXPECT_EQ(a.state_hash(), b.state_hash());
  ASSERT_EQ(s2.responses.size(), 2u);  // order 2 arrives at 15 and fills at 20: ack + fill
  EXPECT_EQ(s1.responses.back().order.trade_id, s2.responses.back().order.trade_id);
  auto flipped = bytes;
  flipped[20] ^= std::byte{1};
  const auto hash = b.state_hash();
  EXPECT_FALSE(b.restore(flipped).has_value());
  EXPECT_EQ(b.state_hash(), hash);
}

}  // namespace
}  // namespace be::oms
