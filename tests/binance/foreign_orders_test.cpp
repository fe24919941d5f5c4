// The gateway's foreign-order policy (GatewayConfig::foreign_orders, docs/LIVE.md "Foreign
// orders") against the mock exchange: with kCancel an open order on the account's key that is
// not ours is reported, then cancelled at the venue by its venue order id, and the outcome is
// reported for the same order (kCanceled; kCancelRejected with the reason when the venue
// refuses); our own orders are never touched by it.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "oms/venues/binance/errors.hpp"
#include "tests/binance/e2e_support.hpp"

namespace be::binance {
namespace {

using namespace e2e;  // NOLINT: the shared fixtures of these tests

class ForeignOrders : public ::testing::Test {
 protected:
  void start(oms::ForeignOrderPolicy policy) {
    mock_ = std::make_unique<mock::MockExchange>(mock_config(), wall_);
    ASSERT_TRUE(mock_->start().has_value());
    GatewayConfig g = gateway_config(*mock_);
    g.foreign_orders = policy;
    gateway_ = std::make_unique<BinanceSpotGateway>(std::move(g), credentials(), recorder_, wall_);
    ASSERT_TRUE(gateway_->start().has_value());
    ASSERT_TRUE(recorder_.wait([&] { return recorder_.connected_locked() >= 1; }));
  }
  // A resting sell placed on the same key by another program ("by-hand-N" client id).
  void place_by_hand(int n) {
    QueryBuilder q;
    q.add("symbol", "BTCUSDT").add("side", "SELL").add("type", "LIMIT").add("timeInForce", "GTC");
    q.add("quantity", "0.002").add("price", "61000");
    q.add("newClientOrderId", "by-hand-" + std::to_string(n));
    ASSERT_EQ(signed_rest(*mock_, wall_, "POST", "/api/v3/order", q).status, 200);
  }
  bool open_at_venue(std::string_view client_id) {
    QueryBuilder q;
    q.add("symbol", "BTCUSDT");
    return signed_rest(*mock_, wall_, "GET", "/api/v3/openOrders", q).body.find(client_id) !=
           std::string::npos;
  }
  // The foreign-order inputs the gateway gave, in order.
  std::vector<OrderUpdate> foreign_updates() {
    std::vector<OrderUpdate> out;
    for (const auto& r : recorder_.updates_for(0))
      if (oms::is_foreign_order(r.update)) out.push_back(r.update);
    return out;
  }
  // Reconciles (as after a reconnect) and waits for `n` foreign-order inputs in all.
  void reconcile_until(std::size_t n) {
    gateway_->query_open_orders(kAccount, 1);
    ASSERT_TRUE(recorder_.wait([&] {
      return static_cast<std::size_t>(std::count_if(
                 recorder_.updates_locked().begin(), recorder_.updates_locked().end(),
                 [](const Recorded& r) { return oms::is_foreign_order(r.update); })) >= n;
    }));
  }

  WallClock wall_;
  Recorder recorder_;
  std::unique_ptr<mock::MockExchange> mock_;
  std::unique_ptr<BinanceSpotGateway> gateway_;
};

TEST_F(ForeignOrders, shouldCancelAForeignOrderAndReportBothSteps) {
  start(oms::ForeignOrderPolicy::kCancel);
  // One order of ours resting too: the policy never touches it.
  gateway_->submit(limit(1, Side::kBuy, px(30'000), qty_micro(1'000)), 1);
  ASSERT_TRUE(recorder_.wait_event(1, OrderEvent::kAccepted));
  place_by_hand(1);
  ASSERT_TRUE(open_at_venue("by-hand-1"));
  reconcile_until(2);
  const auto updates = foreign_updates();
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[0].event, static_cast<std::uint8_t>(OrderEvent::kReconciledNew));
  EXPECT_EQ(updates[1].event, static_cast<std::uint8_t>(OrderEvent::kCanceled));
  EXPECT_EQ(updates[1].venue_order_id, updates[0].venue_order_id);
  EXPECT_EQ(updates[1].account, kAccount);
  EXPECT_EQ(updates[1].instrument, kBtc);
  EXPECT_EQ(updates[1].side, Side::kSell);
  EXPECT_FALSE(open_at_venue("by-hand-1"));
  EXPECT_TRUE(open_at_venue(client_id(1))) << "ours is left alone";
  const GatewayStats s = gateway_->stats();
  EXPECT_EQ(s.foreign_orders, 1u);
  EXPECT_EQ(s.foreign_cancels, 1u);
  EXPECT_EQ(s.foreign_cancels_refused, 0u);
  // By its venue id: the foreign client id is never named in a cancel.
  int deletes = 0;
  for (const auto& e : mock_->request_log()) {
    if (e.method != "DELETE") continue;
    ++deletes;
    EXPECT_NE(e.received.find("orderId=" + std::to_string(updates[0].venue_order_id)),
              std::string::npos)
        << e.received;
  }
  EXPECT_EQ(deletes, 1);
}

TEST_F(ForeignOrders, shouldReportACancelTheVenueRefuses) {
  start(oms::ForeignOrderPolicy::kCancel);
  place_by_hand(2);
  // Every attempt of the cancel fails at the venue (500 before processing, 4 attempts).
  mock_->fail_next(4, mock::FaultMode::kServerErrorBeforeProcessing, "DELETE /api/v3/order");
  reconcile_until(2);
  const auto updates = foreign_updates();
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[1].event, static_cast<std::uint8_t>(OrderEvent::kCancelRejected));
  EXPECT_EQ(updates[1].reason, static_cast<std::uint16_t>(VenueReason::kServerError));
  EXPECT_EQ(updates[1].venue_order_id, updates[0].venue_order_id);
  EXPECT_TRUE(open_at_venue("by-hand-2"));
  EXPECT_EQ(gateway_->stats().foreign_cancels_refused, 1u);
}

TEST_F(ForeignOrders, shouldOnlyReportByDefault) {
  start(oms::ForeignOrderPolicy::kReport);
  place_by_hand(3);
  reconcile_until(1);
  // The REST side works in order: once a later query is answered, a cancel would have gone.
  gateway_->query_order(kBot, kBtc, 999, 1);
  ASSERT_TRUE(recorder_.wait_event(999, OrderEvent::kReconciledNotFound));
  EXPECT_EQ(foreign_updates().size(), 1u);
  EXPECT_TRUE(open_at_venue("by-hand-3"));
  for (const auto& e : mock_->request_log())
    EXPECT_NE(e.method, "DELETE");
}

}  // namespace
}  // namespace be::binance
