#include "oms/venues/binance/messages.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "oms/order_state_machine.hpp"
#include "tests/support/payload_fields.hpp"

namespace be::binance {
namespace {

constexpr AccountId kAccount{3};

InstrumentDefined btcusdt() {
  return {.instrument = InstrumentId{7},
          .venue = VenueId{1},
          .price_scale = 2,
          .qty_scale = 5,
          .symbol = test::symbol_field("BTCUSDT"),
          .base_asset = test::asset_field("BTC"),
          .quote_asset = test::asset_field("USDT")};
}

class MessagesTest : public ::testing::Test {
 protected:
  std::array<InstrumentDefined, 1> defs{btcusdt()};
  SymbolMap symbols{defs};
  MessageParser parser{symbols};
};

// Binance's documented executionReport, with our client id and a fill.
std::string report(std::string_view x, std::string_view X, std::string_view c = "be5x1024",
                   std::string_view C = "", std::string_view N = "\"USDT\"",
                   std::string_view n = "0.50000000") {
  return std::string(R"({"e":"executionReport","E":1499405658658,"s":"BTCUSDT","c":")") +
         std::string(c) +
         R"(","S":"BUY","o":"LIMIT","f":"GTC","q":"0.01000000","p":"49000.00000000",)"
         R"("P":"0.00000000","F":"0.00000000","g":-1,"C":")" +
         std::string(C) + R"(","x":")" + std::string(x) + R"(","X":")" + std::string(X) +
         R"(","r":"NONE","i":4293153,"l":"0.00400000","z":"0.00400000","L":"49000.00000000",)"
         R"("n":")" +
         std::string(n) + R"(","N":)" + std::string(N) +
         R"(,"T":1499405658657,"t":77,"I":8641984,"w":true,"m":true,"M":false,)"
         R"("O":1499405658657,"Z":"196.00000000","Y":"196.00000000","Q":"0.00000000",)"
         R"("W":1499405658657,"V":"NONE"})";
}

TEST_F(MessagesTest, shouldMapExecutionTypesToOrderEvents) {
  struct Case {
    std::string_view x, X;
    oms::OrderEvent event;
  };
  constexpr Case cases[] = {
      {"NEW", "NEW", oms::OrderEvent::kAccepted},
      {"TRADE", "PARTIALLY_FILLED", oms::OrderEvent::kPartialFill},
      {"TRADE", "FILLED", oms::OrderEvent::kFill},
      {"CANCELED", "CANCELED", oms::OrderEvent::kCanceled},
      {"REJECTED", "REJECTED", oms::OrderEvent::kRejected},
      {"EXPIRED", "EXPIRED", oms::OrderEvent::kExpired},
      {"TRADE_PREVENTION", "EXPIRED_IN_MATCH", oms::OrderEvent::kExpired},
  };
  for (const Case& c : cases) {
    ASSERT_EQ(parser.parse_user(report(c.x, c.X), kAccount),
              MessageParser::UserKind::kExecutionReport)
        << c.x << " " << parser.error();
    const auto u = to_order_update(parser.execution(), kAccount);
    ASSERT_TRUE(u.has_value()) << c.x;
    EXPECT_EQ(u->event, static_cast<std::uint8_t>(c.event)) << c.x;
    EXPECT_EQ(u->bot, BotId{5});
    EXPECT_EQ(u->client_sequence, 1024u);
    EXPECT_EQ(u->instrument, InstrumentId{7});
    EXPECT_EQ(u->account, kAccount);
    EXPECT_EQ(u->venue_order_id, 4293153u);
  }
  ASSERT_EQ(parser.parse_user(report("REPLACED", "NEW"), kAccount),
            MessageParser::UserKind::kExecutionReport);
  EXPECT_FALSE(to_order_update(parser.execution(), kAccount).has_value());
}

TEST_F(MessagesTest, shouldCarryFillPriceQuantityFeeAndLiquidityInFixedPoint) {
  ASSERT_EQ(parser.parse_user(report("TRADE", "PARTIALLY_FILLED"), kAccount),
            MessageParser::UserKind::kExecutionReport);
  const auto u = to_order_update(parser.execution(), kAccount);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->last_price, 4'900'000);  // 49000.00 at scale 2
  EXPECT_EQ(u->last_quantity, 400);     // 0.004 at scale 5
  EXPECT_EQ(u->cumulative_quantity, 400);
  EXPECT_EQ(u->fee, 50);  // 0.50 USDT at price scale 2
  EXPECT_EQ(u->trade_id, 77u);
  EXPECT_EQ(u->liquidity, OrderUpdate::kMaker);
  EXPECT_EQ(parser.execution().transaction_time, 1499405658657LL * 1'000'000);
}

TEST_F(MessagesTest, shouldValueABaseAssetFeeAtTheFillPrice) {
  ASSERT_EQ(parser.parse_user(report("TRADE", "FILLED", "be5x1024", "", "\"BTC\"", "0.00001000"),
                              kAccount),
            MessageParser::UserKind::kExecutionReport);
  EXPECT_EQ(parser.execution().fee, 49);  // 0.00001 BTC * 49000 = 0.49 USDT
  ASSERT_EQ(
      parser.parse_user(report("TRADE", "FILLED", "be5x1024", "", "\"BNB\"", "0.001"), kAccount),
      MessageParser::UserKind::kExecutionReport);
  EXPECT_FALSE(parser.execution().fee_known);
  EXPECT_EQ(parser.execution().fee, 0);
}

TEST_F(MessagesTest, shouldNameACanceledOrderByItsOriginalClientId) {
  ASSERT_EQ(
      parser.parse_user(report("CANCELED", "CANCELED", "cancelRequest42", "be5x1024"), kAccount),
      MessageParser::UserKind::kExecutionReport);
  const auto u = to_order_update(parser.execution(), kAccount);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->client_sequence, 1024u);
  EXPECT_EQ(u->event, static_cast<std::uint8_t>(oms::OrderEvent::kCanceled));
}

TEST_F(MessagesTest, shouldIgnoreOrdersThatAreNotOurs) {
  ASSERT_EQ(parser.parse_user(report("NEW", "NEW", "web_8e1c2f"), kAccount),
            MessageParser::UserKind::kExecutionReport);
  EXPECT_FALSE(parser.execution().ours);
  EXPECT_FALSE(to_order_update(parser.execution(), kAccount).has_value());
}

TEST_F(MessagesTest, shouldReadTheWebSocketApiWrappedEvent) {
  const std::string wrapped = R"({"subscriptionId":0,"event":)" + report("NEW", "NEW") + "}";
  ASSERT_EQ(parser.parse_user(wrapped, kAccount), MessageParser::UserKind::kExecutionReport)
      << parser.error();
  EXPECT_EQ(parser.execution().client.sequence, 1024u);
}

TEST_F(MessagesTest, shouldTurnAccountPositionsIntoBalanceUpdatesAtAssetScales) {
  const std::string_view text =
      R"({"e":"outboundAccountPosition","E":1564034571105,"u":1564034571073,"B":[)"
      R"({"a":"BTC","f":"1.50000000","l":"0.25000000"},{"a":"USDT","f":"100.50000000","l":"0.00000000"},)"
      R"({"a":"ETH","f":"10000.000000","l":"0.000000"}]})";
  ASSERT_EQ(parser.parse_user(text, kAccount), MessageParser::UserKind::kAccountPosition)
      << parser.error();
  ASSERT_EQ(parser.balances().size(), 2u);  // ETH is not in the symbol map
  const BalanceUpdate& btc = parser.balances()[0];
  EXPECT_EQ(btc.asset, symbols.asset("BTC")->id);
  EXPECT_EQ(btc.free, 150'000);  // qty scale 5
  EXPECT_EQ(btc.locked, 25'000);
  EXPECT_EQ(btc.account, kAccount);
  const BalanceUpdate& usdt = parser.balances()[1];
  EXPECT_EQ(usdt.free, 10'050);  // price scale 2
  EXPECT_EQ(parser.event_time(), 1564034571105LL * 1'000'000);
}

TEST_F(MessagesTest, shouldReportMalformedMessagesWithoutThrowing) {
  const std::string_view bad[] = {
      "",
      "{",
      "[]",
      "null",
      R"({"e":"executionReport","s":5})",
      R"({"e":"executionReport","s":"BTCUSDT","l":"abc"})",
      R"({"e":"executionReport","s":"BTCUSDT","L":"1.001"})",  // finer than price scale 2
      R"({"e":"executionReport","s":"BTCUSDT","E":"soon"})",
      R"({"e":"outboundAccountPosition","B":{"a":"BTC"}})",
      R"({"e":"outboundAccountPosition","B":[{"a":"BTC","f":"1e3","l":"0"}]})",
      R"({"e":"executionReport","event":{"e":7}})",
      "\xff\xfe\x00garbage",
      // Found by fuzz_binance_user: a time that overflows nanoseconds.
      R"({"e":"executionReport","E":9507725176600000,"s":"BTCUSDT"})",
      R"({"e":"executionReport","E":-5,"s":"BTCUSDT"})",
  };
  for (std::string_view text : bad) {
    EXPECT_EQ(parser.parse_user(text, kAccount), MessageParser::UserKind::kMalformed) << text;
    EXPECT_FALSE(parser.error().empty()) << text;
  }
  EXPECT_EQ(parser.parse_user(R"({"e":"balanceUpdate","a":"BTC","d":"1"})", kAccount),
            MessageParser::UserKind::kIgnored);
  std::string other_symbol = report("NEW", "NEW");
  other_symbol.replace(other_symbol.find("BTCUSDT"), 7, "ETHBTC");
  EXPECT_EQ(parser.parse_user(other_symbol, kAccount), MessageParser::UserKind::kIgnored);
}

TEST_F(MessagesTest, shouldReadRestOrdersAccountTimeAndErrors) {
  OrderSnapshot o;
  ASSERT_TRUE(parser.parse_order(
      R"({"symbol":"BTCUSDT","orderId":28,"orderListId":-1,"clientOrderId":"be5x2048",)"
      R"("price":"49000.00000000","origQty":"0.01000000","executedQty":"0.00400000",)"
      R"("cummulativeQuoteQty":"196.00000000","status":"PARTIALLY_FILLED","timeInForce":"GTC",)"
      R"("type":"LIMIT","side":"BUY","time":1507725176595,"updateTime":1507725176600,)"
      R"("isWorking":true,"fills":[{"price":"49000","qty":"0.004"}]})",
      o))
      << parser.error();
  EXPECT_TRUE(o.ours);
  EXPECT_EQ(o.client.sequence, 2048u);
  EXPECT_EQ(o.order_id, 28u);
  EXPECT_EQ(o.status, OrderStatus::kPartiallyFilled);
  EXPECT_EQ(o.price, 4'900'000);
  EXPECT_EQ(o.executed_quantity, 400);
  EXPECT_EQ(o.update_time, 1507725176600LL * 1'000'000);

  std::vector<OrderSnapshot> open;
  ASSERT_TRUE(parser.parse_open_orders(
      R"([{"symbol":"ETHBTC","orderId":1,"clientOrderId":"x","price":"0.1","origQty":"1",)"
      R"("executedQty":"0","status":"NEW"},{"symbol":"BTCUSDT","orderId":2,)"
      R"("clientOrderId":"be1x1","price":"1.00","origQty":"1","executedQty":"0","status":"NEW"}])",
      open))
      << parser.error();
  ASSERT_EQ(open.size(), 1u);  // ETHBTC is not ours to reconcile
  EXPECT_EQ(open[0].order_id, 2u);

  std::vector<BalanceUpdate> balances;
  ASSERT_TRUE(parser.parse_account(
      R"({"makerCommission":15,"balances":[{"asset":"BTC","free":"4723846.89200000",)"
      R"("locked":"0.00000000"},{"asset":"LTC","free":"4763368.68006011","locked":"0.00000000"}]})",
      kAccount, balances))
      << parser.error();
  ASSERT_EQ(balances.size(), 1u);  // LTC is not in the symbol map
  EXPECT_EQ(balances[0].free, 472'384'689'200);
  // 4723846.89208129 does not fit qty scale 5 exactly: refused, never rounded.
  EXPECT_FALSE(parser.parse_account(
      R"({"balances":[{"asset":"BTC","free":"4723846.89208129","locked":"0"}]})", kAccount,
      balances));
  ASSERT_TRUE(parser.parse_account(
      R"({"balances":[{"asset":"BTC","free":"2.50000000","locked":"0.00000000"}]})", kAccount,
      balances));
  ASSERT_EQ(balances.size(), 1u);
  EXPECT_EQ(balances[0].free, 250'000);

  std::int64_t ms = 0;
  ASSERT_TRUE(parser.parse_server_time(R"({"serverTime":1499827319559})", ms));
  EXPECT_EQ(ms, 1499827319559);
  std::string key;
  ASSERT_TRUE(parser.parse_listen_key(
      R"({"listenKey":"pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"})", key));
  EXPECT_EQ(key.size(), 64u);
  ApiError e;
  ASSERT_TRUE(parser.parse_error(R"({"code":-1121,"msg":"Invalid symbol."})", e));
  EXPECT_EQ(e.code, -1121);
  EXPECT_EQ(e.msg, "Invalid symbol.");
  EXPECT_FALSE(parser.parse_error("<html>502 Bad Gateway</html>", e));
  EXPECT_FALSE(parser.parse_order("{\"symbol\":\"NOPE\"}", o));
  EXPECT_FALSE(parser.parse_order(
      R"({"symbol":"BTCUSDT","clientOrderId":"be1x1","updateTime":9507725176600000})", o));
  EXPECT_FALSE(parser.parse_open_orders("{}", open));
  EXPECT_FALSE(parser.parse_server_time("{}", ms));
}

TEST_F(MessagesTest, shouldMapOrderStatusToReconciliationEvents) {
  struct Case {
    OrderStatus status;
    std::int64_t executed;
    oms::OrderEvent event;
  };
  constexpr Case cases[] = {
      {OrderStatus::kNew, 0, oms::OrderEvent::kReconciledNew},
      {OrderStatus::kPartiallyFilled, 5, oms::OrderEvent::kReconciledPartial},
      {OrderStatus::kPendingCancel, 5, oms::OrderEvent::kReconciledPartial},
      {OrderStatus::kFilled, 10, oms::OrderEvent::kReconciledFilled},
      {OrderStatus::kCanceled, 0, oms::OrderEvent::kReconciledCanceled},
      {OrderStatus::kExpired, 0, oms::OrderEvent::kReconciledExpired},
      {OrderStatus::kExpiredInMatch, 0, oms::OrderEvent::kReconciledExpired},
      {OrderStatus::kRejected, 0, oms::OrderEvent::kReconciledNotFound},
  };
  for (const Case& c : cases) {
    OrderSnapshot s;
    s.status = c.status;
    s.executed_quantity = c.executed;
    s.client = {BotId{2}, 99};
    s.ours = true;
    const OrderUpdate u = reconciled_update(s, kAccount);
    EXPECT_EQ(u.event, static_cast<std::uint8_t>(c.event)) << static_cast<int>(c.status);
    EXPECT_EQ(u.cumulative_quantity, c.executed);
    EXPECT_EQ(u.client_sequence, 99u);
  }
}

}  // namespace
}  // namespace be::binance
