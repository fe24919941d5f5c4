// sim/ticker_stream.hpp: <symbol>@ticker and @miniTicker derived from a source's own trades,
// and the field readers the simulator feeds its exchange with.
#include "sim/ticker_stream.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "sim/routes.hpp"

namespace be::sim {
namespace {

std::unique_ptr<MarketSource> btc_with_tickers() {
  SyntheticConfig config;
  config.symbols = {"btcusdt"};
  config.seed = 7;
  return with_ticker_streams(make_synthetic_source(config));
}

TEST(SimTickerStream, shouldServeTickerStreamsOnlyForSymbolsThatTrade) {
  const auto source = btc_with_tickers();
  EXPECT_TRUE(source->serves("btcusdt@ticker"));
  EXPECT_TRUE(source->serves("btcusdt@miniTicker"));
  EXPECT_TRUE(source->serves("btcusdt@trade"));
  EXPECT_FALSE(source->serves("ethusdt@ticker"));
  EXPECT_FALSE(source->serves("@ticker"));
  const auto streams = source->streams();
  EXPECT_NE(std::find(streams.begin(), streams.end(), "btcusdt@ticker"), streams.end());
  EXPECT_NE(std::find(streams.begin(), streams.end(), "btcusdt@miniTicker"), streams.end());
}

// Every ticker restates the trades before it: open = first price, close = last, high/low,
// count and volume, and no two tickers of a kind within a second of event time.
TEST(SimTickerStream, shouldSummariseTheTradesBeforeEachTickerOncePerSecond) {
  const auto source = btc_with_tickers();
  MarketMessage m;
  std::int64_t first = 0, last = 0, high = 0, low = INT64_MAX, volume = 0, count = 0;
  Nanos previous_ticker = -1'000'000'000'000;
  int tickers = 0, minis = 0;
  for (int i = 0; i < 20'000 && minis < 5; ++i) {
    ASSERT_TRUE(source->next(m));
    if (m.stream == "btcusdt@trade") {
      const auto p = decimal_field(m.payload, "p");
      const auto q = decimal_field(m.payload, "q");
      ASSERT_TRUE(p && q) << m.payload;
      if (count == 0) first = *p;
      last = *p;
      high = std::max(high, *p);
      low = std::min(low, *p);
      volume += *q;
      ++count;
    } else if (m.stream == "btcusdt@ticker") {
      ++tickers;
      EXPECT_GE(m.event_time - previous_ticker, 1'000'000'000) << m.payload;
      previous_ticker = m.event_time;
      EXPECT_TRUE(m.payload.starts_with(R"({"e":"24hrTicker","E":)")) << m.payload;
      EXPECT_EQ(decimal_field(m.payload, "o"), first);
      EXPECT_EQ(decimal_field(m.payload, "c"), last);
      EXPECT_EQ(decimal_field(m.payload, "h"), high);
      EXPECT_EQ(decimal_field(m.payload, "l"), low);
      EXPECT_EQ(decimal_field(m.payload, "v"), volume);
      EXPECT_EQ(decimal_field(m.payload, "p"), last - first);
      EXPECT_EQ(integer_field(m.payload, "n"), count);
      // The touch, once a book ticker has been seen (the first trade may come before one).
      if (tickers > 1) {
        EXPECT_GT(decimal_field(m.payload, "b").value_or(0), 0) << m.payload;
      }
      EXPECT_GE(decimal_field(m.payload, "a").value_or(0),
                decimal_field(m.payload, "b").value_or(0));
      EXPECT_NE(m.payload.find(R"("s":"BTCUSDT")"), std::string::npos);
    } else if (m.stream == "btcusdt@miniTicker") {
      ++minis;
      EXPECT_TRUE(m.payload.starts_with(R"({"e":"24hrMiniTicker","E":)")) << m.payload;
      EXPECT_EQ(decimal_field(m.payload, "c"), last);
      EXPECT_EQ(decimal_field(m.payload, "v"), volume);
    }
  }
  EXPECT_EQ(tickers, 5);
  EXPECT_EQ(minis, 5);
}

TEST(SimTickerStream, shouldReadDecimalAndIntegerFieldsAndRefuseMalformedOnes) {
  constexpr std::string_view trade =
      R"({"e":"trade","E":1,"s":"BTCUSDT","t":100000001,"p":"50003.58000000","q":"0.05800000","T":2})";
  EXPECT_EQ(decimal_field(trade, "p"), 5'000'358'000'000);
  EXPECT_EQ(decimal_field(trade, "q"), 5'800'000);
  EXPECT_EQ(integer_field(trade, "t"), 100'000'001);
  EXPECT_EQ(integer_field(trade, "T"), 2);
  EXPECT_EQ(decimal_field(trade, "x"), std::nullopt);
  EXPECT_EQ(decimal_field(R"({"p":"5x"})", "p"), std::nullopt);
  EXPECT_EQ(integer_field(R"({"t":12a})", "t"), std::nullopt);
  EXPECT_EQ(symbol_of("btcusdt@trade", "@trade"), "btcusdt");
  EXPECT_EQ(symbol_of("btcusdt@depth@trade", "@trade"), "");
  EXPECT_EQ(symbol_of("@trade", "@trade"), "");
}

// Binance accepts any name after /ws/ (ccxt connects to /ws/0); a stream-shaped unknown name
// is still refused so a typo shows.
TEST(SimTickerStream, shouldAcceptANonStreamNameAfterWsAndStillRefuseUnknownStreams) {
  const auto source = btc_with_tickers();
  const WsRoute zero = route_ws("/ws/0", *source, 10);
  EXPECT_TRUE(zero.ok) << zero.error;
  EXPECT_TRUE(zero.streams.empty());
  const WsRoute mixed = route_ws("/ws/0/btcusdt@ticker", *source, 10);
  ASSERT_TRUE(mixed.ok) << mixed.error;
  EXPECT_EQ(mixed.streams, std::vector<std::string>{"btcusdt@ticker"});
  EXPECT_EQ(route_ws("/ws/dogeusdt@ticker", *source, 10).error, "unknown stream 'dogeusdt@ticker'");
  EXPECT_FALSE(route_ws("/stream?streams=0", *source, 10).ok);
}

}  // namespace
}  // namespace be::sim
