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

#include "sim/binance/exchange.hpp"
#include "sim/binance/sim_venue.hpp"

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

}  // namespace
}  // namespace be::binance::mock
