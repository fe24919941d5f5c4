// OrderManager: every path of the fold, figure by figure at awkward scales (prices with 2
// decimals, quantities with 3), plus snapshot/restore and refusal of corrupt snapshots.
#include "oms/order_manager.hpp"

#include <gtest/gtest.h>

#include <cstdint>

#include <algorithm>
#include <cstring>

#include "core/state_io.hpp"
#include "tests/oms/oms_fixture.hpp"

namespace be::oms {
namespace {

using test::kBase;
using test::kQuote;

constexpr BotId kBot{1};
constexpr AccountId kAccount{0};
constexpr InstrumentId kInstrument{0};

OmsCapacity small_capacity(std::uint32_t orders = 8) {
  return OmsCapacity{4, 2, 2, 2, orders};
}

class OrderManagerTest : public ::testing::Test {
 protected:
  // A buy partly filled and an accepted sell, marked: the state the snapshot tests take.
  void open_two_orders() {
    ASSERT_TRUE(om.open_order(intent(1, Side::kBuy, 10025), 333, 0));
    ASSERT_TRUE(om.open_order(intent(2, Side::kSell, 10100), 700, 0));
    om.apply(fill(1, OrderEvent::kPartialFill, 10000, 111, 111, 1, 1), 1);
    om.apply(update(2, OrderEvent::kAccepted), 1);
    om.mark(kInstrument, 10010);
  }
  OrderManagerTest() : om(small_capacity()) {
    EXPECT_TRUE(om.define_instrument(test::instrument(0), kBase, kQuote));
    EXPECT_TRUE(om.assign_bot(kBot, kAccount));
    BalanceUpdate q{kAccount, kQuote, 0, 1'000'000'00, 0};  // 1,000,000.00 quote
    BalanceUpdate b{kAccount, kBase, 0, 10'000, 0};         // 10.000 base
    EXPECT_TRUE(om.apply(q));
    EXPECT_TRUE(om.apply(b));
  }

  static OrderIntent intent(SequenceNumber cause, Side side, std::int64_t price,
                            OrderType type = OrderType::kLimit) {
    return {.bot = kBot,
            .instrument = kInstrument,
            .side = side,
            .type = type,
            .tag = 7,
            .price = price,
            .cause = cause};
  }

  static OrderUpdate update(SequenceNumber seq, OrderEvent e) {
    return {.bot = kBot,
            .event = static_cast<std::uint8_t>(e),
            .instrument = kInstrument,
            .account = kAccount,
            .client_sequence = seq};
  }

  static OrderUpdate fill(SequenceNumber seq, OrderEvent e, std::int64_t price, std::int64_t qty,
                          std::int64_t cumulative, std::int64_t fee, std::uint64_t trade_id) {
    OrderUpdate u = update(seq, e);
    u.last_price = price;
    u.last_quantity = qty;
    u.cumulative_quantity = cumulative;
    u.fee = fee;
    u.trade_id = trade_id;
    u.liquidity = OrderUpdate::kMaker;
    return u;
  }

  OrderManager om;
};

TEST_F(OrderManagerTest, shouldOpenPendingNewAndLockQuoteRoundedUpForBuyLimit) {
  // 0.333 at 100.25: notional 33.38325 -> 3338.325 hundredths, locked rounded up: 3339.
  const auto sent = om.open_order(intent(1024, Side::kBuy, 10025), 333, 5);
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(sent->client_sequence, 1024u);
  EXPECT_EQ(sent->account, kAccount);
  EXPECT_EQ(sent->quantity, 333);
  EXPECT_EQ(sent->price, 10025);
  EXPECT_EQ(sent->tag, 7u);
  const ManagedOrder* m = om.find(kBot, 1024);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->order.state, OrderState::kPendingNew);
  EXPECT_EQ(om.balance(kAccount, kQuote).locked, 3339);
  EXPECT_EQ(om.balance(kAccount, kQuote).free, 1'000'000'00 - 3339);
  EXPECT_EQ(om.open_orders(kBot), 1u);
}

TEST_F(OrderManagerTest, shouldTreatAResendOfTheSameClientIdAsIdempotent) {
  ASSERT_TRUE(om.open_order(intent(1024, Side::kBuy, 10000), 1000, 1));
  const auto hash = om.state_hash();
  EXPECT_FALSE(om.open_order(intent(1024, Side::kBuy, 10000), 1000, 2).has_value());
  EXPECT_EQ(om.stats().duplicate_opens, 1u);
  EXPECT_EQ(om.open_orders(kBot), 1u) << "never a second order";
  EXPECT_EQ(om.balance(kAccount, kQuote).locked, 100'00) << "locked once";
  EXPECT_NE(hash, om.state_hash()) << "the refusal is counted, and counters are state";
}

TEST_F(OrderManagerTest, shouldRefuseBadOpensAndCountThem) {
  OrderIntent unassigned = intent(1, Side::kBuy, 100);
  unassigned.bot = BotId{2};
  EXPECT_FALSE(om.open_order(unassigned, 1, 0));
  OrderIntent undefined = intent(2, Side::kBuy, 100);
  undefined.instrument = InstrumentId{1};
  EXPECT_FALSE(om.open_order(undefined, 1, 0));
  EXPECT_FALSE(om.open_order(intent(3, Side::kBuy, 100), 0, 0));
  EXPECT_FALSE(om.open_order(intent(4, Side::kBuy, 0), 1, 0)) << "a limit needs a price";
  EXPECT_FALSE(om.open_order(intent(5, Side::kNone, 100), 1, 0));
  OrderIntent beyond = intent(6, Side::kBuy, 100);
  beyond.bot = BotId{99};
  EXPECT_FALSE(om.open_order(beyond, 1, 0));
  EXPECT_EQ(om.stats().bad_inputs, 6u);
  EXPECT_EQ(om.live_orders(), 0u);
}

TEST_F(OrderManagerTest, shouldRefuseOpenWhenEveryOrderIsLiveAndEvictOldestTerminalOtherwise) {
  for (SequenceNumber s = 1; s <= 8; ++s)
    ASSERT_TRUE(om.open_order(intent(s, Side::kBuy, 100), 1, 0));
  EXPECT_FALSE(om.open_order(intent(9, Side::kBuy, 100), 1, 0));
  EXPECT_EQ(om.stats().table_full, 1u);
  // Orders 3 and 5 end; the next opens reuse their slots, oldest terminal first.
  om.apply(update(3, OrderEvent::kRejected), 1);
  om.apply(update(5, OrderEvent::kRejected), 1);
  ASSERT_TRUE(om.open_order(intent(10, Side::kBuy, 100), 1, 2));
  EXPECT_EQ(om.find(kBot, 3), nullptr) << "the oldest terminal order was evicted";
  EXPECT_NE(om.find(kBot, 5), nullptr) << "the younger one is still remembered";
  ASSERT_TRUE(om.open_order(intent(11, Side::kBuy, 100), 1, 2));
  EXPECT_EQ(om.find(kBot, 5), nullptr);
  EXPECT_FALSE(om.open_order(intent(12, Side::kBuy, 100), 1, 2));
  EXPECT_EQ(om.stats().table_full, 2u);
}

TEST_F(OrderManagerTest, shouldApplyAckPartialAndFinalFillToPositionBalancesAndFees) {
  ASSERT_TRUE(om.open_order(intent(1, Side::kBuy, 10025), 333, 0));
  UpdateResult r = om.apply(update(1, OrderEvent::kAccepted), 1);
  EXPECT_EQ(r.outcome, Outcome::kApplied);
  EXPECT_EQ(r.to, OrderState::kNew);
  // 0.111 at 100.00 (better than the limit), fee 0.01; then 0.222 at 100.25, fee 0.02.
  r = om.apply(fill(1, OrderEvent::kPartialFill, 10000, 111, 111, 1, 501), 2);
  EXPECT_EQ(r.outcome, Outcome::kApplied);
  EXPECT_EQ(r.to, OrderState::kPartiallyFilled);
  ASSERT_TRUE(r.fill.has_value());
  EXPECT_EQ(r.fill->position_after, 111);
  EXPECT_EQ(r.fill->tag, 7u);
  EXPECT_FALSE(r.closed);
  r = om.apply(fill(1, OrderEvent::kFill, 10025, 222, 333, 2, 502), 3);
  EXPECT_EQ(r.to, OrderState::kFilled);
  EXPECT_TRUE(r.closed);
  EXPECT_EQ(r.remaining, 0);
  // Exact notional: 10000*111 + 10025*222 = 3'335'550 at scale 5 -> 3335.55 -> 3336 (half up).
  EXPECT_EQ(om.balance(kAccount, kQuote).free, 1'000'000'00 - 3336 - 3);
  EXPECT_EQ(om.balance(kAccount, kQuote).locked, 0) << "the lock is released in full";
  EXPECT_EQ(om.balance(kAccount, kBase).free, 10'000 + 333);
  const Position* p = om.position(kBot, kInstrument);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->quantity(), 333);
  EXPECT_EQ(p->average_entry_price(), 10017);  // 3'335'550 / 333 = 10016.67
  EXPECT_EQ(om.fees(kBot), 3);
  EXPECT_EQ(om.open_orders(kBot), 0u);
  EXPECT_EQ(om.stats().fills, 2u);
}

TEST_F(OrderManagerTest, shouldSellBaseFromItsLockAndCreditQuoteLessFee) {
  ASSERT_TRUE(om.open_order(intent(1, Side::kSell, 20000), 1500, 0));
  EXPECT_EQ(om.balance(kAccount, kBase).locked, 1500);
  om.apply(fill(1, OrderEvent::kFill, 20001, 1500, 1500, 30, 9), 1);
  EXPECT_EQ(om.balance(kAccount, kBase).locked, 0);
  EXPECT_EQ(om.balance(kAccount, kBase).free, 10'000 - 1500);
  // 200.01 x 1.5 = 300.015 -> 300.02 (half away from zero) = 30002 hundredths, less 30 fee.
  EXPECT_EQ(om.balance(kAccount, kQuote).free, 1'000'000'00 + 30002 - 30);
  EXPECT_EQ(om.position(kBot, kInstrument)->quantity(), -1500);
}

TEST_F(OrderManagerTest, shouldNotReapplyAFillSeenBeforeByTradeIdOrCumulativeQuantity) {
  ASSERT_TRUE(om.open_order(intent(1, Side::kBuy, 10000), 1000, 0));
  om.apply(fill(1, OrderEvent::kPartialFill, 10000, 400, 400, 0, 77), 1);
  const auto hash_after_first = om.balance(kAccount, kBase).free;
  UpdateResult r = om.apply(fill(1, OrderEvent::kPartialFill, 10000, 400, 400, 0, 77), 2);
  EXPECT_EQ(r.outcome, Outcome::kDuplicate);
  EXPECT_FALSE(r.fill.has_value());
  r = om.apply(fill(1, OrderEvent::kPartialFill, 10000, 400, 400, 0, 0), 2);
  EXPECT_EQ(r.outcome, Outcome::kDuplicate) << "same cumulative quantity, no trade id";
  EXPECT_EQ(om.balance(kAccount, kBase).free, hash_after_first);
  EXPECT_EQ(om.find(kBot, 1)->order.filled_quantity, 400);
  EXPECT_EQ(om.stats().duplicates, 2u);
}

TEST_F(OrderManagerTest, shouldCountAFillGapAsIllegalAndApplyNothing) {
  ASSERT_TRUE(om.open_order(intent(1, Side::kBuy, 10000), 1000, 0));
  // The venue says 700 filled in total, but this fill is 300 and we saw none: a gap.
  UpdateResult r = om.apply(fill(1, OrderEvent::kPartialFill, 10000, 300, 700, 0, 1), 1);
  EXPECT_EQ(r.outcome, Outcome::kIllegal);
  r = om.apply(fill(1, OrderEvent::kFill, 10000, 2000, 0, 0, 2), 1);  // more than remains
  EXPECT_EQ(r.outcome, Outcome::kIllegal);
  r = om.apply(fill(1, OrderEvent::kFill, 0, 100, 0, 0, 3), 1);  // no price
  EXPECT_EQ(r.outcome, Outcome::kIllegal);
  EXPECT_EQ(om.find(kBot, 1)->order.filled_quantity, 0);
  EXPECT_EQ(om.position(kBot, kInstrument)->quantity(), 0);
  EXPECT_EQ(om.stats().illegal, 3u);
  const auto pending = static_cast<std::size_t>(OrderState::kPendingNew);
  EXPECT_EQ(om.stats().illegal_by[pending][static_cast<std::size_t>(OrderEvent::kPartialFill)], 1u);
  EXPECT_EQ(om.stats().illegal_by[pending][static_cast<std::size_t>(OrderEvent::kFill)], 2u);
}

TEST_F(OrderManagerTest, shouldCountIllegalTransitionsPerStateAndEventWithoutApplying) {
  ASSERT_TRUE(om.open_order(intent(1, Side::kBuy, 10000), 1000, 0));
  om.apply(update(1, OrderEvent::kAccepted), 1);
  UpdateResult r = om.apply(update(1, OrderEvent::kRejected), 2);  // a reject after an ack
  EXPECT_EQ(r.outcome, Outcome::kIllegal);
  EXPECT_EQ(r.to, OrderState::kNew);
  EXPECT_FALSE(r.closed);
  r = om.apply(update(1, OrderEvent::kReconciledNotFound), 2);
  EXPECT_EQ(r.outcome, Outcome::kIllegal);
  const auto row = static_cast<std::size_t>(OrderState::kNew);
  EXPECT_EQ(om.stats().illegal_by[row][static_cast<std::size_t>(OrderEvent::kRejected)], 1u);
  EXPECT_EQ(om.stats().illegal_by[row][static_cast<std::size_t>(OrderEvent::kReconciledNotFound)],
            1u);
  EXPECT_EQ(om.find(kBot, 1)->order.state, OrderState::kNew);
  EXPECT_EQ(om.balance(kAccount, kQuote).locked, 100'00) << "nothing released";
}

TEST_F(OrderManagerTest, shouldRefuseAbsurdAmountsInsteadOfOverflowingBalances) {
  ASSERT_TRUE(om.open_order(intent(1, Side::kBuy, 10000), 1000, 0));
  UpdateResult r = om.apply(fill(1, OrderEvent::kFill, INT64_MAX, 1000, 1000, 0, 1), 1);
  EXPECT_EQ(r.outcome, Outcome::kIllegal);
  r = om.apply(fill(1, OrderEvent::kFill, 10000, 1000, 1000, INT64_MIN, 2), 1);
  EXPECT_EQ(r.outcome, Outcome::kIllegal) << "a fee no venue charges";
  EXPECT_FALSE(om.open_order(intent(2, Side::kBuy, INT64_MAX / 2), 1'000'000, 1));
  EXPECT_EQ(om.balance(kAccount, kQuote).free, 1'000'000'00 - 100'00);
  EXPECT_EQ(om.find(kBot, 1)->order.filled_quantity, 0);
}

TEST_F(OrderManagerTest, shouldReportAnUnknownClientIdAndNeverApplyIt) {
  const auto before = om.state_hash();
  UpdateResult r = om.apply(fill(4242, OrderEvent::kFill, 10000, 1, 1, 0, 1), 1);
  EXPECT_TRUE(r.unknown_order);
  EXPECT_FALSE(r.fill.has_value());
  EXPECT_EQ(om.stats().unknown_ids, 1u);
  OrderUpdate wild = update(1, OrderEvent::kAccepted);
  wild.event = 99;
  EXPECT_TRUE(om.apply(wild, 1).unknown_order);
  wild.event = 0;
  wild.bot = BotId{1000};
  EXPECT_TRUE(om.apply(wild, 1).unknown_order);
  EXPECT_EQ(om.stats().bad_inputs, 2u);
  EXPECT_NE(before, om.state_hash()) << "the counters are state";
  EXPECT_EQ(om.position(kBot, kInstrument)->quantity(), 0);
}

TEST_F(OrderManagerTest, shouldCancelThroughPendingCancelAndReleaseTheLock) {
  ASSERT_TRUE(om.open_order(intent(1, Side::kBuy, 10000), 1000, 0));
  om.apply(update(1, OrderEvent::kAccepted), 1);
  om.apply(fill(1, OrderEvent::kPartialFill, 10000, 250, 250, 0, 1), 2);
  const auto c = om.request_cancel(kBot, 1, 3);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->client_sequence, 1u);
  EXPECT_EQ(c->tag, 7u);
  EXPECT_EQ(om.find(kBot, 1)->order.state, OrderState::kPendingCancel);
  EXPECT_FALSE(om.request_cancel(kBot, 1, 3)) << "a second cancel is not sent again";
  EXPECT_EQ(om.stats().duplicates, 1u);
  const UpdateResult r = om.apply(update(1, OrderEvent::kCanceled), 4);
  EXPECT_TRUE(r.closed);
  EXPECT_EQ(r.remaining, 750);
  EXPECT_EQ(om.balance(kAccount, kQuote).locked, 0);
  EXPECT_EQ(om.balance(kAccount, kQuote).free, 1'000'000'00 - 25'00);
  EXPECT_FALSE(om.request_cancel(kBot, 1, 5)) << "nothing left to cancel";
  EXPECT_FALSE(om.request_cancel(kBot, 999, 5));
  EXPECT_EQ(om.stats().unknown_ids, 1u);
}

TEST_F(OrderManagerTest, shouldResumeOpenWhenTheVenueRefusesTheCancel) {
  ASSERT_TRUE(om.open_order(intent(1, Side::kBuy, 10000), 1000, 0));
  om.apply(update(1, OrderEvent::kAccepted), 1);
  om.apply(fill(1, OrderEvent::kPartialFill, 10000, 1, 1, 0, 1), 2);
  ASSERT_TRUE(om.request_cancel(kBot, 1, 3));
  const UpdateResult r = om.apply(update(1, OrderEvent::kCancelRejected), 4);
  EXPECT_EQ(r.to, OrderState::kPartiallyFilled) << "open again, with its fill";
}

TEST_F(OrderManagerTest, shouldApplyAFillThatLostTheRaceWithItsCancelAfterRelease) {
  ASSERT_TRUE(om.open_order(intent(1, Side::kBuy, 10000), 1000, 0));
  ASSERT_TRUE(om.request_cancel(kBot, 1, 1));
  om.apply(update(1, OrderEvent::kCanceled), 2);
  const UpdateResult r = om.apply(fill(1, OrderEvent::kPartialFill, 10000, 500, 500, 5, 1), 3);
  EXPECT_EQ(r.outcome, Outcome::kApplied);
  EXPECT_EQ(r.to, OrderState::kCanceled);
  EXPECT_FALSE(r.closed) << "closed once, at the cancel";
  EXPECT_EQ(om.balance(kAccount, kQuote).free, 1'000'000'00 - 50'00 - 5);
  EXPECT_EQ(om.balance(kAccount, kQuote).locked, 0);
  EXPECT_EQ(om.balance(kAccount, kBase).free, 10'000 + 500);
}

TEST_F(OrderManagerTest, shouldMarkLiveOrdersUnknownOnConnectionLossAndCatchUpOnReconcile) {
  ASSERT_TRUE(om.open_order(intent(1, Side::kBuy, 10000), 1000, 0));
  ASSERT_TRUE(om.open_order(intent(2, Side::kBuy, 10000), 1000, 0));
  ASSERT_TRUE(om.open_order(intent(3, Side::kSell, 10000), 1000, 0));
  om.apply(update(2, OrderEvent::kAccepted), 1);
  om.apply(update(3, OrderEvent::kRejected), 1);
  EXPECT_EQ(om.connection_lost(kAccount), 2u) << "terminal orders stay as they are";
  EXPECT_EQ(om.connection_lost(AccountId{1}), 0u);
  std::vector<SequenceNumber> unknown;
  om.for_each_unknown(
      [&](const ManagedOrder& m) { unknown.push_back(m.order.client_id.sequence); });
  EXPECT_EQ(unknown, (std::vector<SequenceNumber>{1, 2}));
  EXPECT_FALSE(om.request_cancel(kBot, 1, 2)) << "reconcile before cancelling";
  // The venue filled 600 of order 1 during the outage at an average of 99.50, fees 0.06.
  OrderUpdate rec = update(1, OrderEvent::kReconciledPartial);
  rec.cumulative_quantity = 600;
  rec.last_price = 9950;
  rec.fee = 6;
  const UpdateResult r = om.apply(rec, 3);
  EXPECT_EQ(r.outcome, Outcome::kApplied);
  EXPECT_EQ(r.to, OrderState::kPartiallyFilled);
  ASSERT_TRUE(r.fill.has_value());
  EXPECT_EQ(r.fill->quantity, 600);
  EXPECT_EQ(om.position(kBot, kInstrument)->quantity(), 600);
  EXPECT_EQ(om.fees(kBot), 6);
  const UpdateResult gone = om.apply(update(2, OrderEvent::kReconciledNotFound), 3);
  EXPECT_EQ(gone.to, OrderState::kRejected);
  EXPECT_TRUE(gone.closed);
}

TEST_F(OrderManagerTest, shouldBookOnlyTheMissingPartOfAReconciledFillAtMatchingPriceAndFee) {
  ASSERT_TRUE(om.open_order(intent(1, Side::kBuy, 10000), 1000, 0));
  om.apply(fill(1, OrderEvent::kPartialFill, 10000, 200, 200, 2, 1), 1);
  EXPECT_EQ(om.connection_lost(kAccount), 1u);
  // The venue: 0.600 filled at an average of 99.50, 0.06 fees in total, then canceled.
  OrderUpdate rec = update(1, OrderEvent::kReconciledCanceled);
  rec.cumulative_quantity = 600;
  rec.last_price = 9950;
  rec.fee = 6;
  const UpdateResult r = om.apply(rec, 2);
  ASSERT_TRUE(r.fill.has_value());
  EXPECT_EQ(r.fill->quantity, 400);
  EXPECT_EQ(r.fill->price, 9925);  // (99.50 x 0.6 - 100.00 x 0.2) / 0.4
  EXPECT_EQ(r.fill->fee, 4);
  EXPECT_EQ(r.to, OrderState::kCanceled);
  EXPECT_TRUE(r.closed);
  EXPECT_EQ(r.remaining, 400);
  EXPECT_EQ(om.fees(kBot), 6);
  EXPECT_EQ(om.position(kBot, kInstrument)->average_entry_price(), 9950);
  EXPECT_EQ(om.balance(kAccount, kQuote).free, 1'000'000'00 - 59'70 - 6);
  EXPECT_EQ(om.balance(kAccount, kQuote).locked, 0);
}

TEST_F(OrderManagerTest, shouldValueUnrealizedPnlAtTheMark) {
  ASSERT_TRUE(om.open_order(intent(1, Side::kBuy, 10000), 2000, 0));
  om.apply(fill(1, OrderEvent::kFill, 10000, 2000, 2000, 0, 1), 1);
  EXPECT_EQ(om.unrealized_pnl(kBot), 0) << "no mark yet: the last fill price";
  om.mark(kInstrument, 10150);
  EXPECT_EQ(om.unrealized_pnl(kBot), 3'00);  // 2 x 1.50
  ASSERT_TRUE(om.open_order(intent(2, Side::kSell, 10100), 500, 2));
  om.apply(fill(2, OrderEvent::kFill, 10100, 500, 500, 0, 2), 3);
  EXPECT_EQ(om.realized_pnl(kBot), 50);  // 0.5 x 1.00
  EXPECT_EQ(om.unrealized_pnl(kBot), 2'25);
}

TEST_F(OrderManagerTest, shouldRoundTripSnapshotWithEqualHashAndBehaviour) {
  open_two_orders();
  const std::vector<std::byte> bytes = om.snapshot();
  OrderManager copy(small_capacity());
  ASSERT_TRUE(copy.restore(bytes).has_value());
  EXPECT_EQ(copy.state_hash(), om.state_hash());
  EXPECT_EQ(copy.snapshot(), bytes);
  // Both continue alike: the restored index finds the orders.
  const UpdateResult a = om.apply(fill(1, OrderEvent::kFill, 10025, 222, 333, 2, 2), 2);
  const UpdateResult b = copy.apply(fill(1, OrderEvent::kFill, 10025, 222, 333, 2, 2), 2);
  EXPECT_EQ(a.to, b.to);
  EXPECT_EQ(copy.state_hash(), om.state_hash());
  EXPECT_EQ(copy.unrealized_pnl(kBot), om.unrealized_pnl(kBot));
}

// engine.capacity grew: a snapshot of smaller tables restores into larger ones (each order
// in its slot, every position and balance at its ids) and both go on alike.
TEST_F(OrderManagerTest, shouldRestoreIntoLargerTablesAndContinueAlike) {
  open_two_orders();
  OrderManager larger(OmsCapacity{9, 5, 4, 6, 64});
  ASSERT_TRUE(larger.restore(om.snapshot()).has_value());
  EXPECT_EQ(larger.capacity().orders, 64u);
  EXPECT_EQ(larger.open_orders(kBot), om.open_orders(kBot));
  EXPECT_EQ(larger.unrealized_pnl(kBot), om.unrealized_pnl(kBot));
  const UpdateResult a = om.apply(fill(1, OrderEvent::kFill, 10025, 222, 333, 2, 2), 2);
  const UpdateResult b = larger.apply(fill(1, OrderEvent::kFill, 10025, 222, 333, 2, 2), 2);
  EXPECT_EQ(a.to, b.to);
  EXPECT_EQ(larger.open_orders(kBot), om.open_orders(kBot));
  EXPECT_EQ(larger.unrealized_pnl(kBot), om.unrealized_pnl(kBot));
  EXPECT_EQ(larger.fees(kBot), om.fees(kBot));
  // And back into the original sizes: everything still fits, so the same state.
  OrderManager again(small_capacity());
  ASSERT_TRUE(again.restore(larger.snapshot()).has_value());
  EXPECT_EQ(again.open_orders(kBot), om.open_orders(kBot));
  EXPECT_EQ(again.unrealized_pnl(kBot), om.unrealized_pnl(kBot));
}

TEST_F(OrderManagerTest, shouldRefuseCorruptTruncatedOrForeignSnapshotsAndChangeNothing) {
  ASSERT_TRUE(om.open_order(intent(1, Side::kBuy, 10025), 333, 0));
  const std::vector<std::byte> bytes = om.snapshot();
  OrderManager other(small_capacity());
  ASSERT_TRUE(other.define_instrument(test::instrument(1), kBase, kQuote));
  const auto before = other.state_hash();

  std::vector<std::byte> flipped = bytes;
  flipped[bytes.size() / 2] ^= std::byte{0x40};
  auto r = other.restore(flipped);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), state_io::FrameError::kCorrupt);

  r = other.restore(std::span(bytes).first(bytes.size() - 1));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), state_io::FrameError::kTruncated);

  std::vector<std::byte> foreign = bytes;
  foreign[0] = std::byte{0};
  r = other.restore(foreign);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), state_io::FrameError::kBadVersion);

  // Tables without a place for what the snapshot holds (bot 1 in a one-bot table).
  OrderManager too_small(OmsCapacity{1, 2, 2, 2, 8});
  const auto too_small_before = too_small.state_hash();
  r = too_small.restore(bytes);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), state_io::FrameError::kCapacityMismatch);
  EXPECT_EQ(too_small.state_hash(), too_small_before);

  // A checksum that matches bytes this code never wrote: validation refuses it.
  std::vector<std::byte> forged = bytes;
  const std::size_t header = 4 + 1 + sizeof(OmsCapacity);
  for (std::size_t k = header; k + 8 < forged.size(); ++k)
    forged[k] = std::byte{0xFF};
  const std::uint64_t sum = state_io::fnv1a64(std::span(forged).first(forged.size() - 8));
  std::memcpy(forged.data() + forged.size() - 8, &sum, 8);
  r = other.restore(forged);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), state_io::FrameError::kCorrupt);

  r = other.restore(std::span<const std::byte>{});
  EXPECT_FALSE(r.has_value());
  EXPECT_EQ(other.state_hash(), before) << "a refused restore changes nothing";
}

}  // namespace
}  // namespace be::oms
