// The Binance hot path (trade, aggTrade, bookTicker read in one pass over their fields), the
// decimal fast path and the parser's last-symbol cache, each held to the general code they
// short-cut: same records, same reject reasons.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "core/fixed_point.hpp"
#include "feed/binance.hpp"
#include "feed/detail/decimal.hpp"
#include "tests/feed/capture_files.hpp"

namespace be::feed {
namespace {

using test::Collect;

// Naive twin: core's parse_decimal decides every input; the fast path must agree on the
// value or on refusing.
TEST(DecimalFastPath, shouldAgreeWithCoreParseDecimalOnSeededInputs) {
  std::mt19937_64 rng(20261123);
  constexpr std::string_view kAlphabet = "0123456789000000.-e+x ";
  std::size_t accepted = 0;
  for (int n = 0; n < 300'000; ++n) {
    std::string text;
    const std::size_t len = rng() % 24;
    for (std::size_t i = 0; i < len; ++i)
      text.push_back(kAlphabet[rng() % (n % 2 == 0 ? 11 : kAlphabet.size())]);
    if (n % 3 == 0 && len > 2) text[rng() % len] = '.';
    const int scale = static_cast<int>(rng() % 19);
    const auto expected = parse_decimal(text, scale);
    std::int64_t got = -1;
    const RejectReason r = detail::decimal_to_fixed(text, scale, got);
    ASSERT_EQ(r == RejectReason::kNone, expected.has_value()) << '"' << text << "\" @" << scale;
    if (expected) {
      ASSERT_EQ(got, *expected) << '"' << text << "\" @" << scale;
      ++accepted;
    } else {
      EXPECT_EQ(r, RejectReason::kBadNumber);
    }
  }
  EXPECT_GT(accepted, 30'000u) << "the sample exercises the fast path, not only refusals";
  std::int64_t v = 0;
  EXPECT_EQ(detail::decimal_to_fixed("999999999.99999999", 8, v), RejectReason::kNone);
  EXPECT_EQ(v, 99'999'999'999'999'999);
  EXPECT_EQ(detail::decimal_to_fixed("9999999999.99999999", 8, v), RejectReason::kNone);
  EXPECT_EQ(v, 999'999'999'999'999'999) << "19 digits: the checked path";
}

class BinanceHotPath : public ::testing::Test {
 protected:
  Trade trade(std::string_view frame, ParseResult* result = nullptr) {
    Collect out;
    const ParseResult r = parser.parse(frame, 5, out);
    if (result != nullptr) *result = r;
    EXPECT_TRUE(r.ok()) << to_string(r.reject) << " " << frame;
    if (!r.ok() || out.events.size() != 1 || !out.events[0].is<Trade>()) return {};
    event_time = out.events[0].header.event_time;
    return out.events[0].as<Trade>();
  }
  RejectReason reject(std::string_view frame) {
    Collect out;
    const ParseResult r = parser.parse(frame, 5, out);
    EXPECT_TRUE(out.events.empty()) << frame;
    return r.reject;
  }

  SymbolTable symbols{UnknownSymbolPolicy::kReject};
  InstrumentId btc = symbols.add("BTCUSDT");
  BinanceParser parser{VenueId{1}, symbols};
  Nanos event_time = 0;
};

constexpr std::string_view kOrdered =
    R"({"e":"aggTrade","E":1672515782136,"s":"BTCUSDT","a":12345,"p":"16500.12000000",)"
    R"("q":"0.00100000","f":100,"l":105,"T":1672515782134,"m":true,"M":true})";
constexpr std::string_view kShuffled =
    R"({"e":"aggTrade","m":true,"q":"0.00100000","T":1672515782134,"M":true,"a":12345,)"
    R"("zz":{"nested":[1,2]},"s":"BTCUSDT","f":100,"p":"16500.12000000","E":1,"l":105})";

TEST_F(BinanceHotPath, shouldReadTheSameTradeWhateverTheFieldOrder) {
  const Trade a = trade(kOrdered);
  const Nanos t = event_time;
  const Trade b = trade(kShuffled);
  EXPECT_EQ(a.instrument, btc);
  EXPECT_EQ(a.price, 1'650'012'000'000);
  EXPECT_EQ(a.quantity, 100'000);
  EXPECT_EQ(a.trade_id, 12345u);
  EXPECT_EQ(a.aggressor, Side::kSell);
  EXPECT_EQ(t, 1672515782134 * 1'000'000);
  EXPECT_EQ(b.price, a.price);
  EXPECT_EQ(b.quantity, a.quantity);
  EXPECT_EQ(b.trade_id, a.trade_id);
  EXPECT_EQ(b.aggressor, a.aggressor);
  EXPECT_EQ(event_time, t);
  const Trade c = trade(R"({"stream":"btcusdt@aggTrade","data":)" + std::string(kShuffled) + "}");
  EXPECT_EQ(c.price, a.price);
  EXPECT_EQ(c.trade_id, a.trade_id);
}

TEST_F(BinanceHotPath, shouldTakeTheFirstOfARepeatedKeyAsTheGeneralPathDoes) {
  const Trade t = trade(
      R"({"e":"trade","E":1,"s":"BTCUSDT","t":7,"p":"2.5","q":"1","T":1000,"m":false,"p":"9"})");
  EXPECT_EQ(t.price, 250'000'000);
  EXPECT_EQ(t.trade_id, 7u);
  EXPECT_EQ(t.aggressor, Side::kBuy);
}

TEST_F(BinanceHotPath, shouldLetTheEventTypeWinOverAStreamNameThatContradictsIt) {
  ParseResult r;
  const Trade t = trade(R"({"stream":"btcusdt@trade","data":)" + std::string(kOrdered) + "}", &r);
  EXPECT_EQ(r.kind, MessageKind::kBinanceAggTrade);
  EXPECT_EQ(t.trade_id, 12345u) << "the aggregate id, read by the general path";
}

// A leading space keeps a raw frame off the hot path (it matches Binance's exact prefix only),
// so " " + frame is the general path's verdict on the same JSON.
TEST_F(BinanceHotPath, shouldRejectWhatTheGeneralPathRejects) {
  auto both = [&](const std::string& frame) {
    const RejectReason fast = reject(frame);
    EXPECT_EQ(fast, reject(" " + frame)) << frame;
    return fast;
  };
  const std::string head = R"({"e":"trade","E":1,"s":"BTCUSDT","t":7,)";
  EXPECT_EQ(both(head + R"("p":"2.5","q":"1","T":1000})"), RejectReason::kMissingField);
  EXPECT_EQ(both(head + R"("p":"2.5","q":"1","T":1000,"m":"yes"})"), RejectReason::kWrongType);
  EXPECT_EQ(both(R"({"e":"trade","E":1,"s":"BTCUSDT","t":"7","p":"2","q":"1","T":1,"m":true})"),
            RejectReason::kWrongType);
  EXPECT_EQ(both(head + R"("p":"0.0","q":"1","T":1,"m":true})"), RejectReason::kNonPositivePrice);
  EXPECT_EQ(both(head + R"("p":"1","q":"-1","T":1,"m":true})"), RejectReason::kNegativeQuantity);
  EXPECT_EQ(both(head + R"("p":"1.x","q":"1","T":1,"m":true})"), RejectReason::kBadNumber);
  EXPECT_EQ(both(head + R"("p":"1","q":"1","T":-5,"m":true})"), RejectReason::kBadTimestamp);
  EXPECT_EQ(both(R"({"e":"trade","E":1,"s":"ETHUSDT","t":7,"p":"1","q":"1","T":1,"m":true})"),
            RejectReason::kUnknownSymbol);
  EXPECT_NE(both(head + R"("p":"1","q":"1","T":1,"m":tru})"), RejectReason::kNone);
  EXPECT_EQ(both(R"({"u":5,"s":"BTCUSDT","b":"1","B":"1","a":"2"})"), RejectReason::kMissingField);
  EXPECT_EQ(both(R"({"u":5,"s":"BTCUSDT","b":"1","B":"1","a":"2","A":true})"),
            RejectReason::kWrongType);
  const Trade fast = trade(head + R"("p":"2.5","q":"1","T":1000,"m":true})");
  const Trade general = trade(" " + head + R"("p":"2.5","q":"1","T":1000,"m":true})");
  EXPECT_EQ(fast.price, general.price);
  EXPECT_EQ(fast.trade_id, general.trade_id);
}

// parse_padded reads the frame where it lies; what follows it in the buffer must never count.
TEST_F(BinanceHotPath, shouldParseInPlaceAndNeverReadTheBufferPastTheFrame) {
  const std::string frame(kOrdered);
  std::string buffer = frame + std::string(kFramePadding, 'x');
  Collect out;
  ParseResult r =
      parser.parse_padded(std::string_view(buffer).substr(0, frame.size()), buffer.size(), 5, out);
  ASSERT_TRUE(r.ok()) << to_string(r.reject);
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].as<Trade>().price, trade(frame).price);

  // A truncated kline whose last value the old frame's bytes would complete ("x":fal + "se}}").
  const std::string kline =
      R"({"e":"kline","E":1,"s":"BTCUSDT","k":{"t":60000,"T":119999,"s":"BTCUSDT","i":"1m",)"
      R"("o":"1","c":"1","h":"1","l":"1","v":"1","n":1,"x":false}})";
  const std::size_t cut = kline.size() - 4;  // ends in "x":fal
  std::string reused = kline + std::string(kFramePadding, ' ');
  out.events.clear();
  r = parser.parse_padded(std::string_view(reused).substr(0, cut), reused.size(), 5, out);
  EXPECT_FALSE(r.ok()) << "a truncated frame must not be completed from the buffer's tail";
  EXPECT_TRUE(out.events.empty());
  out.events.clear();
  r = parser.parse_padded(kline, kline.size(), 5, out);  // no padding: the copying path
  EXPECT_TRUE(r.ok()) << to_string(r.reject);
}

TEST_F(BinanceHotPath, shouldSeeNewScalesOfACachedSymbol) {
  const std::string frame =
      R"({"e":"trade","E":1,"s":"BTCUSDT","t":7,"p":"2.5","q":"1.25","T":1000,"m":false})";
  EXPECT_EQ(trade(frame).price, 250'000'000);
  symbols.add("BTCUSDT", InstrumentScales{2, 2});
  const Trade t = trade(frame);
  EXPECT_EQ(t.price, 250);
  EXPECT_EQ(t.quantity, 125);
}

}  // namespace
}  // namespace be::feed
