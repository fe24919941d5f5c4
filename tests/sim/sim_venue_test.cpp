// The exchange mounted on the simulator's port (sim/binance/sim_venue.hpp), over real sockets
// on 127.0.0.1: Binance's REST API and the user-data stream beside the market, its market
// orders priced by the touch the simulator delivered, commission in the fills, the execution
// report and the balances. Every wait is for a condition with a deadline.
#include "sim/binance/sim_venue.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "net/http_client.hpp"
#include "net/ws_client.hpp"
#include "oms/venues/binance/signing.hpp"
#include "sim/binance/exchange.hpp"
#include "sim/ticker_stream.hpp"
#include "tests/net/recorder.hpp"

namespace be {
namespace {

using binance::mock::kOne;

constexpr std::string_view kKey = "sim-venue-test-key";
constexpr std::string_view kSecret = "sim-venue-test-secret";
constexpr std::string_view kBobKey = "sim-venue-test-bob-key";
constexpr std::string_view kBobSecret = "sim-venue-test-bob-secret";

binance::mock::MockConfig account(std::string_view key, std::string_view secret) {
  binance::mock::MockConfig c;
  c.api_key = std::string(key);
  c.secret = std::string(secret);
  binance::mock::MockSymbol btc;
  EXPECT_TRUE(binance::mock::split_symbol("btcusdt", btc));
  c.symbols = {btc};
  c.balances = {{"USDT", 100'000 * kOne, 0}, {"BTC", kOne, 0}};
  c.maker_commission_bps = 10;
  c.taker_commission_bps = 10;
  c.ban_after_violations = 2;  // the second request over the weight limit bans the IP
  return c;
}

// Two accounts on one venue: alice (the first, whom public requests reach) and bob.
std::vector<binance::mock::VenueAccount> accounts() {
  return {{"alice", account(kKey, kSecret)}, {"bob", account(kBobKey, kBobSecret)}};
}

// The simulator (synthetic BTCUSDT at 20x) with the venue mounted, and an HTTP client to it.
class SimVenueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sim::SimConfig config;
    config.port = 0;
    config.speed = 20;
    config.venue = &venue_;
    sim::SyntheticConfig market;
    market.symbols = {"btcusdt"};
    market.seed = 3;
    market.start_time = wall_.now();
    server_.emplace(config, sim::with_ticker_streams(sim::make_synthetic_source(market)));
    const auto port = server_->start();
    ASSERT_TRUE(port) << port.error();
    origin_ = "127.0.0.1:" + std::to_string(*port);
    auto url = net::parse_http_url("http://" + origin_);
    ASSERT_TRUE(url) << url.error();
    const net::HttpClientOptions options;
    http_.emplace(*url, options);
  }
  void TearDown() override {
    venue_.stop();
    if (server_) server_->stop();
    venue_.stop();
  }

  // One request; a non-empty `form` is sent as the body, with the API key.
  Expected<net::HttpResponse, net::HttpError> call(std::string_view method, std::string_view target,
                                                   std::string_view form = {},
                                                   bool with_key = false) {
    net::HttpRequest r;
    r.method = method;
    r.target = target;
    r.body = form;
    if (!form.empty()) r.content_type = "application/x-www-form-urlencoded";
    if (with_key) r.headers = {&key_header_, 1};
    return http_->request(r);
  }

  // A signed order (default: a market buy of 0.01 BTC) once the simulator has delivered book
  // tickers, as alice or (bob) as bob.
  Expected<net::HttpResponse, net::HttpError> market_buy(
      bool bob = false, std::string_view order = "side=BUY&type=MARKET&quantity=0.01") {
    EXPECT_TRUE(server_->wait_for([](const sim::SimStats& s) { return s.market_messages >= 100; },
                                  5'000'000'000));
    const std::string query = "symbol=BTCUSDT&" + std::string(order) +
                              "&timestamp=" + std::to_string(wall_.now() / 1'000'000);
    net::HttpRequest r;
    r.method = "POST";
    r.target = "/api/v3/order";
    const std::string body =
        query + "&signature=" + binance::hmac_sha256_hex(bob ? kBobSecret : kSecret, query);
    r.body = body;
    r.content_type = "application/x-www-form-urlencoded";
    r.headers = {bob ? &bob_header_ : &key_header_, 1};
    return http_->request(r);
  }

  // A WebSocket API connection on the venue's port, subscribed to `key`'s user data.
  void subscribe(net::WsClient& user, test::Recorder& rec, std::string_view key,
                 std::string_view secret) {
    ASSERT_TRUE(user.start());
    ASSERT_TRUE(rec.wait(
        [](const test::Recorder& r) { return r.count_state(ConnectivityState::kConnected) > 0; }));
    // userDataStream.subscribe.signature: HMAC over the alphabetically sorted parameters.
    const std::string ts = std::to_string(wall_.now() / 1'000'000);
    const std::string params = "apiKey=" + std::string(key) + "&timestamp=" + ts;
    ASSERT_TRUE(user.send_raw(R"({"id":"sub","method":"userDataStream.subscribe.signature",)"
                              R"("params":{"apiKey":")" +
                              std::string(key) + R"(","timestamp":)" + ts + R"(,"signature":")" +
                              binance::hmac_sha256_hex(secret, params) + R"("}})"));
    ASSERT_TRUE(rec.wait([](const test::Recorder& r) { return frame_with(r, R"("status":200)"); }))
        << "subscribed";
  }
  net::WsClientConfig ws_api_config() const {
    net::WsClientConfig ws;
    ws.url = "ws://" + origin_ + "/ws-api/v3";
    ws.venue = VenueId{1};
    ws.connect_timeout = 2'000'000'000;
    return ws;
  }
  static bool frame_with(const test::Recorder& r, std::string_view part,
                         std::string_view also = {}) {
    for (const auto& f : r.frames())
      if (f.find(part) != std::string::npos && f.find(also) != std::string::npos) return true;
    return false;
  }
  // POST /sim/exchange/fault.
  Expected<net::HttpResponse, net::HttpError> fault(std::string_view json) {
    net::HttpRequest r;
    r.method = "POST";
    r.target = "/sim/exchange/fault";
    r.body = json;
    r.content_type = "application/json";
    return http_->request(r);
  }

  WallClock wall_;
  binance::mock::MockVenue venue_{accounts(), wall_};
  std::optional<sim::SimServer> server_;
  std::string origin_;
  std::optional<net::HttpClient> http_;
  const net::HttpHeader key_header_{"X-MBX-APIKEY", kKey};
  const net::HttpHeader bob_header_{"X-MBX-APIKEY", kBobKey};
};

TEST_F(SimVenueTest, shouldServeRestBesideTheMarketAndFillAtTheDeliveredTouch) {
  // The venue's routes and the simulator's own, on one port.
  const auto info = call("GET", "/api/v3/exchangeInfo");
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->status, 200);
  EXPECT_NE(info->body.find(R"("symbol":"BTCUSDT")"), std::string::npos);
  const auto depth = call("GET", "/api/v3/depth?symbol=BTCUSDT&limit=1");
  ASSERT_TRUE(depth);
  EXPECT_TRUE(depth->body.starts_with(R"({"lastUpdateId":)")) << depth->body;
  const auto stats = call("GET", "/sim/stats");
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->status, 200);
  const auto unsigned_order = call("POST", "/api/v3/order");
  ASSERT_TRUE(unsigned_order);
  EXPECT_EQ(unsigned_order->status, 401) << unsigned_order->body;

  const auto buy = market_buy();
  ASSERT_TRUE(buy) << buy.error().message;
  ASSERT_EQ(buy->status, 200) << buy->body;
  const auto fills = buy->body.find(R"("fills":[)");
  ASSERT_NE(fills, std::string::npos) << buy->body;
  const auto price = sim::decimal_field(std::string_view(buy->body).substr(fills), "price");
  ASSERT_TRUE(price);
  EXPECT_GT(*price, 40'000 * kOne);  // the synthetic BTC market, not a configured price
  EXPECT_LT(*price, 60'000 * kOne);
  EXPECT_NE(buy->body.find(R"("commission":"0.00001000","commissionAsset":"BTC")"),
            std::string::npos)
      << buy->body;
  EXPECT_EQ(venue_.exchange().balance("BTC").free, kOne + kOne / 100 - 1'000);
  EXPECT_EQ(venue_.exchange().balance("USDT").free,
            100'000 * kOne - binance::mock::notional(*price, kOne / 100));
  EXPECT_GT(http_->stats().reused, 0u) << "the port keeps REST connections alive";
}

// The user-data stream on the same port (the WebSocket API's subscription, as Binance serves it
// since the listenKey endpoints went) reports the fill with its commission.
TEST_F(SimVenueTest, shouldServeTheUserDataStreamOnTheSamePort) {
  const auto listen = call("POST", "/api/v3/userDataStream", {}, true);
  ASSERT_TRUE(listen);
  EXPECT_EQ(listen->status, 410) << "the spot listenKey endpoints are gone, as on Binance";
  test::Recorder rec;
  net::WsClient user(ws_api_config(), rec.handlers());
  subscribe(user, rec, kKey, kSecret);
  ASSERT_TRUE(venue_.exchange().wait_for_user_streams(1, std::chrono::seconds(5)));
  const auto buy = market_buy();
  ASSERT_TRUE(buy);
  ASSERT_EQ(buy->status, 200) << buy->body;
  EXPECT_TRUE(rec.wait([](const test::Recorder& r) {
    for (const auto& f : r.frames())
      if (f.find(R"("x":"TRADE")") != std::string::npos &&
          f.find(R"("n":"0.00001000","N":"BTC")") != std::string::npos)
        return true;
    return false;
  }));
  user.stop();
}

// Two accounts on one port: each order lands on the account its API key names, each stream
// carries its own account's events, and the control route shows both (never a secret).
TEST_F(SimVenueTest, shouldKeepEachAccountsOrdersBalancesAndStreamApart) {
  test::Recorder alice_rec, bob_rec;
  net::WsClient alice_ws(ws_api_config(), alice_rec.handlers());
  net::WsClient bob_ws(ws_api_config(), bob_rec.handlers());
  subscribe(alice_ws, alice_rec, kKey, kSecret);
  subscribe(bob_ws, bob_rec, kBobKey, kBobSecret);
  const auto alice = market_buy(false);
  const auto bob = market_buy(true, "side=BUY&type=MARKET&quantity=0.02&newClientOrderId=bob-1");
  ASSERT_TRUE(alice && bob);
  ASSERT_EQ(alice->status, 200) << alice->body;
  ASSERT_EQ(bob->status, 200) << bob->body;
  EXPECT_EQ(venue_.account("alice")->balance("BTC").free, kOne + kOne / 100 - 1'000);
  EXPECT_EQ(venue_.account("bob")->balance("BTC").free, kOne + kOne / 50 - 2'000);
  EXPECT_EQ(venue_.account("bob")->orders_received("bob-1"), 1);
  EXPECT_EQ(venue_.account("alice")->orders_received("bob-1"), 0);
  EXPECT_TRUE(bob_rec.wait(
      [](const test::Recorder& r) { return frame_with(r, R"("c":"bob-1")", R"("x":"TRADE")"); }));
  EXPECT_TRUE(alice_rec.wait([](const test::Recorder& r) {
    return frame_with(r, R"("x":"TRADE")", R"("l":"0.01000000")");
  }));
  EXPECT_FALSE(frame_with(alice_rec, "bob-1")) << "alice's stream carries only alice's events";

  const auto state = call("GET", "/sim/exchange/accounts");
  ASSERT_TRUE(state);
  ASSERT_EQ(state->status, 200) << state->body;
  EXPECT_TRUE(state->body.starts_with(R"({"accounts":{"alice":{"balances":{)")) << state->body;
  EXPECT_NE(
      state->body.find(R"("bob":{"balances":{"BTC":{"free":"1.01998000","locked":"0.00000000"})"),
      std::string::npos)
      << state->body;
  EXPECT_NE(
      state->body.find(R"("clientOrderId":"bob-1","side":"BUY","type":"MARKET","status":"FILLED")"),
      std::string::npos)
      << state->body;
  EXPECT_NE(state->body.find(R"("received":{"bob-1":1})"), std::string::npos) << state->body;
  for (const auto secret : {kSecret, kBobSecret, kKey, kBobKey})
    EXPECT_EQ(state->body.find(secret), std::string::npos);
  alice_ws.stop();
  bob_ws.stop();
}

// POST /sim/exchange/fault: one account's orders refused with the error asked for, the other's
// taken; bad commands are answered with what is wrong and change nothing.
TEST_F(SimVenueTest, shouldInjectVenueFaultsThroughTheControlRoute) {
  const auto armed = fault(R"({"kind":"reject_orders","account":"bob","code":-2010,)"
                           R"("msg":"Account has insufficient balance for requested action."})");
  ASSERT_TRUE(armed);
  EXPECT_EQ(armed->status, 200);
  EXPECT_EQ(armed->body, R"({"ok":true,"fault":"reject_orders","accounts":1,"affected":0})");
  const auto refused = market_buy(true);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);
  EXPECT_EQ(refused->body,
            R"({"code":-2010,"msg":"Account has insufficient balance for requested action."})");
  const auto taken = market_buy(false);
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->status, 200) << "alice is not bob";
  EXPECT_EQ(venue_.account("bob")->balance("BTC").free, kOne);

  const std::pair<std::string_view, int> bad[] = {
      {R"({"kind":"melt"})", 400},
      {R"({"kind":"stale","account":"carol","ms":5})", 404},
      {"not json", 400},
  };
  for (const auto& [json, status] : bad) {
    const auto answer = fault(json);
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, status) << json << " " << answer->body;
    EXPECT_TRUE(answer->body.starts_with(R"({"error":")")) << answer->body;
  }
  EXPECT_EQ(call("GET", "/sim/exchange/fault")->status, 405);
  EXPECT_EQ(call("GET", "/sim/exchange/nothing")->status, 404);
  const auto bob_now = market_buy(true);
  ASSERT_TRUE(bob_now);
  EXPECT_EQ(bob_now->status, 200) << "the one rejection is spent: " << bob_now->body;

  // The venue cancels bob's resting order on its own: the stream says CANCELED, no one asked.
  test::Recorder rec;
  net::WsClient bob_ws(ws_api_config(), rec.handlers());
  subscribe(bob_ws, rec, kBobKey, kBobSecret);
  const auto rest = market_buy(
      true, "side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=1000&newClientOrderId=r1");
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->status, 200) << rest->body;
  const auto cancelled = fault(R"({"kind":"cancel_order","account":"bob","client_order_id":"r1"})");
  ASSERT_TRUE(cancelled);
  EXPECT_EQ(cancelled->body, R"({"ok":true,"fault":"cancel_order","accounts":1,"affected":1})");
  EXPECT_TRUE(rec.wait(
      [](const test::Recorder& r) { return frame_with(r, R"("c":"r1")", R"("x":"CANCELED")"); }));
  bob_ws.stop();
}

// A stale venue answers nothing and streams nothing (the request is logged unanswered) until
// the time is up; a drop cuts every WebSocket API connection.
TEST_F(SimVenueTest, shouldGoStaleThenAnswerAgainAndDropStreamsOnCommand) {
  test::Recorder rec;
  net::WsClient user(ws_api_config(), rec.handlers());
  subscribe(user, rec, kKey, kSecret);
  auto& alice = venue_.exchange();
  const auto stale = fault(R"({"kind":"stale","account":"alice","ms":400})");
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->body, R"({"ok":true,"fault":"stale","accounts":1,"affected":1})");
  ASSERT_TRUE(user.send_raw(R"({"id":"quiet","method":"ping"})"));
  ASSERT_TRUE(alice.wait_for_requests("WS", "ping", 0, 1, std::chrono::seconds(5)))
      << "the ping was read and left unanswered";
  const auto buy = market_buy(false);
  ASSERT_TRUE(buy);
  EXPECT_EQ(buy->status, 200) << "REST still answers";
  EXPECT_FALSE(frame_with(rec, R"("id":"quiet")"));
  EXPECT_FALSE(frame_with(rec, R"("x":"TRADE")")) << "the fill's events were lost";
  // Once the time is up the same session answers again.
  bool answered = false;
  for (int i = 0; i < 100 && !answered; ++i) {
    const std::string id = "again" + std::to_string(i);
    ASSERT_TRUE(user.send_raw(R"({"id":")" + id + R"(","method":"ping"})"));
    answered = alice.wait_for_requests("WS", "ping", 200, 1, std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(answered);

  const auto dropped = fault(R"({"kind":"drop_user_streams"})");
  ASSERT_TRUE(dropped);
  EXPECT_EQ(dropped->body, R"({"ok":true,"fault":"drop_user_streams","accounts":2,"affected":1})");
  EXPECT_TRUE(rec.wait(
      [](const test::Recorder& r) { return r.count_state(ConnectivityState::kDisconnected) > 0; }));
  user.stop();
}

// fill_before_ack: the order fills on arrival; its execution report reaches the user stream
// while its REST answer is held back `ms`.
TEST_F(SimVenueTest, shouldSendTheFillBeforeTheAck) {
  test::Recorder rec;
  net::WsClient user(ws_api_config(), rec.handlers());
  subscribe(user, rec, kKey, kSecret);
  ASSERT_TRUE(fault(R"({"kind":"fill_before_ack","ms":300})"));
  const Nanos sent = monotonic_now();
  const auto buy = market_buy(
      false, "side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=1000&newClientOrderId=e1");
  const Nanos answered = monotonic_now();
  ASSERT_TRUE(buy);
  ASSERT_EQ(buy->status, 200) << buy->body;
  EXPECT_NE(buy->body.find(R"("status":"FILLED")"), std::string::npos) << buy->body;
  EXPECT_GE(answered - sent, 300'000'000) << "the answer was held";
  EXPECT_TRUE(frame_with(rec, R"("c":"e1")", R"("x":"TRADE")"))
      << "the fill was on the stream before the answer came";
  user.stop();
}

// Binance counts request weight per IP: alice's and bob's requests from this host spend one
// window, so bob is refused (429, Retry-After) though he alone is far under the limit; the
// next request over it bans the IP (418) for both accounts.
TEST_F(SimVenueTest, shouldCountRequestWeightPerIpAcrossAccounts) {
  for (const char* name : {"alice", "bob"})
    venue_.account(name)->set_weight_limit(100);
  // Five requests of weight 20 must fall in one calendar minute of the venue's clock.
  const auto minute_ms = [&] { return wall_.now() / 1'000'000 % 60'000; };
  const Nanos deadline = monotonic_now() + 5'000'000'000;
  while (minute_ms() > 55'000 && monotonic_now() < deadline)
    std::this_thread::yield();  // a bounded wait for the next minute's start
  const auto info = [&](bool bob) {
    net::HttpRequest r;
    r.method = "GET";
    r.target = "/api/v3/exchangeInfo";  // weight 20
    r.headers = {bob ? &bob_header_ : &key_header_, 1};
    auto answer = http_->request(r);
    EXPECT_TRUE(answer.has_value());
    return answer ? *answer : net::HttpResponse{};
  };
  for (int i = 0; i < 4; ++i)
    ASSERT_EQ(info(false).status, 200) << "alice " << i;
  const auto bob_first = info(true);
  ASSERT_EQ(bob_first.status, 200);
  EXPECT_EQ(bob_first.header_int("X-MBX-USED-WEIGHT-1M"), 100) << "the IP's weight";
  const auto limited = info(true);
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_NE(limited.body.find("-1003"), std::string::npos);
  EXPECT_GE(limited.header_int("Retry-After").value_or(0), 1);
  const auto banned = info(false);
  EXPECT_EQ(banned.status, 418) << banned.body;
  EXPECT_GE(banned.header_int("Retry-After").value_or(0), 1);
  EXPECT_EQ(info(true).status, 418) << "the ban is the IP's: bob too";
}

// A venue that records what the simulator feeds it.
class RecordingVenue final : public sim::SimVenue {
 public:
  bool serves_path(std::string_view) const override { return false; }
  bool serves_upgrade(std::string_view) const override { return false; }
  net::server::Handler& handler() override { std::abort(); }
  void on_trade(std::string_view symbol, std::int64_t price, std::int64_t qty) override {
    std::lock_guard lock(mu);
    trades.push_back(std::string(symbol) + " " + std::to_string(price) + " " + std::to_string(qty));
  }
  void on_quote(std::string_view symbol, std::int64_t bid, std::int64_t ask) override {
    std::lock_guard lock(mu);
    quotes.push_back(std::string(symbol) + " " + std::to_string(bid) + " " + std::to_string(ask));
  }
  std::mutex mu;
  std::vector<std::string> trades, quotes;
};

// A finite source: BTCUSDT has @trade and @aggTrade (the same trade twice), NKNUSDT only
// @aggTrade (a capture's shape).
class ScriptedSource final : public sim::MarketSource {
 public:
  bool next(sim::MarketMessage& out) override {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kScript{{
        {"btcusdt@trade", R"({"e":"trade","s":"BTCUSDT","p":"50000.00","q":"0.5"})"},
        {"btcusdt@aggTrade", R"({"e":"aggTrade","s":"BTCUSDT","p":"50000.00","q":"0.5"})"},
        {"nknusdt@aggTrade", R"({"e":"aggTrade","s":"NKNUSDT","p":"0.10","q":"7"})"},
        {"nknusdt@bookTicker", R"({"u":1,"s":"NKNUSDT","b":"0.09","B":"1","a":"0.11","A":"1"})"},
    }};
    if (i_ == kScript.size()) return false;
    out.stream = std::string(kScript[i_].first);
    out.payload = std::string(kScript[i_].second);
    out.event_time = static_cast<Nanos>(++i_) * 1'000'000;
    return true;
  }
  bool serves(std::string_view stream) const override {
    return stream == "btcusdt@trade" || stream == "btcusdt@aggTrade" ||
           stream == "nknusdt@aggTrade" || stream == "nknusdt@bookTicker";
  }
  std::vector<std::string> streams() const override { return {}; }

 private:
  std::size_t i_ = 0;
};

TEST(SimVenueFeed, shouldFeedEachTradeOnceFromTradeOrElseAggTradeAndEveryQuote) {
  RecordingVenue venue;
  sim::SimConfig config;
  config.port = 0;
  config.speed = 1'000'000;
  config.venue = &venue;
  sim::SimServer server(config, std::make_unique<ScriptedSource>());
  ASSERT_TRUE(server.start());
  ASSERT_TRUE(
      server.wait_for([](const sim::SimStats& s) { return s.source_exhausted; }, 5'000'000'000));
  server.stop();
  std::lock_guard lock(venue.mu);
  EXPECT_EQ(venue.trades, (std::vector<std::string>{"BTCUSDT 5000000000000 50000000",
                                                    "NKNUSDT 10000000 700000000"}));
  EXPECT_EQ(venue.quotes, std::vector<std::string>{"NKNUSDT 9000000 11000000"});
}

}  // namespace
}  // namespace be
