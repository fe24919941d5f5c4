#include "sim/market.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

namespace be::sim {
namespace {

std::string fixed8(std::int64_t v) {
  std::string s;
  append_fixed8(s, v);
  return s;
}

std::vector<MarketMessage> take(MarketSource& src, std::size_t n) {
  std::vector<MarketMessage> out;
  MarketMessage m;
  while (out.size() < n && src.next(m))
    out.push_back(m);
  return out;
}

TEST(Wire, shouldPrintFixedPointWithEightDecimalsLikeBinance) {
  EXPECT_EQ(fixed8(5'155'261'000'000), "51552.61000000");
  EXPECT_EQ(fixed8(1), "0.00000001");
  EXPECT_EQ(fixed8(0), "0.00000000");
  EXPECT_EQ(fixed8(-1), "-0.00000001");
  EXPECT_EQ(fixed8(INT64_MIN), "-92233720368.54775808");
  EXPECT_EQ(kline_interval_name(60), "1m");
  EXPECT_EQ(kline_interval_name(900), "15m");
  EXPECT_EQ(kline_interval_name(61), "");
}

TEST(SyntheticMarket, shouldProduceTheSameMessagesForTheSameSeed) {
  SyntheticConfig c;
  c.symbols = {"btcusdt", "ethusdt"};
  c.seed = 7;
  auto a = make_synthetic_source(c);
  auto b = make_synthetic_source(c);
  c.seed = 8;
  auto other = make_synthetic_source(c);
  const auto ma = take(*a, 3000), mb = take(*b, 3000), mo = take(*other, 3000);
  ASSERT_EQ(ma.size(), 3000u);
  std::size_t differ = 0;
  for (std::size_t i = 0; i < ma.size(); ++i) {
    ASSERT_EQ(ma[i].stream, mb[i].stream) << i;
    ASSERT_EQ(ma[i].payload, mb[i].payload) << i;
    ASSERT_EQ(ma[i].event_time, mb[i].event_time) << i;
    differ += ma[i].payload != mo[i].payload;
  }
  EXPECT_GT(differ, 1000u) << "another seed must give another market";
}

// Every payload parses, carries Binance's fields, and the sequence rules a client relies on
// hold: event time never goes back, depth U/u chain without gaps, bookTicker u is the last
// depth u, the book is not crossed.
TEST(SyntheticMarket, shouldEmitWellFormedBinancePayloadsWithContinuousSequences) {
  SyntheticConfig c;
  c.symbols = {"BTCUSDT", "solusdt"};
  c.seed = 3;
  auto src = make_synthetic_source(c);
  EXPECT_TRUE(src->serves("btcusdt@trade"));
  EXPECT_TRUE(src->serves("solusdt@kline_1m"));
  EXPECT_FALSE(src->serves("btcusdt@kline_5m"));
  EXPECT_FALSE(src->serves("xrpusdt@trade"));
  simdjson::dom::parser parser;
  std::map<std::string, std::uint64_t> last_u;
  std::map<std::string, int> kinds;
  Nanos last_time = 0;
  bool saw_closed_kline = false;
  for (const auto& m : take(*src, 20000)) {
    ASSERT_GE(m.event_time, last_time);
    last_time = m.event_time;
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(m.payload).get(doc), simdjson::SUCCESS) << m.payload;
    const std::string symbol = m.stream.substr(0, m.stream.find('@'));
    const std::string kind = m.stream.substr(m.stream.find('@') + 1);
    ++kinds[kind];
    if (kind == "trade") {
      EXPECT_EQ(std::string_view(doc["e"]), "trade");
      EXPECT_EQ(std::int64_t(doc["E"]), m.event_time / 1'000'000);
      EXPECT_EQ(std::string_view(doc["s"]), symbol == "btcusdt" ? "BTCUSDT" : "SOLUSDT");
      EXPECT_GT(std::uint64_t(doc["t"]), 0u);
      const std::string_view p = doc["p"], q = doc["q"];
      EXPECT_EQ(p.size() - p.find('.'), 9u) << p;  // 8 decimals
      EXPECT_EQ(q.size() - q.find('.'), 9u) << q;
      EXPECT_EQ(std::int64_t(doc["T"]), m.event_time / 1'000'000);
      (void)bool(doc["m"]);
      EXPECT_TRUE(bool(doc["M"]));
    } else if (kind == "depth@100ms") {
      const std::uint64_t first = doc["U"], last = doc["u"];
      EXPECT_LE(first, last);
      if (last_u.contains(symbol)) {
        EXPECT_EQ(first, last_u[symbol] + 1) << m.payload;
      }
      last_u[symbol] = last;
    } else if (kind == "bookTicker") {
      EXPECT_EQ(std::uint64_t(doc["u"]), last_u[symbol]);
      EXPECT_LT(std::stod(std::string(std::string_view(doc["b"]))),
                std::stod(std::string(std::string_view(doc["a"]))));
    } else if (kind == "kline_1m") {
      saw_closed_kline |= bool(doc["k"]["x"]);
      EXPECT_EQ(std::string_view(doc["k"]["i"]), "1m");
    } else {
      EXPECT_EQ(kind, "aggTrade");
      EXPECT_EQ(std::uint64_t(doc["f"]), std::uint64_t(doc["l"]));
    }
  }
  EXPECT_GT(kinds["trade"], 100);
  EXPECT_EQ(kinds["trade"], kinds["aggTrade"]);
  EXPECT_GT(kinds["depth@100ms"], 100);
  EXPECT_EQ(kinds["depth@100ms"], kinds["bookTicker"]);
  EXPECT_TRUE(saw_closed_kline) << "20000 messages span more than a minute of event time";
}

TEST(SyntheticMarket, shouldServeADepthSnapshotNoOlderThanTheStream) {
  SyntheticConfig c;
  auto src = make_synthetic_source(c);
  std::uint64_t last_u = 0;
  simdjson::dom::parser parser;
  for (const auto& m : take(*src, 500)) {
    if (m.stream != "btcusdt@depth@100ms") continue;
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(m.payload).get(doc), simdjson::SUCCESS);
    last_u = doc["u"];
  }
  const std::string snap = src->depth_snapshot("btcusdt", 3);
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(snap).get(doc), simdjson::SUCCESS) << snap;
  EXPECT_GE(std::uint64_t(doc["lastUpdateId"]), last_u);
  simdjson::dom::array bids = doc["bids"], asks = doc["asks"];
  EXPECT_EQ(bids.size(), 3u);
  EXPECT_EQ(asks.size(), 3u);
  const auto price = [](simdjson::dom::element level) {
    return std::stod(std::string(std::string_view(level.at(0))));
  };
  EXPECT_GT(price(bids.at(0)), price(bids.at(1))) << "bids best first";
  EXPECT_LT(price(asks.at(0)), price(asks.at(1))) << "asks best first";
  EXPECT_LT(price(bids.at(0)), price(asks.at(0)));
  EXPECT_EQ(src->depth_snapshot("xrpusdt", 5), "");
}

Bar bar(Nanos open_time, std::int64_t o, std::int64_t h, std::int64_t l, std::int64_t c,
        std::int64_t v) {
  Bar b;
  b.open_time = open_time;
  b.interval_seconds = 60;
  b.open = o, b.high = h, b.low = l, b.close = c, b.volume = v;
  return b;
}

struct Expanded {
  std::vector<std::int64_t> prices;
  std::int64_t volume = 0;
  std::string closed_kline;
};

std::int64_t parse8(std::string_view s) {
  const auto dot = s.find('.');
  return std::stoll(std::string(s.substr(0, dot))) * 100'000'000 +
         std::stoll(std::string(s.substr(dot + 1)));
}

std::vector<Expanded> expand(std::vector<Bar> bars, int trades_per_bar = 20) {
  auto src = make_candle_source(std::move(bars), CandleSourceConfig{"btcusdt", 5, trades_per_bar});
  std::vector<Expanded> out(1);
  simdjson::dom::parser parser;
  MarketMessage m;
  while (src->next(m)) {
    simdjson::dom::element doc;
    EXPECT_EQ(parser.parse(m.payload).get(doc), simdjson::SUCCESS);
    if (m.stream == "btcusdt@trade") {
      out.back().prices.push_back(parse8(std::string_view(doc["p"])));
      out.back().volume += parse8(std::string_view(doc["q"]));
    } else if (m.stream == "btcusdt@kline_1m" && bool(doc["k"]["x"])) {
      out.back().closed_kline = m.payload;
      out.emplace_back();
    }
  }
  out.pop_back();
  return out;
}

TEST(CandleMarket, shouldWalkOpenExtremesCloseAndReproduceTheBarAsClosedKline) {
  const Nanos t0 = 1'613'692'800'000'000'000;
  const auto bars = expand({bar(t0, 10'000'000'000, 10'500'000'000, 9'500'000'000, 10'200'000'000,
                                1'000'000'000),  // bullish: O L H C
                            bar(t0 + 60'000'000'000, 10'200'000'000, 10'300'000'000, 9'900'000'000,
                                10'000'000'000, 777)});  // bearish: O H L C
  ASSERT_EQ(bars.size(), 2u);
  const auto& up = bars[0];
  ASSERT_EQ(up.prices.size(), 20u);
  EXPECT_EQ(up.prices.front(), 10'000'000'000);
  EXPECT_EQ(up.prices.back(), 10'200'000'000);
  EXPECT_EQ(*std::max_element(up.prices.begin(), up.prices.end()), 10'500'000'000);
  EXPECT_EQ(*std::min_element(up.prices.begin(), up.prices.end()), 9'500'000'000);
  const auto low_at = std::min_element(up.prices.begin(), up.prices.end()) - up.prices.begin();
  const auto high_at = std::max_element(up.prices.begin(), up.prices.end()) - up.prices.begin();
  EXPECT_LT(low_at, high_at) << "a bullish bar visits its low first";
  EXPECT_EQ(up.volume, 1'000'000'000);
  EXPECT_NE(up.closed_kline.find(R"("t":1613692800000,"T":1613692859999)"), std::string::npos);
  EXPECT_NE(
      up.closed_kline.find(
          R"("o":"100.00000000","c":"102.00000000","h":"105.00000000","l":"95.00000000","v":"10.00000000","n":20,"x":true)"),
      std::string::npos)
      << up.closed_kline;
  const auto& down = bars[1];
  EXPECT_EQ(down.volume, 777);
  const auto hi = std::max_element(down.prices.begin(), down.prices.end()) - down.prices.begin();
  const auto lo = std::min_element(down.prices.begin(), down.prices.end()) - down.prices.begin();
  EXPECT_LT(hi, lo) << "a bearish bar visits its high first";
}

TEST(CandleMarket, shouldEmitOnlyTheClosedKlineForAZeroVolumeBar) {
  const auto bars = expand({bar(0, 500'000'000, 500'000'000, 500'000'000, 500'000'000, 0)});
  ASSERT_EQ(bars.size(), 1u);
  EXPECT_TRUE(bars[0].prices.empty());
  EXPECT_NE(
      bars[0].closed_kline.find(
          R"("o":"5.00000000","c":"5.00000000","h":"5.00000000","l":"5.00000000","v":"0.00000000","n":0,"x":true)"),
      std::string::npos)
      << bars[0].closed_kline;
}

const char* shared_data() {
  return std::getenv("BE_SHARED_DATA");
}

TEST(CandleMarket, shouldServeTheSharedBtcWeekWithKlinesEqualToTheFile) {
  if (!shared_data()) GTEST_SKIP() << "BE_SHARED_DATA not set: shared market data absent";
  const std::string path =
      std::string(shared_data()) + "/candles-1m/BTCUSDT_2021-02-19_1week_1m.json";
  if (!std::ifstream(path)) GTEST_SKIP() << path << " absent";
  auto src = load_candle_source(path, CandleSourceConfig{"btcusdt", 1, 20});
  ASSERT_TRUE(src) << src.error();
  MarketMessage m;
  std::string first_closed;
  while ((*src)->next(m)) {
    if (m.stream == "btcusdt@kline_1m" && m.payload.find(R"("x":true)") != std::string::npos) {
      first_closed = m.payload;
      break;
    }
  }
  // The file's first bar: open 51552.61, high 51657.05, low 51545.00, close 51613.38.
  EXPECT_NE(first_closed.find(R"("t":1613692800000,)"), std::string::npos) << first_closed;
  EXPECT_NE(
      first_closed.find(
          R"("o":"51552.61000000","c":"51613.38000000","h":"51657.05000000","l":"51545.00000000","v":"134.98921800")"),
      std::string::npos)
      << first_closed;
}

TEST(CaptureMarket, shouldServeRecordedBinancePayloadsByteForByte) {
  if (!shared_data()) GTEST_SKIP() << "BE_SHARED_DATA not set: shared market data absent";
  const std::string path = std::string(shared_data()) + "/captures/BINANCE.ws.1.0";
  std::ifstream in(path);
  if (!in) GTEST_SKIP() << path << " absent";
  std::vector<std::string> recorded;  // the combined payloads as they appear in the file
  for (std::string line; std::getline(in, line);) {
    const auto at = line.find(": {\"stream\"");
    if (at != std::string::npos) recorded.push_back(line.substr(at + 2));
  }
  std::size_t skipped = 0;
  auto src = load_capture_source(path, {}, &skipped);
  ASSERT_TRUE(src) << src.error();
  MarketMessage m;
  std::size_t i = 0;
  Nanos first = 0;
  while ((*src)->next(m)) {
    ASSERT_LT(i, recorded.size());
    // Re-wrapped as the combined endpoint does, it is the recorded frame exactly.
    EXPECT_EQ(R"({"stream":")" + m.stream + R"(","data":)" + m.payload + "}", recorded[i]) << i;
    if (i == 0) first = m.event_time;
    ++i;
  }
  EXPECT_EQ(i, recorded.size());
  EXPECT_EQ(first, 1'633'998'512'063'356'900);  // "1633998512.0633569", exactly
  EXPECT_EQ(skipped, 1u) << "the connection line";
  EXPECT_TRUE((*src)->serves("nknusdt@depth@100ms"));
  auto filtered = load_capture_source(path, {"blzeth"});
  ASSERT_TRUE(filtered);
  while ((*filtered)->next(m))
    EXPECT_TRUE(m.stream.starts_with("blzeth@")) << m.stream;
  EXPECT_FALSE(load_capture_source(path + ".missing", {}));
}

}  // namespace
}  // namespace be::sim
