// The WebSocket API codec: request frames (sorted signature payload, JSON types, HMAC and
// Ed25519 signatures, no heap allocation) and the answers and events as Binance documents them.
#include "oms/venues/binance/ws_api.hpp"

#include <gtest/gtest.h>

#include <string>

#include "oms/venues/binance/messages.hpp"
#include "tests/binance/ed25519_test_key.hpp"
#include "tests/support/alloc_counter.hpp"
#include "tests/support/payload_fields.hpp"

namespace be::binance {
namespace {

constexpr std::string_view kDocApiKey =
    "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
constexpr std::string_view kDocSecret =
    "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

// The signed order.place example of Binance's WebSocket API documentation ("SIGNED request
// example (HMAC)"), parameters added in a scrambled order.
std::string_view doc_order(WsApiRequest& r, const RequestSigner& signer) {
  r.begin(7, "order.place");
  r.text("type", "LIMIT").text("symbol", "BTCUSDT").integer("timestamp", 1645423376532);
  r.text("apiKey", kDocApiKey).text("side", "SELL").text("quantity", "0.01000000");
  r.text("newOrderRespType", "ACK").integer("recvWindow", 100).text("price", "52000.00");
  r.text("timeInForce", "GTC");
  return r.finish(&signer);
}

TEST(WsApiRequest, shouldSignTheSortedPayloadAsBinanceDocumentsIt) {
  auto signer = RequestSigner::make(kDocSecret);
  ASSERT_TRUE(signer);
  WsApiRequest r;
  const std::string frame(doc_order(r, *signer));
  EXPECT_EQ(r.payload(),
            "apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&"
            "newOrderRespType=ACK&price=52000.00&quantity=0.01000000&recvWindow=100&side=SELL&"
            "symbol=BTCUSDT&timeInForce=GTC&timestamp=1645423376532&type=LIMIT");
  // The documented signature of that payload.
  EXPECT_NE(frame.find("\"signature\":\"cc15477742bd704c29492d96c7ead9414dfd8e0ec4a00f947bb5bb454"
                       "ddbd08a\""),
            std::string::npos)
      << frame;
  // INT parameters as JSON integers, the rest as strings.
  EXPECT_NE(frame.find("\"timestamp\":1645423376532"), std::string::npos);
  EXPECT_NE(frame.find("\"price\":\"52000.00\""), std::string::npos);
  EXPECT_TRUE(frame.starts_with("{\"id\":7,\"method\":\"order.place\",\"params\":{"));
  // The secret itself never enters the frame.
  EXPECT_EQ(frame.find(kDocSecret), std::string::npos);
}

TEST(WsApiRequest, shouldWriteDecimalsTrimmedAndUnsignedRequestsWithoutSignature) {
  WsApiRequest r;
  r.begin(9, "userDataStream.subscribe");
  EXPECT_EQ(r.finish(nullptr), "{\"id\":9,\"method\":\"userDataStream.subscribe\"}");
  r.begin(10, "order.cancel");
  r.decimal("quantity", 1'500, 6).decimal("price", 490'000'000, 4);
  EXPECT_EQ(r.finish(nullptr),
            "{\"id\":10,\"method\":\"order.cancel\",\"params\":{\"price\":\"49000\","
            "\"quantity\":\"0.0015\"}}");
}

TEST(WsApiRequest, shouldRefuseWhatDoesNotFitInsteadOfTruncating) {
  WsApiRequest r;
  r.begin(1, "order.place");
  const std::string big(WsApiRequest::kArenaBytes + 1, 'x');
  r.text("symbol", big);
  EXPECT_TRUE(r.finish(nullptr).empty());
  r.begin(2, "order.place");
  for (std::size_t i = 0; i <= WsApiRequest::kMaxParams; ++i)
    r.text("k", "v");
  EXPECT_TRUE(r.finish(nullptr).empty());
}

TEST(WsApiRequest, shouldSignWithEd25519AsVerifiableBase64) {
  const auto pair = be::test::make_ed25519_pair();
  auto signer = RequestSigner::make(pair.private_pem);
  ASSERT_TRUE(signer) << signer.error();
  ASSERT_EQ(signer->kind(), RequestSigner::Kind::kEd25519);
  WsApiRequest r;
  r.begin(3, "session.logon");
  r.text("apiKey", "k").integer("timestamp", 1649729878532);
  const std::string frame(r.finish(&*signer));
  const auto at = frame.find("\"signature\":\"");
  ASSERT_NE(at, std::string::npos);
  const std::string signature = frame.substr(at + 13, 88);
  EXPECT_TRUE(ed25519_verify(pair.public_pem, r.payload(), signature));
  EXPECT_FALSE(ed25519_verify(pair.public_pem, "apiKey=k&timestamp=1649729878533", signature));
  const auto other = be::test::make_ed25519_pair();
  EXPECT_FALSE(ed25519_verify(other.public_pem, r.payload(), signature));
  // In a REST query the base64 is percent-encoded, and decodes back.
  EXPECT_EQ(percent_decode(percent_encode(signature)), signature);
  EXPECT_EQ(percent_encode("a+b/c="), "a%2Bb%2Fc%3D");
}

TEST(WsApiRequest, shouldBuildAndSignAnOrderFrameWithoutAllocating) {
  if (!test::allocation_counting_available()) GTEST_SKIP() << "no allocation counting";
  auto signer = RequestSigner::make(kDocSecret);
  ASSERT_TRUE(signer);
  WsApiRequest r;
  doc_order(r, *signer);  // warm-up
  const std::uint64_t before = test::thread_allocation_count();
  for (int i = 0; i < 100; ++i) {
    r.begin(static_cast<std::uint64_t>(i), "order.place");
    r.text("symbol", "BTCUSDT").text("side", "BUY").text("type", "LIMIT");
    r.decimal("price", 490'000'000, 4).decimal("quantity", 1'000, 6);
    r.integer("timestamp", 1645423376532 + i).integer("recvWindow", 5000);
    ASSERT_FALSE(r.finish(nullptr).empty());
  }
  EXPECT_EQ(test::thread_allocation_count() - before, 0u);
}

class WsApiAnswers : public ::testing::Test {
 protected:
  InstrumentDefined defs_[1] = {{.instrument = InstrumentId{7},
                                 .venue = VenueId{2},
                                 .price_scale = 2,
                                 .qty_scale = 5,
                                 .symbol = test::symbol_field("BTCUSDT"),
                                 .base_asset = test::asset_field("BTC"),
                                 .quote_asset = test::asset_field("USDT")}};
  SymbolMap symbols_{defs_, {}};
  MessageParser parser_{symbols_};
};

TEST_F(WsApiAnswers, shouldReadAnOrderAckWithItsRateLimits) {
  // order.place with newOrderRespType ACK, as documented.
  const std::string_view text = R"({"id":56374a46,"status":200})";
  WsApiAnswer a;
  EXPECT_EQ(parser_.parse_ws_api(text, a), MessageParser::WsKind::kMalformed);
  const std::string_view ack =
      R"({"id":12,"status":200,"result":{"symbol":"BTCUSDT","orderId":12569099453,"orderListId":-1,)"
      R"("clientOrderId":"be4x1024","transactTime":1660801715639},"rateLimits":[)"
      R"({"rateLimitType":"ORDERS","interval":"SECOND","intervalNum":10,"limit":50,"count":1},)"
      R"({"rateLimitType":"ORDERS","interval":"DAY","intervalNum":1,"limit":160000,"count":1},)"
      R"({"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":6000,"count":1}]})";
  ASSERT_EQ(parser_.parse_ws_api(ack, a), MessageParser::WsKind::kAnswer) << parser_.error();
  EXPECT_EQ(a.id, 12u);
  EXPECT_EQ(a.status, 200);
  ASSERT_TRUE(a.has_order);
  EXPECT_EQ(a.order.order_id, 12569099453u);
  EXPECT_EQ(a.order.update_time, 1660801715639LL * 1'000'000);
  ASSERT_EQ(a.rate_limit_count, 3u);
  EXPECT_EQ(a.rate_limits[0].type, WsRateLimit::Type::kOrders);
  EXPECT_EQ(a.rate_limits[0].interval_ms, 10'000);
  EXPECT_EQ(a.rate_limits[0].limit, 50);
  EXPECT_EQ(a.rate_limits[1].interval_ms, 86'400'000);
  EXPECT_EQ(a.rate_limits[2].type, WsRateLimit::Type::kRequestWeight);
  EXPECT_EQ(a.rate_limits[2].interval_ms, 60'000);
  EXPECT_EQ(a.rate_limits[2].count, 1);
}

TEST_F(WsApiAnswers, shouldReadABanWithItsRetryAfter) {
  // The documented 418 answer of the WebSocket API's rate-limit page.
  const std::string_view text =
      R"({"id":"fc93a61a-a192-4cf4-bb2a-a8f0f0c51e06","status":418,"error":{"code":-1003,)"
      R"("msg":"Way too much request weight used; IP banned until 1659146400000.",)"
      R"("data":{"serverTime":1659142907531,"retryAfter":1659146400000}},"rateLimits":[)"
      R"({"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":6000,)"
      R"("count":2411}]})";
  WsApiAnswer a;
  ASSERT_EQ(parser_.parse_ws_api(text, a), MessageParser::WsKind::kAnswer) << parser_.error();
  EXPECT_EQ(a.id, 0u);  // a string id is not one of ours
  EXPECT_EQ(a.status, 418);
  ASSERT_TRUE(a.has_error);
  EXPECT_EQ(a.error.code, -1003);
  EXPECT_EQ(a.retry_after_ms, 1659146400000);
  EXPECT_FALSE(a.has_order);
  EXPECT_EQ(a.rate_limits[0].count, 2411);
}

TEST_F(WsApiAnswers, shouldHandSubscriptionEventsToTheUserParser) {
  const std::string_view event =
      R"({"subscriptionId":0,"event":{"e":"executionReport","E":1499405658658,"s":"BTCUSDT",)"
      R"("c":"be4x1024","S":"BUY","o":"LIMIT","x":"TRADE","X":"FILLED","i":4293153,)"
      R"("l":"0.00100000","z":"0.00100000","L":"49000.00000000","n":"0","N":"USDT",)"
      R"("T":1499405658657,"t":77,"m":true}})";
  WsApiAnswer a;
  ASSERT_EQ(parser_.parse_ws_api(event, a), MessageParser::WsKind::kEvent);
  ASSERT_EQ(parser_.parse_user(event, AccountId{1}), MessageParser::UserKind::kExecutionReport);
  EXPECT_EQ(parser_.execution().cumulative_quantity, 100);  // 0.001 at qty scale 5
  EXPECT_EQ(parser_.execution().status, OrderStatus::kFilled);
}

TEST_F(WsApiAnswers, shouldRefuseMalformedAnswersWithoutThrowing) {
  WsApiAnswer a;
  for (const std::string_view bad : {"", "[]", "{\"id\":1}", "{\"id\":1,\"status\":\"200\"}",
                                     "{\"id\":1,\"status\":400,\"error\":{\"code\":\"x\"}}",
                                     "{\"id\":1,\"status\":200,\"rateLimits\":[{\"limit\":\"x\"}]}",
                                     "{\"id\":1,\"status\":200,\"rateLimits\":7}"}) {
    EXPECT_EQ(parser_.parse_ws_api(bad, a), MessageParser::WsKind::kMalformed) << bad;
  }
}

}  // namespace
}  // namespace be::binance
