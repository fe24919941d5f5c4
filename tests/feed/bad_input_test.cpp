// One test per reject reason: the frame is refused with that reason, counted, emits nothing,
// and the parser keeps working on the next good frame.
#include <gtest/gtest.h>

#include <string>

#include "feed/binance.hpp"
#include "feed/capture.hpp"
#include "feed/coinbase.hpp"
#include "feed/kraken.hpp"
#include "tests/feed/capture_files.hpp"

namespace be::feed {
namespace {

using test::Collect;

constexpr Nanos kRecv = 1'700'000'000'000'000'000;
const std::string kGoodTrade =
    R"({"e":"aggTrade","E":1,"s":"BTCUSDT","a":7,"p":"100.5","q":"2","T":1633998523963,"m":true})";

// An aggTrade frame as the good trade's but for the raw JSON values given; an empty `p`
// leaves the price out.
struct AggTrade {
  std::string_view symbol = "BTCUSDT";
  std::string_view a = "7";
  std::string_view p = R"("1")";
  std::string_view q = R"("2")";
  std::string_view t = "1";
};
std::string agg_trade(const AggTrade& f) {
  std::string frame = R"({"e":"aggTrade","E":1,"s":")";
  frame.append(f.symbol).append(R"(","a":)").append(f.a);
  if (!f.p.empty()) frame.append(R"(,"p":)").append(f.p);
  frame.append(R"(,"q":)").append(f.q).append(R"(,"T":)").append(f.t).append(R"(,"m":true})");
  return frame;
}

class BinanceRejects : public ::testing::Test {
 protected:
  SymbolTable symbols{UnknownSymbolPolicy::kReject};
  InstrumentId btc = symbols.add("BTCUSDT");
  BinanceParser parser{
      VenueId{1}, symbols,
      ParserLimits{.max_message_bytes = 1024, .max_snapshot_bytes = 4096, .max_levels = 4}};
  Collect out;

  void expect_reject(const std::string& frame, RejectReason reason) {
    const auto before = parser.stats().by_reject[static_cast<std::size_t>(reason)];
    const ParseResult r = parser.parse(frame, kRecv, out);
    EXPECT_EQ(r.reject, reason) << "got " << to_string(r.reject) << " for " << frame.substr(0, 120);
    EXPECT_EQ(r.events, 0u);
    EXPECT_TRUE(out.events.empty()) << "a rejected frame emitted events";
    EXPECT_EQ(parser.stats().by_reject[static_cast<std::size_t>(reason)], before + 1);
    // And the parser is not wedged: the next good frame parses.
    const ParseResult good = parser.parse(kGoodTrade, kRecv, out);
    EXPECT_TRUE(good.ok()) << to_string(good.reject);
    out.events.clear();
  }
};

TEST_F(BinanceRejects, shouldRejectEmptyFrame) {
  expect_reject("", RejectReason::kEmpty);
}

TEST_F(BinanceRejects, shouldRejectOversizedFrameBeyondSnapshotLimit) {
  expect_reject(std::string(5000, ' ') + kGoodTrade, RejectReason::kOversized);
}

TEST_F(BinanceRejects, shouldRejectNonSnapshotFrameBeyondMessageLimit) {
  expect_reject(kGoodTrade.substr(0, kGoodTrade.size() - 1) + std::string(2000, ' ') + "}",
                RejectReason::kOversized);
}

TEST_F(BinanceRejects, shouldRejectMalformedJson) {
  expect_reject(R"({"e":"aggTrade","s":"BTCUSDT","p":"1",)", RejectReason::kMalformedJson);
  expect_reject("not json at all", RejectReason::kMalformedJson);
}

TEST_F(BinanceRejects, shouldRejectUnknownEventType) {
  expect_reject(R"({"e":"outboundAccountPosition","E":1})", RejectReason::kUnknownMessageType);
  expect_reject("[1,2,3]", RejectReason::kUnknownMessageType);
}

TEST_F(BinanceRejects, shouldRejectMissingField) {
  expect_reject(agg_trade({.p = ""}), RejectReason::kMissingField);
}

TEST_F(BinanceRejects, shouldRejectMistypedField) {
  expect_reject(agg_trade({.a = R"("7")"}), RejectReason::kWrongType);
  expect_reject(agg_trade({.p = "true"}), RejectReason::kWrongType);
  // A negative id where an unsigned one belongs is a type error to simdjson.
  expect_reject(agg_trade({.a = "-7"}), RejectReason::kWrongType);
}

TEST_F(BinanceRejects, shouldRejectBadNumbers) {
  // Too many decimals for scale 8, out of int64 range, and not a number at all.
  expect_reject(agg_trade({.p = R"("1.000000001")"}), RejectReason::kBadNumber);
  expect_reject(agg_trade({.p = R"("999999999999")"}), RejectReason::kBadNumber);
  expect_reject(agg_trade({.p = R"("1e5")"}), RejectReason::kBadNumber);
}

TEST_F(BinanceRejects, shouldRejectZeroOrNegativePrice) {
  expect_reject(agg_trade({.p = R"("0.00000000")"}), RejectReason::kNonPositivePrice);
  expect_reject(agg_trade({.p = R"("-1")"}), RejectReason::kNonPositivePrice);
}

TEST_F(BinanceRejects, shouldRejectNegativeQuantity) {
  expect_reject(agg_trade({.q = R"("-2")"}), RejectReason::kNegativeQuantity);
}

TEST_F(BinanceRejects, shouldRejectBadTimestamp) {
  expect_reject(agg_trade({.t = "-5"}), RejectReason::kBadTimestamp);
  expect_reject(agg_trade({.t = "9223372036854775"}), RejectReason::kBadTimestamp);
}

TEST_F(BinanceRejects, shouldRejectUnknownSymbolUnlessAutoInterning) {
  const std::string eth = agg_trade({.symbol = "ETHUSDT"});
  expect_reject(eth, RejectReason::kUnknownSymbol);
  SymbolTable auto_symbols{UnknownSymbolPolicy::kAutoIntern};
  BinanceParser lenient(VenueId{1}, auto_symbols);
  EXPECT_TRUE(lenient.parse(eth, kRecv, out).ok());
  EXPECT_TRUE(auto_symbols.find("ETHUSDT").has_value());
}

TEST_F(BinanceRejects, shouldRejectTooManyLevelsWithoutEmittingAny) {
  expect_reject(
      R"({"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1","1"],["2","1"],["3","1"]],)"
      R"("a":[["4","1"],["5","1"]]})",
      RejectReason::kTooManyLevels);
}

TEST_F(BinanceRejects, shouldEmitNothingWhenTheLastLevelIsBad) {
  expect_reject(
      R"({"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1","1"]],"a":[["4","x"]]})",
      RejectReason::kBadNumber);
}

TEST(CoinbaseRejects, shouldRejectBadSideTimeAndMissingType) {
  SymbolTable symbols{UnknownSymbolPolicy::kAutoIntern};
  CoinbaseParser parser(VenueId{3}, symbols);
  Collect out;
  auto reject_of = [&](const std::string& f) { return parser.parse(f, kRecv, out).reject; };
  EXPECT_EQ(reject_of(R"({"product_id":"BTC-USD"})"), RejectReason::kMissingField);
  EXPECT_EQ(reject_of(R"({"type":"match","trade_id":1,"side":"up","size":"1","price":"1",)"
                      R"("product_id":"BTC-USD","time":"2021-04-17T16:43:37.089723Z"})"),
            RejectReason::kWrongType);
  EXPECT_EQ(reject_of(R"({"type":"match","trade_id":1,"side":"buy","size":"1","price":"1",)"
                      R"("product_id":"BTC-USD","time":"2021-13-17T16:43:37Z"})"),
            RejectReason::kBadTimestamp);
  EXPECT_EQ(reject_of(R"({"type":"l2update","product_id":"BTC-USD","changes":[["buy","0","1"]],)"
                      R"("time":"2021-04-17T16:43:37Z"})"),
            RejectReason::kNonPositivePrice);
  EXPECT_EQ(reject_of(R"({"type":"full_channel_thing"})"), RejectReason::kUnknownMessageType);
  EXPECT_TRUE(out.events.empty());
  EXPECT_EQ(parser.stats().rejected(), 5u);
}

TEST(KrakenRejects, shouldRejectBrokenArrayFraming) {
  SymbolTable symbols{UnknownSymbolPolicy::kAutoIntern};
  KrakenParser parser(VenueId{4}, symbols);
  Collect out;
  auto reject_of = [&](const std::string& f) { return parser.parse(f, kRecv, out).reject; };
  // No channel/pair tail; an unknown channel; the tail not matching the JSON; a bad level.
  EXPECT_EQ(reject_of(R"([1,{"a":[]}])"), RejectReason::kUnknownMessageType);
  EXPECT_EQ(reject_of(R"([1,{},"spread","XBT/USD"])"), RejectReason::kUnknownMessageType);
  EXPECT_EQ(reject_of(R"([1,{"b":[["1","1","1.5"]]},"book-10","XBT/USD","x"])"),
            RejectReason::kUnknownMessageType);
  EXPECT_EQ(reject_of(R"([1,{"b":[["1","1","1.5","q"]]},"book-10","XBT/USD"])"),
            RejectReason::kWrongType);
  EXPECT_EQ(reject_of(R"([1,{"b":[["1","1"]]},"book-10","XBT/USD"])"), RejectReason::kMissingField);
  EXPECT_EQ(reject_of(R"({"event":"somethingNew"})"), RejectReason::kUnknownMessageType);
  EXPECT_TRUE(out.events.empty());
}

}  // namespace
}  // namespace be::feed

namespace be::feed {
namespace {

// Regressions found by fuzz/ (2026-11-23): malformed frames on which simdjson's unordered field
// search reached __builtin_unreachable (undefined behaviour in a release build). Fields are now
// looked up in order, then once more from the object's start, which reports errors instead.
TEST(FuzzRegression, shouldRejectBrokenDepthUpdateThatDefeatedUnorderedFieldSearch) {
  SymbolTable symbols{UnknownSymbolPolicy::kAutoIntern};
  BinanceParser parser(VenueId{1}, symbols);
  Collect out;
  const std::string frame =
      R"({"stream":"nknusdt@depth@100ms","data":{"e":"depthUpdate","E":1633998536179,)"
      R"("s":"NKNUSDT","U":499870094,"u":499870101,"b":[["0.35270000","4253.00000000"],)"
      R"(["0.35390000","14842.0","E":1633998536179,"s":"NKNUSDT","U":499870094,)"
      R"("u":499870101,"b":"35[0.[270000","4253.00000000"],["0.35450000","29425.00000000"]]]})";
  EXPECT_FALSE(parser.parse(frame, kRecv, out).ok());
  EXPECT_TRUE(out.events.empty());
}

TEST(FuzzRegression, shouldRejectBrokenKrakenTickerThatDefeatedUnorderedFieldSearch) {
  SymbolTable symbols{UnknownSymbolPolicy::kAutoIntern};
  KrakenParser parser(VenueId{4}, symbols);
  Collect out;
  const std::string frame =
      R"([4532,{"a":["0.0":"onli6.92"],"GRT/ETH00083707000","1.71754604","1618678150.80"]},)"
      R"("ticker","GRT/ETH"])";
  EXPECT_FALSE(parser.parse(frame, kRecv, out).ok());
  EXPECT_TRUE(out.events.empty());
}

TEST(FuzzRegression, shouldRejectCaptureTimeThatOverflowedNanoseconds) {
  // 11633998274 s * 1e9 overflowed int64 before the range check.
  EXPECT_FALSE(parse_capture_time("11633998274.5").has_value());
  EXPECT_TRUE(parse_capture_time("9223372035.5").has_value());
}

}  // namespace
}  // namespace be::feed
