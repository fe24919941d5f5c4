// feed/candle_file: the real candle files load exactly; malformed input is refused with an
// error naming the line (CSV) or candle index (JSON) and the field, never a crash.
#include "feed/candle_file.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "tests/support/shared_data.hpp"

// feed/candle_file declares its readers in be::replay (they began in the replay layer).
namespace be::replay {
namespace {

using test::shared_data;

TEST(CandleFile, shouldLoadBinanceJsonWeekExactly) {
  const std::string dir = shared_data();
  if (dir.empty()) GTEST_SKIP() << "BE_SHARED_DATA not set or not found: real candles absent";
  auto c = load_candles(dir + "/candles-1m/BTCUSDT_2021-02-19_1week_1m.json");
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->size(), 10080u);
  const Bar& first = c->bars.front();
  EXPECT_EQ(first.open_time, 1613692800000LL * 1'000'000);
  EXPECT_EQ(first.interval_seconds, 60u);
  EXPECT_EQ(first.open, 5155261000000);   // "51552.61000000"
  EXPECT_EQ(first.high, 5165705000000);   // "51657.05000000"
  EXPECT_EQ(first.low, 5154500000000);    // "51545.00000000"
  EXPECT_EQ(first.close, 5161338000000);  // "51613.38000000"
  EXPECT_EQ(first.volume, 13498921800);   // "134.98921800"
  EXPECT_EQ(first.closed, 1);
  EXPECT_EQ(c->close.front(), 51613.38);  // the double strtod gives for the same text
  EXPECT_EQ(c->volume.front(), 134.989218);
  EXPECT_EQ(c->bars.back().open_time - first.open_time, 10079LL * 60'000'000'000);
}

TEST(CandleFile, shouldLoadEveryRealCandleFile) {
  const std::string dir = shared_data();
  if (dir.empty()) GTEST_SKIP() << "BE_SHARED_DATA not set or not found: real candles absent";
  for (const auto& [file, bars] :
       {std::pair{"/candles-1m/DASHUSDT_2020-09-09_1week_1m.json", 10080u},
        std::pair{"/candles-1m/LTCUSDT_2020-11-08_2days_1m.json", 2880u},
        std::pair{"/btcusdt-15m-talib/BTCUSDT_15m.csv", 1000u}}) {
    auto c = load_candles(dir + file);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->size(), bars) << file;
  }
}

TEST(CandleFile, shouldReadGoldenCsvWithDateTimesAndShortDecimals) {
  const std::string dir = shared_data();
  if (dir.empty()) GTEST_SKIP() << "BE_SHARED_DATA not set or not found: real candles absent";
  auto c = load_candles(dir + "/btcusdt-15m-talib/BTCUSDT_15m.csv");
  ASSERT_TRUE(c) << c.error().message;
  // 2020-01-08 01:30:00,8416.26,8428.16,8371.0,8379.13,1464.187697
  EXPECT_EQ(c->bars[0].open_time, 1578447000LL * 1'000'000'000);
  EXPECT_EQ(c->bars[0].low, 837100000000);
  EXPECT_EQ(c->bars[0].volume, 146418769700);
  EXPECT_EQ(c->bars[0].interval_seconds, 900u);
}

TEST(CandleFile, shouldAcceptEpochSecondsMillisAndNoHeader) {
  auto s = parse_candles_csv("1600000000,1,2,0.5,1.5,10\n1600000060,1.5,2,1,1,0\n");
  ASSERT_TRUE(s) << s.error().message;
  auto ms = parse_candles_csv("1600000000000,1,2,0.5,1.5,10\r\n1600000060000,1.5,2,1,1,0\r\n");
  ASSERT_TRUE(ms) << ms.error().message;
  EXPECT_EQ(s->bars[0].open_time, 1600000000LL * 1'000'000'000);
  EXPECT_EQ(ms->bars[0].open_time, s->bars[0].open_time);
  EXPECT_EQ(s->bars[1].interval_seconds, 60u);
}

TEST(CandleFile, shouldFindColumnsByHeaderName) {
  auto c = parse_candles_csv(
      "symbol,close,volume,open,high,low,timestamp\nBTC,1.5,10,1,2,0.5,2021-02-19T00:00:00Z\n");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->bars[0].close, 150000000);
  EXPECT_EQ(c->bars[0].open_time, 1613692800LL * 1'000'000'000);
}

TEST(CandleFile, shouldHonourRequestedScales) {
  CandleOptions o;
  o.price_scale = 2;
  o.qty_scale = 3;
  auto c = parse_candles_csv("1600000000,1.25,2,0.5,1.5,10.125\n", o);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->bars[0].open, 125);
  EXPECT_EQ(c->bars[0].volume, 10125);
  auto bad = parse_candles_csv("1600000000,1.255,2,0.5,1.5,10\n", o);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("line 1: field 'open': more decimal places"),
            std::string::npos)
      << bad.error().message;
}

TEST(CandleFile, shouldParseCandleTimes) {
  Nanos t = 0;
  ASSERT_TRUE(parse_candle_time("2020-01-08 01:30:00", t));
  EXPECT_EQ(t, 1578447000LL * 1'000'000'000);
  ASSERT_TRUE(parse_candle_time("2024-02-29T23:59:59.5Z", t));
  EXPECT_EQ(t, 1709251199LL * 1'000'000'000 + 500'000'000);
  ASSERT_TRUE(parse_candle_time("9000000000", t));  // seconds: 2255-03-14
  EXPECT_EQ(t, 9000000000LL * 1'000'000'000);
  ASSERT_TRUE(parse_candle_time("100000000000", t));  // 1e11: milliseconds
  EXPECT_EQ(t, 100000000000LL * 1'000'000);
  for (const char* bad :
       {"", "-1", "2023-02-29 00:00:00", "2020-13-01 00:00", "2020-01-08", "2020-01-08 24:00:00",
        "12:00", "1e9", "99999999999" /* seconds past 2262: beyond be::Nanos */,
        "2263-01-01 00:00:00", "2020-01-08 01:30:00.1234567890", "999999999999999999"}) {
    EXPECT_FALSE(parse_candle_time(bad, t)) << bad;
  }
}

struct Malformed {
  const char* name;
  const char* text;
  const char* mentions;
};

class MalformedCsv : public ::testing::TestWithParam<Malformed> {};

TEST_P(MalformedCsv, shouldRefuseNamingLineAndField) {
  auto c = parse_candles_csv(GetParam().text, {}, "f.csv");
  ASSERT_FALSE(c) << GetParam().name;
  EXPECT_NE(c.error().message.find(GetParam().mentions), std::string::npos) << c.error().message;
  EXPECT_EQ(c.error().message.rfind("f.csv: ", 0), 0u) << c.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    CandleFile, MalformedCsv,
    ::testing::Values(
        Malformed{"empty", "", "no candles"},
        Malformed{"header_only", "time,open,high,low,close,volume\n", "no candles"},
        Malformed{"missing_column", "time,open,high,low,close\n1,1,1,1,1\n",
                  "line 1: header has no 'volume' column"},
        Malformed{"short_row", "time,open,high,low,close,volume\n1600000000,1,2\n",
                  "line 2: expected 6 fields, got 3"},
        Malformed{"bad_time", "16OO000000,1,2,0.5,1.5,10\n", "line 1: field 'time': '16OO000000'"},
        Malformed{"bad_price", "1600000000,1,2,0.5,abc,10\n", "line 1: field 'close': malformed"},
        Malformed{"empty_volume", "1600000000,1,2,0.5,1.5,\n", "line 1: field 'volume': empty"},
        Malformed{"exponent", "1600000000,1e3,2,0.5,1.5,1\n", "line 1: field 'open': malformed"},
        Malformed{"huge", "1600000000,1,99999999999999999999,0.5,1.5,1\n",
                  "field 'high': decimal out"},
        Malformed{"low_above_high", "1600000000,1,1,2,1,1\n", "field 'low': low is above high"},
        Malformed{"close_outside", "1600000000,1,2,0.5,3,1\n", "field 'close': close is outside"},
        Malformed{"negative_volume", "1600000000,1,2,0.5,1,-1\n", "field 'volume': negative"},
        Malformed{"time_backwards", "1600000060,1,2,0.5,1,1\n\n1600000000,1,2,0.5,1,1\n",
                  "line 3: field 'time': open time is not after"},
        Malformed{"binary", "\x01\x02\xff\xfe,\x00", "line 1"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

class MalformedJson : public ::testing::TestWithParam<Malformed> {};

TEST_P(MalformedJson, shouldRefuseNamingIndexAndField) {
  auto c = parse_candles_json(GetParam().text, {}, "f.json");
  ASSERT_FALSE(c) << GetParam().name;
  EXPECT_NE(c.error().message.find(GetParam().mentions), std::string::npos) << c.error().message;
}

#define CANDLE(open, close, time)                                            \
  "{\"open\":\"" open "\",\"high\":\"2\",\"low\":\"0.5\",\"close\":\"" close \
  "\",\"volume\":\"1\",\"openTimeInMillis\":" time "}"

INSTANTIATE_TEST_SUITE_P(
    CandleFile, MalformedJson,
    ::testing::Values(
        Malformed{"not_json", "[{\"open\":", "not valid JSON"},
        Malformed{"trailing_garbage", "[" CANDLE("1", "1", "1") "] x", "not valid JSON"},
        Malformed{"not_array", "{\"open\":1}", "expected a JSON array"},
        Malformed{"empty_array", "[]", "no candles"},
        Malformed{"not_object", "[" CANDLE("1", "1", "1") ",3]", "candle 1: not a JSON object"},
        Malformed{"missing_time", "[{\"open\":\"1\"}]", "candle 0: field 'openTimeInMillis'"},
        Malformed{"missing_close",
                  "[{\"open\":\"1\",\"high\":\"2\",\"low\":\"0.5\",\"volume\":\"1\","
                  "\"openTimeInMillis\":5}]",
                  "candle 0: field 'close': missing"},
        Malformed{"bad_decimal", "[" CANDLE("1", "1", "1") "," CANDLE("1", "1.x", "2") "]",
                  "candle 1: field 'close': malformed decimal '1.x'"},
        Malformed{"bool_price",
                  "[{\"open\":true,\"high\":\"2\",\"low\":\"0.5\",\"close\":\"1\","
                  "\"volume\":\"1\",\"openTimeInMillis\":5}]",
                  "candle 0: field 'open': expected a decimal"},
        Malformed{"string_time", "[{\"open\":\"1\",\"openTimeInMillis\":\"5\"}]",
                  "field 'openTimeInMillis'"},
        Malformed{"duplicate_time", "[" CANDLE("1", "1", "7") "," CANDLE("1", "1", "7") "]",
                  "candle 1: field 'time': open time is not after"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(CandleFile, shouldAcceptPlainJsonNumbersExactly) {
  auto c = parse_candles_json(
      "[{\"open\":51552.61,\"high\":51657.05,\"low\":51545,\"close\":51613.38,"
      "\"volume\":134.989218,\"openTimeInMillis\":1613692800000,\"sizeInMillis\":60000}]");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->bars[0].close, 5161338000000);
  EXPECT_EQ(c->bars[0].low, 5154500000000);
  EXPECT_EQ(c->bars[0].volume, 13498921800);
}

TEST(CandleFile, shouldReportUnopenableFile) {
  auto c = load_candles("/nonexistent/dir/candles.json");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("/nonexistent/dir/candles.json: cannot open"), std::string::npos)
      << c.error().message;
}

}  // namespace
}  // namespace be::replay
