// sim/binance/exchange.hpp without sockets: the venue `botengine sim` serves. Commission as
// Binance charges it (in the received asset, or BNB), fills against the simulated market
// (touch for takers, trades and quotes through resting orders for makers), and the answers
// clients read (FULL fills, myTrades, exchangeInfo's symbol fields, the account's rates).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "oms/venues/binance/signing.hpp"
#include "sim/binance/exchange.hpp"
#include "sim/binance/sim_venue.hpp"
#include "sim/binance/venue_faults.hpp"
#include "tests/binance/ed25519_test_key.hpp"

namespace be::binance::mock {
namespace {

constexpr std::int64_t k = kOne;  // 1.0

struct Venue {
  explicit Venue(MockConfig c) : exchange(std::move(c), clock) {
    exchange.publish = [this](const std::string& m) { reports.push_back(m); };
  }
  Answer order(const std::string& params) { return exchange.new_order(parse_params(params)); }
  std::int64_t free(const std::string& asset) { return exchange.balances[asset].free; }
  std::int64_t locked(const std::string& asset) { return exchange.balances[asset].locked; }
  // The executionReports of kind TRADE published so far.
  std::vector<std::string> trades() const {
    std::vector<std::string> out;
    for (const auto& r : reports)
      if (r.find(R"("x":"TRADE")") != std::string::npos) out.push_back(r);
    return out;
  }

  ManualClock clock{1'800'000'000'000'000'000};
  Exchange exchange;
  std::vector<std::string> reports;
};

MockConfig btc_venue(std::int64_t usdt, std::int64_t btc, std::int64_t bnb = 0) {
  MockConfig c;
  MockSymbol btc_usdt;
  split_symbol("btcusdt", btc_usdt);
  MockSymbol bnb_usdt;
  split_symbol("bnbusdt", bnb_usdt);
  c.symbols = {btc_usdt, bnb_usdt};
  c.balances = {{"USDT", usdt, 0}, {"BTC", btc, 0}, {"BNB", bnb, 0}};
  c.maker_commission_bps = 5;
  c.taker_commission_bps = 10;
  return c;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(SimExchange, shouldChargeTakerCommissionInTheAssetReceived) {
  Venue v(btc_venue(10'000 * k, 1 * k));
  v.exchange.on_quote("BTCUSDT", 50'000 * k, 50'001 * k);

  const Answer buy = v.order("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01");
  ASSERT_EQ(buy.status, 200) << buy.body;
  // Binance answers MARKET with FULL by default: the fill, its commission and asset.
  EXPECT_TRUE(has(buy.body, R"("fills":[{"price":"50001.00000000","qty":"0.01000000",)"
                            R"("commission":"0.00001000","commissionAsset":"BTC","tradeId":)"))
      << buy.body;
  EXPECT_EQ(v.free("BTC"), 1 * k + k / 100 - 1'000);         // + 0.01 - 0.1 % of it
  EXPECT_EQ(v.free("USDT"), 10'000 * k - 50'001 * k / 100);  // - 500.01, no fee in USDT
  EXPECT_EQ(v.locked("USDT"), 0);

  const Answer sell = v.order("symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.01");
  ASSERT_EQ(sell.status, 200) << sell.body;
  EXPECT_TRUE(has(sell.body, R"("commission":"0.50000000","commissionAsset":"USDT")")) << sell.body;
  EXPECT_EQ(v.free("BTC"), 1 * k - 1'000);
  EXPECT_EQ(v.free("USDT"), 10'000 * k - 50'001 * k / 100 + 500 * k - k / 2);
  // Execution reports carry the same commission (n) and asset (N), and say taker (m false).
  const auto reports = v.trades();
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_TRUE(has(reports[0], R"("n":"0.00001000","N":"BTC")")) << reports[0];
  EXPECT_TRUE(has(reports[1], R"("n":"0.50000000","N":"USDT")")) << reports[1];
  EXPECT_TRUE(has(reports[0], R"("m":false)"));
}

// 0.1 % of 500.01 USDT, 25 % off, at 300 USDT per BNB: 0.001250025 BNB, rounded up.
TEST(SimExchange, shouldChargeBnbWhenTheAccountPaysFeesInBnbAndHoldsEnough) {
  MockConfig c = btc_venue(10'000 * k, 0, 1 * k);
  c.pay_fees_in_bnb = true;
  Venue v(std::move(c));
  v.exchange.on_quote("BTCUSDT", 50'000 * k, 50'001 * k);
  v.exchange.on_trade("BNBUSDT", 300 * k, k);
  const Answer buy = v.order("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01");
  ASSERT_EQ(buy.status, 200) << buy.body;
  EXPECT_TRUE(has(buy.body, R"("commission":"0.00125003","commissionAsset":"BNB")")) << buy.body;
  EXPECT_EQ(v.free("BTC"), k / 100);  // all of it: the fee was paid in BNB
  EXPECT_EQ(v.free("BNB"), k - 125'003);
  EXPECT_EQ(v.free("USDT"), 10'000 * k - 50'001 * k / 100);
  ASSERT_EQ(v.trades().size(), 1u);
  EXPECT_TRUE(has(v.trades()[0], R"("n":"0.00125003","N":"BNB")"));
  // The account update after the fill names BNB too.
  EXPECT_TRUE(has(v.reports.back(), R"({"a":"BNB","f":"0.99874997","l":"0.00000000"})"))
      << v.reports.back();
}

TEST(SimExchange, shouldChargeTheReceivedAssetWhenBnbIsShortOrHasNoPrice) {
  MockConfig c = btc_venue(10'000 * k, 0, 100'000);  // 0.001 BNB: short of 0.00125003
  c.pay_fees_in_bnb = true;
  Venue v(c);
  v.exchange.on_quote("BTCUSDT", 50'000 * k, 50'001 * k);
  v.exchange.on_trade("BNBUSDT", 300 * k, k);
  const Answer short_of_bnb = v.order("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01");
  EXPECT_TRUE(has(short_of_bnb.body, R"("commission":"0.00001000","commissionAsset":"BTC")"))
      << short_of_bnb.body;
  EXPECT_EQ(v.free("BNB"), 100'000);

  c.balances = {{"USDT", 10'000 * k, 0}, {"BNB", 10 * k, 0}};
  Venue unpriced(c);  // BNBUSDT never traded: no price to convert at
  unpriced.exchange.on_quote("BTCUSDT", 50'000 * k, 50'001 * k);
  const Answer no_price = unpriced.order("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01");
  EXPECT_TRUE(has(no_price.body, R"("commissionAsset":"BTC")")) << no_price.body;
  EXPECT_EQ(unpriced.free("BNB"), 10 * k);
}

TEST(SimExchange, shouldFillAMarketableLimitAtTheTouchAndRefuseAMarketableLimitMaker) {
  Venue v(btc_venue(10'000 * k, 1 * k));
  v.exchange.on_quote("BTCUSDT", 50'000 * k, 50'001 * k);
  const Answer maker =
      v.order("symbol=BTCUSDT&side=BUY&type=LIMIT_MAKER&quantity=0.01&price=50002.00");
  EXPECT_EQ(maker.status, 400);
  EXPECT_TRUE(has(maker.body, "-2010")) << maker.body;
  EXPECT_EQ(v.locked("USDT"), 0);

  const Answer taker =
      v.order("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=50100.00");
  ASSERT_EQ(taker.status, 200) << taker.body;
  EXPECT_TRUE(has(taker.body, R"("status":"FILLED")")) << taker.body;
  EXPECT_TRUE(has(taker.body, R"("fills":[{"price":"50001.00000000")")) << taker.body;
  // Locked at the limit, charged at the fill: the difference comes back.
  EXPECT_EQ(v.free("USDT"), 10'000 * k - 50'001 * k / 100);
  EXPECT_EQ(v.locked("USDT"), 0);

  const Answer market_before_price = [&] {
    Venue fresh(btc_venue(10'000 * k, 1 * k));
    return fresh.order("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01");
  }();
  EXPECT_EQ(market_before_price.status, 400);
  EXPECT_TRUE(has(market_before_price.body, "-2010")) << market_before_price.body;
}

// A resting order fills as maker, at its own price, when a simulated trade goes through it
// (up to the trade's quantity) or a quote crosses it.
TEST(SimExchange, shouldFillRestingOrdersFromSimulatedTradesAndQuotesAsMaker) {
  Venue v(btc_venue(10'000 * k, 1 * k));
  v.exchange.on_quote("BTCUSDT", 50'000 * k, 50'001 * k);
  const Answer buy =
      v.order("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.02&price=49990");
  ASSERT_TRUE(has(buy.body, R"("status":"NEW")")) << buy.body;
  EXPECT_EQ(v.locked("USDT"), 49'990 * k * 2 / 100);

  v.exchange.on_trade("BTCUSDT", 49'995 * k, k);  // above the bid: nothing
  EXPECT_TRUE(v.trades().empty());
  v.exchange.on_trade("BTCUSDT", 49'990 * k, k / 100);  // at it, 0.01: a partial fill
  ASSERT_EQ(v.trades().size(), 1u);
  EXPECT_TRUE(has(v.trades()[0], R"("X":"PARTIALLY_FILLED")"));
  EXPECT_TRUE(has(v.trades()[0], R"("L":"49990.00000000")"));
  EXPECT_TRUE(has(v.trades()[0], R"("n":"0.00000500","N":"BTC")"));  // maker 0.05 % of 0.01
  EXPECT_TRUE(has(v.trades()[0], R"("m":true)"));
  v.exchange.on_quote("BTCUSDT", 49'980 * k, 49'985 * k);  // the ask crosses the rest of it
  ASSERT_EQ(v.trades().size(), 2u);
  EXPECT_TRUE(has(v.trades()[1], R"("X":"FILLED")"));
  EXPECT_TRUE(has(v.trades()[1], R"("L":"49990.00000000")"));
  EXPECT_EQ(v.free("BTC"), 1 * k + k / 50 - 2 * 500);
  EXPECT_EQ(v.free("USDT"), 10'000 * k - 49'990 * k * 2 / 100);
  EXPECT_EQ(v.locked("USDT"), 0);

  // GET /api/v3/myTrades: both fills, oldest first, with commission and maker flag.
  const Answer mine = v.exchange.my_trades(parse_params("symbol=BTCUSDT&orderId=1000"));
  ASSERT_EQ(mine.status, 200);
  EXPECT_TRUE(has(mine.body,
                  R"("price":"49990.00000000","qty":"0.01000000","quoteQty":"499.90000000",)"
                  R"("commission":"0.00000500","commissionAsset":"BTC",)"))
      << mine.body;
  EXPECT_EQ(std::count(mine.body.begin(), mine.body.end(), '{'), 2);
  EXPECT_TRUE(has(mine.body, R"("isBuyer":true,"isMaker":true)"));
  EXPECT_EQ(v.exchange.my_trades(parse_params("symbol=BTCUSDT&orderId=999")).body, "[]");
  EXPECT_EQ(v.exchange.my_trades(parse_params("orderId=1000")).status, 400);
}

// The symbol fields ccxt reads before it will trade, and the account's commission rates.
TEST(SimExchange, shouldDescribeSymbolsAndTheAccountAsBinanceDoes) {
  Venue v(btc_venue(10'000 * k, 1 * k));
  const std::string info = v.exchange.exchange_info().body;
  for (const char* field :
       {R"("orderTypes":["LIMIT","LIMIT_MAKER","MARKET"])", R"("permissionSets":[["SPOT"]])",
        R"("baseAssetPrecision":8)", R"("quoteAssetPrecision":8)", R"("isSpotTradingAllowed":true)",
        R"("permissions":[])", R"("exchangeFilters":[])"}) {
    EXPECT_TRUE(has(info, field)) << field;
  }
  const std::string account = v.exchange.account().body;
  EXPECT_TRUE(has(account, R"("makerCommission":5,"takerCommission":10)")) << account;
  EXPECT_TRUE(has(account, R"("commissionRates":{"maker":"0.00050000","taker":"0.00100000")"))
      << account;
  const std::string coins = v.exchange.coins().body;
  EXPECT_TRUE(has(coins, R"({"coin":"BTC","name":"BTC","free":"1.00000000")")) << coins;
}

TEST(SimExchange, shouldSplitSymbolsAndParseBalances) {
  MockSymbol s;
  ASSERT_TRUE(split_symbol("ethbtc", s));
  EXPECT_EQ(s.base, "ETH");
  EXPECT_EQ(s.quote, "BTC");
  EXPECT_FALSE(split_symbol("usdt", s));
  EXPECT_FALSE(split_symbol("foobar", s));
  const auto b = parse_balances("usdt=10.5,BTC=1");
  ASSERT_TRUE(b) << b.error();
  ASSERT_EQ(b->size(), 2u);
  EXPECT_EQ((*b)[0].asset, "USDT");
  EXPECT_EQ((*b)[0].free, 10 * k + k / 2);
  EXPECT_EQ(parse_balances("USDT").error(), "not ASSET=AMOUNT: 'USDT'");
  EXPECT_EQ(parse_balances("=1").error(), "not ASSET=AMOUNT: '=1'");
  EXPECT_EQ(parse_balances("BTC=-1").error(), "not ASSET=AMOUNT: 'BTC=-1'");
}

TEST(SimExchange, shouldTakeEachMarketOfTheStreamsOnceWithFiltersByQuote) {
  const auto symbols =
      symbols_in({"btcusdt@trade", "btcusdt@bookTicker", "ethbtc@aggTrade", "x@trade", "nothing"});
  ASSERT_EQ(symbols.size(), 2u);
  EXPECT_EQ(symbols[0].symbol, "BTCUSDT");
  EXPECT_EQ(symbols[0].tick_size, 1'000'000);  // 0.01
  EXPECT_EQ(symbols[1].symbol, "ETHBTC");
  EXPECT_EQ(symbols[1].tick_size, 1);  // 0.00000001
  EXPECT_EQ(symbols[1].min_notional, 10'000);
}

// The keys come from a file; an error names the file and never quotes what it holds.
TEST(SimExchange, shouldReadKeysFromAFileAndNeverQuoteItInErrors) {
  const std::string path = ::testing::TempDir() + "sim_exchange_keys";
  {
    std::ofstream out(path);
    out << "api_key=the-key\r\nsecret=the-secret\n";
  }
  MockConfig c;
  ASSERT_TRUE(read_keys_file(path, c));
  EXPECT_EQ(c.api_key, "the-key");
  EXPECT_EQ(c.secret, "the-secret");
  {
    std::ofstream out(path);
    out << "secret=only-the-secret\n";
  }
  MockConfig half;
  const auto refused = read_keys_file(path, half);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), "--exchange-keys: " + path + " needs an api_key= and a secret= line");
  EXPECT_EQ(refused.error().find("only-the-secret"), std::string::npos);
  EXPECT_FALSE(read_keys_file(path + ".absent", half));
  std::remove(path.c_str());
}

// An Ed25519 key's requests are verified with OpenSSL against its public key, as Binance does:
// the key's own signature is taken; another key's, or an HMAC of the payload, is -1022.
TEST(SimExchange, shouldVerifyEd25519SignaturesOnRest) {
  const auto pair = be::test::make_ed25519_pair();
  const auto other = be::test::make_ed25519_pair();
  MockConfig c = btc_venue(10'000 * k, 1 * k);
  c.api_key = "ed-key";
  c.ed25519_public_pem = pair.public_pem;
  Venue v(std::move(c));
  v.exchange.on_quote("BTCUSDT", 50'000 * k, 50'001 * k);
  const std::string query = "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01&timestamp=" +
                            std::to_string(v.exchange.now_ms());
  auto send = [&](const std::string& signature) {
    std::string method, path;
    return v.exchange.dispatch("POST", "/api/v3/order",
                               query + "&signature=" + binance::percent_encode(signature), "ed-key",
                               method, path);
  };
  const auto sign = [&](const std::string& secret) {
    return binance::RequestSigner::make(secret).value().sign(query);
  };
  const Answer forged = send(sign(other.private_pem));
  EXPECT_EQ(forged.status, 400);
  EXPECT_EQ(forged.body, R"({"code":-1022,"msg":"Signature for this request is not valid."})");
  EXPECT_EQ(send(binance::hmac_sha256_hex("ed-key", query)).status, 400) << "an HMAC is no Ed25519";
  EXPECT_TRUE(v.exchange.orders.empty());
  const Answer signed_order = send(sign(pair.private_pem));
  EXPECT_EQ(signed_order.status, 200) << signed_order.body;
  EXPECT_EQ(v.exchange.orders.size(), 1u);
}

// ---- faults (venue_faults.hpp) ----------------------------------------------------------------

// Every kind parses with its defaults; every bad field is named, all of them at once.
TEST(SimVenueFaults, shouldParseEveryKindAndNameEveryBadField) {
  struct Case {
    std::string_view json;
    VenueFault::Kind kind;
    std::int64_t ms;
  };
  const Case ok[] = {
      {R"({"kind":"reject_orders","count":2,"code":-1013,"msg":"Filter failure: LOT_SIZE"})",
       VenueFault::Kind::kRejectOrders, 0},
      {R"({"kind":"rate_limit","status":418,"retry_after_s":3})", VenueFault::Kind::kRateLimit, 0},
      {R"({"kind":"drop_user_streams","account":"alice"})", VenueFault::Kind::kDropUserStreams, 0},
      {R"({"kind":"stale","ms":1500})", VenueFault::Kind::kStale, 1500},
      {R"({"kind":"clock_skew","ms":-7000})", VenueFault::Kind::kClockSkew, -7000},
      {R"({"kind":"cancel_order","client_order_id":"x-1","symbol":"btcusdt"})",
       VenueFault::Kind::kCancelOrder, 0},
      {R"({"kind":"fill_before_ack"})", VenueFault::Kind::kFillBeforeAck, 200},
  };
  for (const auto& c : ok) {
    const auto f = parse_venue_fault(c.json);
    ASSERT_TRUE(f) << c.json << ": " << f.error();
    EXPECT_EQ(f->kind, c.kind) << c.json;
    EXPECT_EQ(f->ms, c.ms) << c.json;
    EXPECT_EQ(to_string(f->kind), c.json.substr(9, to_string(f->kind).size())) << c.json;
  }
  const auto reject = parse_venue_fault(ok[0].json);
  EXPECT_EQ(reject->count, 2);
  EXPECT_EQ(reject->code, -1013);
  EXPECT_EQ(reject->msg, "Filter failure: LOT_SIZE");
  EXPECT_EQ(parse_venue_fault(ok[1].json)->status, 418);
  EXPECT_EQ(parse_venue_fault(ok[1].json)->retry_after_s, 3);
  EXPECT_EQ(parse_venue_fault(ok[2].json)->account, "alice");
  EXPECT_EQ(parse_venue_fault(ok[5].json)->symbol, "BTCUSDT");
  EXPECT_EQ(parse_venue_fault(ok[5].json)->client_order_id, "x-1");
  const auto defaults = parse_venue_fault(R"({"kind":"reject_orders"})");
  EXPECT_EQ(defaults->count, 1);
  EXPECT_EQ(defaults->code, -2010);

  const std::pair<std::string_view, std::string_view> bad[] = {
      {"[]", "expected a JSON object"},
      {"{}", "field 'kind' is required"},
      {R"({"kind":"melt"})",
       "field 'kind' must be one of reject_orders, rate_limit, "
       "drop_user_streams, stale, clock_skew, cancel_order, fill_before_ack"},
      {R"({"kind":"rate_limit","status":420,"count":0})",
       "field 'status' must be 429 or 418; field 'count' must be an integer in 1..1000000"},
      {R"({"kind":"stale"})", "field 'ms' is required for stale"},
      {R"({"kind":"stale","ms":-5})", "field 'ms' must be positive for stale"},
      {R"({"kind":"clock_skew","ms":1,"code":5,"who":1})",
       "field 'code' must be an integer in -99999..-1; field 'who' is unknown"},
      {R"({"kind":"cancel_order","symbol":""})",
       "field 'symbol' must be a non-empty string of at most 32 bytes"},
  };
  for (const auto& [json, error] : bad) {
    const auto f = parse_venue_fault(json);
    ASSERT_FALSE(f) << json;
    EXPECT_EQ(f.error(), error) << json;
  }
}

// A venue with BTCUSDT quoted at 50,000/50,001 and faults armed as MockExchange::inject does.
struct FaultyVenue : Venue {
  FaultyVenue() : Venue(btc_venue(10'000 * k, 1 * k)) {
    exchange.on_quote("BTCUSDT", 50'000 * k, 50'001 * k);
  }
  Answer resting_buy(std::string_view client_id) {
    return order(
        "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=40000"
        "&newClientOrderId=" +
        std::string(client_id));
  }
};

TEST(SimVenueFaults, shouldRejectTheNextOrdersWithTheErrorAskedForAndPlaceNothing) {
  FaultyVenue v;
  v.exchange.faults.reject_orders = 2;
  v.exchange.faults.reject_code = -1013;
  v.exchange.faults.reject_msg = "Filter failure: PRICE_FILTER";
  for (const char* id : {"a", "b"}) {
    const Answer refused = v.resting_buy(id);
    EXPECT_EQ(refused.status, 400);
    EXPECT_EQ(refused.body, R"({"code":-1013,"msg":"Filter failure: PRICE_FILTER"})");
    EXPECT_EQ(v.exchange.received_by_client[id], 1) << "received, then refused";
  }
  EXPECT_TRUE(v.exchange.orders.empty());
  EXPECT_TRUE(v.reports.empty()) << "no execution report for a refused order";
  EXPECT_EQ(v.locked("USDT"), 0);
  EXPECT_EQ(v.resting_buy("c").status, 200) << "the fault is spent";
}

TEST(SimVenueFaults, shouldAnswer429WithRetryAfterThenBanWith418) {
  FaultyVenue v;
  const std::int64_t t = v.exchange.now_ms();
  v.exchange.faults.rate_limited = 1;
  v.exchange.faults.rate_status = 429;
  v.exchange.faults.rate_retry_after_s = 7;
  const auto limited = v.exchange.charge_weight(t, 1);
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 429);
  EXPECT_EQ(limited->retry_after_s, 7);
  EXPECT_TRUE(has(limited->body, R"({"code":-1003,)")) << limited->body;
  EXPECT_FALSE(v.exchange.charge_weight(t, 1)) << "one request only";

  v.exchange.faults.rate_limited = 1;
  v.exchange.faults.rate_status = 418;
  v.exchange.faults.rate_retry_after_s = 3;
  for (const std::int64_t at : {t, t + 2'999}) {  // banned for 3 s, every request
    const auto banned = v.exchange.charge_weight(at, 1);
    ASSERT_TRUE(banned) << at - t;
    EXPECT_EQ(banned->status, 418);
    EXPECT_EQ(banned->retry_after_s, (3'000 - (at - t) + 999) / 1000);
  }
  EXPECT_FALSE(v.exchange.charge_weight(t + 3'000, 1)) << "the ban lifts";
}

TEST(SimVenueFaults, shouldCancelOnItsOwnOneOrderOrEveryOpenOrder) {
  FaultyVenue v;
  ASSERT_EQ(v.resting_buy("one").status, 200);
  ASSERT_EQ(v.resting_buy("two").status, 200);
  ASSERT_EQ(v.locked("USDT"), 2 * 400 * k);
  v.reports.clear();
  EXPECT_EQ(v.exchange.venue_cancel("", "two"), 1);
  ASSERT_EQ(v.reports.size(), 2u);  // the report, then the account
  EXPECT_TRUE(has(v.reports[0], R"("c":"two")")) << v.reports[0];
  EXPECT_TRUE(has(v.reports[0], R"("x":"CANCELED","X":"CANCELED")")) << v.reports[0];
  EXPECT_TRUE(has(v.reports[0], R"("C":"")")) << "no client asked: " << v.reports[0];
  EXPECT_EQ(v.locked("USDT"), 400 * k);
  EXPECT_EQ(v.exchange.venue_cancel("ETHUSDT", ""), 0) << "another symbol";
  EXPECT_EQ(v.exchange.venue_cancel("", "two"), 0) << "already cancelled";
  EXPECT_EQ(v.exchange.venue_cancel("BTCUSDT", ""), 1);
  EXPECT_EQ(v.locked("USDT"), 0);
  EXPECT_EQ(v.free("USDT"), 10'000 * k);
}

// The order fills in full on arrival (a resting limit at its own price, as maker); its reports
// are published while the answer is being made, and the answer says to hold it.
TEST(SimVenueFaults, shouldFillOnArrivalAndHoldTheAnswerAfterTheReports) {
  FaultyVenue v;
  v.exchange.faults.fill_on_entry = 1;
  v.exchange.faults.fill_hold_ms = 150;
  const Answer filled = v.resting_buy("early");
  ASSERT_EQ(filled.status, 200) << filled.body;
  EXPECT_EQ(filled.hold_ms, 150);
  EXPECT_TRUE(has(filled.body, R"("status":"FILLED")")) << filled.body;
  ASSERT_EQ(v.trades().size(), 1u);
  EXPECT_TRUE(has(v.trades()[0], R"("L":"40000.00000000")")) << v.trades()[0];
  EXPECT_TRUE(has(v.trades()[0], R"("m":true)")) << "at its own price, as maker";
  EXPECT_EQ(v.free("BTC"), k + k / 100 - k / 100 * 5 / 10'000);  // maker commission 0.05 %
  const Answer normal = v.resting_buy("late");
  EXPECT_EQ(normal.hold_ms, 0);
  EXPECT_TRUE(has(normal.body, R"("status":"NEW")")) << normal.body;
}

}  // namespace
}  // namespace be::binance::mock
