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

binance::mock::MockConfig account() {
  binance::mock::MockConfig c;
  c.api_key = std::string(kKey);
  c.secret = std::string(kSecret);
  binance::mock::MockSymbol btc;
  EXPECT_TRUE(binance::mock::split_symbol("btcusdt", btc));
  c.symbols = {btc};
  c.balances = {{"USDT", 100'000 * kOne, 0}, {"BTC", kOne, 0}};
  c.maker_commission_bps = 10;
  c.taker_commission_bps = 10;
  return c;
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

  // A signed market buy of 0.01 BTC once the simulator has delivered book tickers.
  Expected<net::HttpResponse, net::HttpError> market_buy() {
    EXPECT_TRUE(server_->wait_for([](const sim::SimStats& s) { return s.market_messages >= 100; },
                                  5'000'000'000));
    const std::string query = "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01&timestamp=" +
                              std::to_string(wall_.now() / 1'000'000);
    return call("POST", "/api/v3/order",
                query + "&signature=" + binance::hmac_sha256_hex(kSecret, query), true);
  }

  WallClock wall_;
  binance::mock::MockVenue venue_{account(), wall_};
  std::optional<sim::SimServer> server_;
  std::string origin_;
  std::optional<net::HttpClient> http_;
  const net::HttpHeader key_header_{"X-MBX-APIKEY", kKey};
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
  net::WsClientConfig ws;
  ws.url = "ws://" + origin_ + "/ws-api/v3";
  ws.venue = VenueId{1};
  ws.connect_timeout = 2'000'000'000;
  net::WsClient user(ws, rec.handlers());
  ASSERT_TRUE(user.start());
  ASSERT_TRUE(venue_.exchange().wait_for_user_streams(1, std::chrono::seconds(5)));
  ASSERT_TRUE(rec.wait(
      [](const test::Recorder& r) { return r.count_state(ConnectivityState::kConnected) > 0; }));
  // userDataStream.subscribe.signature: HMAC over the alphabetically sorted parameters.
  const std::string params =
      "apiKey=" + std::string(kKey) + "&timestamp=" + std::to_string(wall_.now() / 1'000'000);
  const std::string ts = params.substr(params.find("timestamp=") + 10);
  ASSERT_TRUE(user.send_raw(R"({"id":"sub","method":"userDataStream.subscribe.signature",)"
                            R"("params":{"apiKey":")" +
                            std::string(kKey) + R"(","timestamp":)" + ts + R"(,"signature":")" +
                            binance::hmac_sha256_hex(kSecret, params) + R"("}})"));
  ASSERT_TRUE(rec.wait([](const test::Recorder& r) {
    for (const auto& f : r.frames())
      if (f.find(R"("subscriptionId":)") != std::string::npos &&
          f.find(R"("status":200)") != std::string::npos)
        return true;
    return false;
  })) << "subscribed";
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
