// The mock exchange's WebSocket API without sockets (sim/binance/ws_api.hpp): the methods on
// the venue REST shares, authentication (HMAC per request, Ed25519 logon), the refusals
// Binance answers, and rate limits with retryAfter. The clock is a ManualClock: deterministic.
#include "sim/binance/ws_api.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "oms/venues/binance/signing.hpp"
#include "oms/venues/binance/ws_api.hpp"
#include "tests/binance/ed25519_test_key.hpp"

namespace be::binance::mock {
namespace {

constexpr std::int64_t kE8 = 100'000'000;
constexpr std::int64_t kStartMs = 1'700'000'000'000;

MockConfig config() {
  MockConfig c;
  c.api_key = "ws-api-key";
  c.secret = "ws-api-secret";
  MockSymbol s;
  s.symbol = "BTCUSDT";
  s.base = "BTC";
  s.quote = "USDT";
  s.market_price = 50'000 * kE8;
  c.symbols.push_back(s);
  c.balances.push_back({"USDT", 10'000 * kE8, 0});
  c.balances.push_back({"BTC", kE8, 0});
  return c;
}

class MockWsApi : public ::testing::Test {
 protected:
  explicit MockWsApi(MockConfig c = config())
      : clock_(kStartMs * 1'000'000), exchange_(std::move(c), clock_) {
    exchange_.publish = [this](const std::string& event) { events_.push_back(event); };
    session_.connected_ms = kStartMs;
  }

  // A request signed as the gateway signs it (HMAC under `secret`), or unsigned.
  std::string ask(std::string_view method,
                  std::initializer_list<std::pair<std::string_view, std::string_view>> params,
                  bool sign = true, std::string_view secret = "ws-api-secret",
                  std::int64_t timestamp = kStartMs) {
    binance::WsApiRequest r;
    r.begin(++id_, method);
    for (const auto& [k, v] : params)
      r.text(k, v);
    auto signer = RequestSigner::make(secret);
    if (sign) r.text("apiKey", "ws-api-key").integer("timestamp", timestamp);
    const auto request = parse_ws_api_request(r.finish(sign ? &*signer : nullptr));
    EXPECT_TRUE(request.has_value());
    return request ? ws_api_answer(exchange_, session_, *request) : std::string();
  }
  static bool has(const std::string& answer, std::string_view text) {
    return answer.find(text) != std::string::npos;
  }

  ManualClock clock_;
  Exchange exchange_;
  WsApiSession session_;
  std::vector<std::string> events_;
  std::uint64_t id_ = 0;
};

TEST_F(MockWsApi, shouldServeTheOrderLifecycleOnTheOrdersRestSees) {
  const std::string placed = ask("order.place", {{"symbol", "BTCUSDT"},
                                                 {"side", "BUY"},
                                                 {"type", "LIMIT"},
                                                 {"timeInForce", "GTC"},
                                                 {"quantity", "0.01"},
                                                 {"price", "40000"},
                                                 {"newClientOrderId", "be4x1024"}});
  EXPECT_TRUE(has(placed, "\"status\":200")) << placed;
  EXPECT_TRUE(has(placed, "\"clientOrderId\":\"be4x1024\""));
  EXPECT_TRUE(
      has(placed, "\"rateLimitType\":\"ORDERS\",\"interval\":\"SECOND\",\"intervalNum\":10"));
  EXPECT_TRUE(has(placed, "\"rateLimitType\":\"REQUEST_WEIGHT\""));
  ASSERT_FALSE(events_.empty());
  EXPECT_TRUE(has(events_.front(), "\"e\":\"executionReport\"")) << events_.front();

  const std::string status =
      ask("order.status", {{"symbol", "BTCUSDT"}, {"origClientOrderId", "be4x1024"}});
  EXPECT_TRUE(has(status, "\"status\":\"NEW\"")) << status;
  const std::string open = ask("openOrders.status", {{"symbol", "BTCUSDT"}});
  EXPECT_TRUE(has(open, "\"result\":[{")) << open;
  EXPECT_TRUE(has(open, "be4x1024"));
  // REST sees the same order (one venue): a signed GET /api/v3/openOrders.
  QueryBuilder q;
  q.add("symbol", "BTCUSDT").add("timestamp", kStartMs);
  std::string method, path;
  const Answer rest =
      exchange_.dispatch("GET", "/api/v3/openOrders?" + q.signed_query("ws-api-secret"), "",
                         "ws-api-key", method, path);
  EXPECT_EQ(rest.status, 200) << rest.body;
  EXPECT_TRUE(has(rest.body, "be4x1024"));
  const std::string account = ask("account.status", {});
  EXPECT_TRUE(
      has(account, "{\"asset\":\"USDT\",\"free\":\"9600.00000000\",\"locked\":\"400.00000000\"}"))
      << account;

  const std::string canceled =
      ask("order.cancel", {{"symbol", "BTCUSDT"}, {"origClientOrderId", "be4x1024"}});
  EXPECT_TRUE(has(canceled, "\"status\":\"CANCELED\"")) << canceled;
  EXPECT_EQ(exchange_.balances["USDT"].locked, 0);
  const std::string gone =
      ask("order.cancel", {{"symbol", "BTCUSDT"}, {"origClientOrderId", "be4x1024"}});
  EXPECT_TRUE(has(gone, "\"code\":-2011")) << gone;
}

TEST_F(MockWsApi, shouldSubscribeBySignatureAndUnsubscribe) {
  const std::string subscribed = ask("userDataStream.subscribe.signature", {});
  EXPECT_TRUE(has(subscribed, "\"result\":{\"subscriptionId\":0}")) << subscribed;
  ASSERT_TRUE(session_.subscription.has_value());
  EXPECT_EQ(subscription_frame(*session_.subscription, "{\"e\":\"x\"}"),
            "{\"subscriptionId\":0,\"event\":{\"e\":\"x\"}}");
  const std::string status = ask("session.status", {}, false);
  EXPECT_TRUE(has(status, "\"userDataStream\":true")) << status;
  EXPECT_TRUE(has(status, "\"apiKey\":null"));  // subscribed by signature, not logged on
  EXPECT_TRUE(has(ask("userDataStream.unsubscribe", {}, false), "\"status\":200"));
  EXPECT_FALSE(session_.subscription.has_value());
}

TEST_F(MockWsApi, shouldRefuseWhatBinanceRefuses) {
  struct Case {
    std::string answer;
    std::string_view expected;
  };
  const Case cases[] = {
      {ask("order.status", {{"symbol", "BTCUSDT"}}, false), "\"code\":-1102"},
      {ask("account.status", {}, true, "not-the-secret"), "\"code\":-1022"},
      {ask("account.status", {}, true, "ws-api-secret", kStartMs - 6'000), "\"code\":-1021"},
      {ask("account.status", {}, true, "ws-api-secret", kStartMs + 1'000), "\"code\":-1021"},
      {ask("session.logon", {}), "\"code\":-4056"},  // an HMAC key cannot log on
      {ask("userDataStream.subscribe", {}, false), "\"code\":-2015"},
      {ask("order.amend", {}, false), "\"code\":-1100"},
  };
  for (const Case& c : cases) {
    EXPECT_TRUE(has(c.answer, c.expected)) << c.expected << " in " << c.answer;
    EXPECT_FALSE(has(c.answer, "\"status\":200")) << c.answer;
    EXPECT_TRUE(has(c.answer, "\"rateLimits\":[")) << c.answer;
  }
  EXPECT_FALSE(parse_ws_api_request("{not json").has_value());
  EXPECT_FALSE(parse_ws_api_request("{\"id\":1}").has_value());
  EXPECT_FALSE(parse_ws_api_request("{\"id\":1,\"method\":\"ping\",\"params\":[]}").has_value());
}

TEST_F(MockWsApi, shouldAnswer429Then418WithRetryAfterAsVenueTimes) {
  exchange_.config.weight_limit = 3;
  exchange_.config.ban_after_violations = 2;
  exchange_.config.ban_seconds = 120;
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(has(ask("ping", {}, false), "\"status\":200"));
  const std::string limited = ask("ping", {}, false);
  EXPECT_TRUE(has(limited, "\"status\":429")) << limited;
  EXPECT_TRUE(has(limited, "\"code\":-1003"));
  // The window is the calendar minute: it lifts at its end.
  const std::int64_t minute_end = (kStartMs / 60'000 + 1) * 60'000;
  const std::int64_t retry_s = (minute_end - kStartMs + 999) / 1000;
  EXPECT_TRUE(has(limited, "\"retryAfter\":" + std::to_string(kStartMs + retry_s * 1000)))
      << limited;
  const std::string banned = ask("ping", {}, false);
  EXPECT_TRUE(has(banned, "\"status\":418")) << banned;
  EXPECT_TRUE(has(banned, "\"retryAfter\":" + std::to_string(kStartMs + 120'000))) << banned;
  EXPECT_TRUE(has(banned, "\"serverTime\":" + std::to_string(kStartMs)));
}

class MockWsApiEd25519 : public MockWsApi {
 protected:
  static MockConfig ed25519_config(const be::test::Ed25519Pair& pair) {
    MockConfig c = config();
    c.ed25519_public_pem = pair.public_pem;
    return c;
  }
  MockWsApiEd25519() : MockWsApi(ed25519_config(pair_)) {}
  static inline const be::test::Ed25519Pair pair_ = be::test::make_ed25519_pair();
};

TEST_F(MockWsApiEd25519, shouldLogOnThenTakeUnsignedRequests) {
  // Before logon an unsigned request is refused, and a subscription needs the logon.
  EXPECT_TRUE(has(ask("account.status", {}, false), "\"code\":-1102"));
  EXPECT_TRUE(has(ask("userDataStream.subscribe", {}, false), "\"code\":-2015"));
  // An HMAC signature is no signature for an Ed25519 key.
  EXPECT_TRUE(has(ask("session.logon", {}), "\"code\":-1022"));
  const std::string logon = ask("session.logon", {}, true, pair_.private_pem);
  EXPECT_TRUE(has(logon, "\"status\":200")) << logon;
  EXPECT_TRUE(has(logon, "\"authorizedSince\":" + std::to_string(kStartMs)));
  binance::WsApiRequest r;
  r.begin(99, "account.status");
  r.integer("timestamp", kStartMs);  // timestamp only: no apiKey, no signature
  const auto request = parse_ws_api_request(r.finish(nullptr));
  ASSERT_TRUE(request);
  const std::string account = ws_api_answer(exchange_, session_, *request);
  EXPECT_TRUE(has(account, "\"status\":200")) << account;
  EXPECT_TRUE(has(ask("userDataStream.subscribe", {}, false), "\"subscriptionId\":0"));
}

}  // namespace
}  // namespace be::binance::mock
