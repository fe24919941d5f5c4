// Field-by-field checks of one hand-verified message per kind. Capture lines are found in
// $BE_SHARED_DATA by their receive time; every expected value below was read off that line
// by hand (the line is quoted in the comment). Kinds absent from the captures (Binance raw
// trade, Coinbase heartbeat/error, Kraken v2, the "r" republish flag) use messages written
// from the venues' documentation.
#include <gtest/gtest.h>

#include "feed/binance.hpp"
#include "feed/capture.hpp"
#include "feed/coinbase.hpp"
#include "feed/kraken.hpp"
#include "tests/feed/capture_files.hpp"
#include "tests/support/expect_payloads.hpp"

namespace be::feed {
namespace {

using test::Collect;
using test::find_line;

constexpr Nanos kRecv = 1'700'000'000'000'000'000;  // a receive time the parsers pass through
constexpr std::uint16_t kSource = 1;                // VenueId{1} below

// `line` must outlive the record: the record's views point into it.
CaptureRecord record_of(const std::string& line) {
  const auto r = parse_capture_line(line);
  EXPECT_TRUE(r.has_value()) << line;
  return r ? *r : CaptureRecord{};
}

// The first steps of every capture-line test: find the line of `file` that starts with
// `prefix`, parse it into `out`, and expect it to parse as `kind`. The caller still ASSERTs
// r.ok() before reading what was emitted.
template <class Parser>
ParseResult parse_capture(Parser& parser, Collect& out, const std::string& dir, const char* file,
                          const char* prefix, MessageKind kind) {
  const std::string line = find_line(dir, file, prefix);
  const CaptureRecord rec = record_of(line);
  const ParseResult r = parser.parse(rec.payload, rec.receive_time, out);
  EXPECT_TRUE(r.ok()) << to_string(r.reject);
  EXPECT_EQ(r.kind, kind);
  return r;
}

class BinanceFields : public ::testing::Test {
 protected:
  SymbolTable symbols{UnknownSymbolPolicy::kReject};
  InstrumentId nkn = symbols.add("NKNUSDT");
  BinanceParser parser{VenueId{kSource}, symbols};
  Collect out;
};

TEST_F(BinanceFields, shouldMapCombinedDepthUpdateLevelByLevel) {
  BE_REQUIRE_CAPTURES(dir);
  // 1633998512.564785: {"stream":"nknusdt@depth@100ms","data":{"e":"depthUpdate",
  //  "E":1633998512568,"s":"NKNUSDT","U":499869753,"u":499869754,
  //  "b":[["0.35170000","4265.00000000"]],"a":[["0.35290000","10968.00000000"]]}}
  const std::string line = find_line(dir, "BINANCE.ws.1.0", "1633998512.564785: ");
  const auto rec = record_of(line);
  EXPECT_EQ(rec.receive_time, 1633998512564785000);
  const ParseResult r = parser.parse(rec.payload, rec.receive_time, out);
  ASSERT_TRUE(r.ok()) << to_string(r.reject);
  EXPECT_EQ(r.kind, MessageKind::kBinanceDepthUpdate);
  ASSERT_EQ(r.events, 2u);
  ASSERT_EQ(out.events.size(), 2u);
  for (const Event& e : out.events) {
    ASSERT_TRUE(e.is<BookDelta>());
    EXPECT_EQ(e.header.event_time, 1633998512568 * 1'000'000);
    EXPECT_EQ(e.header.receive_time, 1633998512564785000);
    EXPECT_EQ(e.header.source, kSource);
  }
  const auto bid = out.events[0].as<BookDelta>();
  EXPECT_EQ(bid.instrument, nkn);
  EXPECT_EQ(bid.side, Side::kBuy);
  EXPECT_EQ(bid.price, 35170000);
  EXPECT_EQ(bid.quantity, 426500000000);
  EXPECT_EQ(bid.first_update_id, 499869753u);
  EXPECT_EQ(bid.last_update_id, 499869754u);
  EXPECT_EQ(bid.flags, BookDelta::kNone);
  const auto ask = out.events[1].as<BookDelta>();
  EXPECT_EQ(ask.side, Side::kSell);
  EXPECT_EQ(ask.price, 35290000);
  EXPECT_EQ(ask.quantity, 1096800000000);
  EXPECT_EQ(ask.flags, BookDelta::kEndOfUpdate);
}

TEST_F(BinanceFields, shouldMapBookTickerToQuote) {
  BE_REQUIRE_CAPTURES(dir);
  // 1633998513.377805: {"stream":"nknusdt@bookTicker","data":{"u":499869768,"s":"NKNUSDT",
  //  "b":"0.35210000","B":"672.00000000","a":"0.35260000","A":"3199.00000000"}}
  const ParseResult r = parse_capture(parser, out, dir, "BINANCE.ws.1.0",
                                      "1633998513.377805: ", MessageKind::kBinanceBookTicker);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(out.events.size(), 1u);
  const auto q = out.events[0].as<Quote>();
  EXPECT_EQ(q.instrument, nkn);
  EXPECT_EQ(q.update_id, 499869768u);
  EXPECT_EQ(q.bid_price, 35210000);
  EXPECT_EQ(q.bid_quantity, 67200000000);
  EXPECT_EQ(q.ask_price, 35260000);
  EXPECT_EQ(q.ask_quantity, 319900000000);
  // No exchange time on the spot bookTicker: event time is the receive time.
  EXPECT_EQ(out.events[0].header.event_time, 1633998513377805000);
}

TEST_F(BinanceFields, shouldMapKlineToBar) {
  BE_REQUIRE_CAPTURES(dir);
  // 1633998523.9572978: {"stream":"nknusdt@kline_1m","data":{"e":"kline","E":1633998523963,
  //  "s":"NKNUSDT","k":{"t":1633998480000,"T":1633998539999,"s":"NKNUSDT","i":"1m",
  //  "f":19862761,"L":19862790,"o":"0.35270000","c":"0.35280000","h":"0.35280000",
  //  "l":"0.35220000","v":"25877.00000000","n":30,"x":false,...}}}
  const ParseResult r = parse_capture(parser, out, dir, "BINANCE.ws.1.0",
                                      "1633998523.9572978: ", MessageKind::kBinanceKline);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(out.events.size(), 1u);
  be::test::expect_bar(out.events[0].as<Bar>(), {.instrument = nkn,
                                                 .interval_seconds = 60,
                                                 .open_time = 1633998480000 * 1'000'000,
                                                 .open = 35270000,
                                                 .high = 35280000,
                                                 .low = 35220000,
                                                 .close = 35280000,
                                                 .volume = 2587700000000,
                                                 .trade_count = 30,
                                                 .closed = 0});
  EXPECT_EQ(out.events[0].header.event_time, 1633998523963 * 1'000'000);
}

TEST_F(BinanceFields, shouldMapAggTradeWithTakerSide) {
  BE_REQUIRE_CAPTURES(dir);
  // 1633998523.957215: {"stream":"nknusdt@aggTrade","data":{"e":"aggTrade","E":1633998523963,
  //  "s":"NKNUSDT","a":15683430,"p":"0.35280000","q":"58.00000000","f":19862790,
  //  "l":19862790,"T":1633998523963,"m":false,"M":true}}
  const ParseResult r = parse_capture(parser, out, dir, "BINANCE.ws.1.0",
                                      "1633998523.957215: ", MessageKind::kBinanceAggTrade);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(out.events.size(), 1u);
  const auto t = out.events[0].as<Trade>();
  EXPECT_EQ(t.instrument, nkn);
  EXPECT_EQ(t.trade_id, 15683430u);
  EXPECT_EQ(t.price, 35280000);
  EXPECT_EQ(t.quantity, 5800000000);
  EXPECT_EQ(t.aggressor, Side::kBuy);  // m=false: the buyer took liquidity
  EXPECT_EQ(out.events[0].header.event_time, 1633998523963 * 1'000'000);
}

TEST_F(BinanceFields, shouldMapRawTradeFromDocumentation) {
  // Binance's documented raw-stream trade (buyer is maker -> the taker sold).
  const std::string frame =
      R"({"e":"trade","E":1672515782136,"s":"NKNUSDT","t":12345,"p":"0.00100000",)"
      R"("q":"100.00000000","T":1672515782134,"m":true,"M":true})";
  const ParseResult r = parser.parse(frame, kRecv, out);
  ASSERT_TRUE(r.ok()) << to_string(r.reject);
  EXPECT_EQ(r.kind, MessageKind::kBinanceTrade);
  const auto t = out.events.at(0).as<Trade>();
  EXPECT_EQ(t.trade_id, 12345u);
  EXPECT_EQ(t.price, 100000);
  EXPECT_EQ(t.quantity, 10000000000);
  EXPECT_EQ(t.aggressor, Side::kSell);
  EXPECT_EQ(out.events[0].header.event_time, 1672515782134 * 1'000'000);
}

TEST_F(BinanceFields, shouldCountSubscriptionResponseAsControl) {
  const ParseResult r = parser.parse(R"({"result":null,"id":1})", kRecv, out);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.kind, MessageKind::kBinanceResponse);
  EXPECT_TRUE(out.events.empty());
}

TEST_F(BinanceFields, shouldMapRestDepthSnapshotWithSnapshotFlags) {
  BE_REQUIRE_CAPTURES(dir);
  // https://api.binance.com/api/v3/depth?symbol=NKNUSDT&limit=1000 -> 1633998512.320639:
  //  {"lastUpdateId":499869752,"bids":[["0.35210000","672.00000000"],...609 bids],
  //   "asks":[["0.35250000","3959.00000000"],... 1000 asks, last ["0.55060000","14418..."]]}
  const std::string line =
      find_line(dir, "BINANCE.http.0.0", "https://api.binance.com/api/v3/depth?symbol=NKNUSDT");
  const auto rec = record_of(line);
  ASSERT_EQ(rec.kind, CaptureLineKind::kHttp);
  BinanceParser rest(VenueId{kSource}, symbols, kRestLimits);
  const ParseResult r = rest.parse_depth_snapshot(rec.payload, "NKNUSDT", rec.receive_time, out);
  ASSERT_TRUE(r.ok()) << to_string(r.reject);
  EXPECT_EQ(r.kind, MessageKind::kBinanceDepthSnapshot);
  ASSERT_EQ(out.events.size(), 609u + 1000u);
  const auto first = out.events.front().as<BookDelta>();
  EXPECT_EQ(first.side, Side::kBuy);
  EXPECT_EQ(first.price, 35210000);
  EXPECT_EQ(first.quantity, 67200000000);
  EXPECT_EQ(first.flags, BookDelta::kSnapshot);
  EXPECT_EQ(first.first_update_id, 499869752u);
  EXPECT_EQ(first.last_update_id, 499869752u);
  const auto first_ask = out.events[609].as<BookDelta>();
  EXPECT_EQ(first_ask.side, Side::kSell);
  EXPECT_EQ(first_ask.price, 35250000);
  EXPECT_EQ(first_ask.quantity, 395900000000);
  const auto last = out.events.back().as<BookDelta>();
  EXPECT_EQ(last.price, 55060000);
  EXPECT_EQ(last.quantity, 1441800000000);
  EXPECT_EQ(last.flags, BookDelta::kSnapshot | BookDelta::kEndOfUpdate);
}

class CoinbaseFields : public ::testing::Test {
 protected:
  SymbolTable symbols{UnknownSymbolPolicy::kReject};
  InstrumentId band = symbols.add("BAND-GBP");
  InstrumentId skl = symbols.add("SKL-BTC");
  CoinbaseParser parser{VenueId{kSource}, symbols};
  Collect out;
};

TEST_F(CoinbaseFields, shouldMapTickerToQuote) {
  BE_REQUIRE_CAPTURES(dir);
  // 1618677817.079694: {"type":"ticker","sequence":333938798,"product_id":"BAND-GBP",
  //  "price":"14.7775",...,"best_bid":"14.7550","best_ask":"14.8060","side":"buy",
  //  "time":"2021-04-17T16:43:30.244075Z","trade_id":881613,"last_size":"0.04"}
  const ParseResult r = parse_capture(parser, out, dir, "COINBASE.ws.28.0",
                                      "1618677817.079694: ", MessageKind::kCoinbaseTicker);
  ASSERT_TRUE(r.ok());
  const auto q = out.events.at(0).as<Quote>();
  EXPECT_EQ(q.instrument, band);
  EXPECT_EQ(q.update_id, 333938798u);
  EXPECT_EQ(q.bid_price, 1475500000);
  EXPECT_EQ(q.ask_price, 1480600000);
  EXPECT_EQ(q.bid_quantity, 0);  // the 2021 feed had no best_bid_size
  EXPECT_EQ(out.events[0].header.event_time, 1618677810244075000);
}

TEST_F(CoinbaseFields, shouldMapMatchWithTakerOppositeToMakerSide) {
  BE_REQUIRE_CAPTURES(dir);
  // 1618677817.1295161: {"type":"match","trade_id":280232,...,"side":"sell","size":"985",
  //  "price":"0.00001305","product_id":"SKL-BTC","sequence":177100030,
  //  "time":"2021-04-17T16:43:37.089723Z"}
  const ParseResult r = parse_capture(parser, out, dir, "COINBASE.ws.28.0",
                                      "1618677817.1295161: ", MessageKind::kCoinbaseMatch);
  ASSERT_TRUE(r.ok());
  const auto t = out.events.at(0).as<Trade>();
  EXPECT_EQ(t.instrument, skl);
  EXPECT_EQ(t.trade_id, 280232u);
  EXPECT_EQ(t.price, 1305);
  EXPECT_EQ(t.quantity, 98500000000);
  EXPECT_EQ(t.aggressor, Side::kBuy);  // the maker sold
  EXPECT_EQ(out.events[0].header.event_time, 1618677817089723000);
}

TEST_F(CoinbaseFields, shouldMapLastMatchLikeMatch) {
  BE_REQUIRE_CAPTURES(dir);
  // 1618677817.079762: {"type":"last_match","trade_id":881613,...,"side":"sell",
  //  "size":"0.04","price":"14.7775","product_id":"BAND-GBP",...,
  //  "time":"2021-04-17T16:43:30.244075Z"}
  const ParseResult r = parse_capture(parser, out, dir, "COINBASE.ws.28.0",
                                      "1618677817.079762: ", MessageKind::kCoinbaseLastMatch);
  ASSERT_TRUE(r.ok());
  const auto t = out.events.at(0).as<Trade>();
  EXPECT_EQ(t.instrument, band);
  EXPECT_EQ(t.trade_id, 881613u);
  EXPECT_EQ(t.price, 1477750000);
  EXPECT_EQ(t.quantity, 4000000);
  EXPECT_EQ(t.aggressor, Side::kBuy);
}

TEST_F(CoinbaseFields, shouldMapL2UpdateChanges) {
  BE_REQUIRE_CAPTURES(dir);
  // 1618677817.118783: {"type":"l2update","product_id":"SKL-BTC",
  //  "changes":[["sell","0.00001306","660.5"]],"time":"2021-04-17T16:43:37.075687Z"}
  const ParseResult r = parse_capture(parser, out, dir, "COINBASE.ws.28.0",
                                      "1618677817.118783: ", MessageKind::kCoinbaseL2Update);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(out.events.size(), 1u);
  const auto d = out.events[0].as<BookDelta>();
  EXPECT_EQ(d.instrument, skl);
  EXPECT_EQ(d.side, Side::kSell);
  EXPECT_EQ(d.price, 1306);
  EXPECT_EQ(d.quantity, 66050000000);
  EXPECT_EQ(d.flags, BookDelta::kEndOfUpdate);
  EXPECT_EQ(out.events[0].header.event_time, 1618677817075687000);
}

TEST_F(CoinbaseFields, shouldMapSnapshotBidsThenAsks) {
  BE_REQUIRE_CAPTURES(dir);
  // 1618677817.077736: {"type":"snapshot","product_id":"BAND-GBP","asks":[["14.8024","12.77"],
  //  ... 166 asks],"bids":[["14.7693","27.51"], ... 152 bids, last ["0.1000","1863.16"]]}
  const ParseResult r = parse_capture(parser, out, dir, "COINBASE.ws.28.0",
                                      "1618677817.077736: ", MessageKind::kCoinbaseSnapshot);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(out.events.size(), 152u + 166u);
  const auto best_bid = out.events[0].as<BookDelta>();
  EXPECT_EQ(best_bid.side, Side::kBuy);
  EXPECT_EQ(best_bid.price, 1476930000);
  EXPECT_EQ(best_bid.quantity, 2751000000);
  EXPECT_EQ(best_bid.flags, BookDelta::kSnapshot);
  const auto worst_bid = out.events[151].as<BookDelta>();
  EXPECT_EQ(worst_bid.price, 10000000);
  EXPECT_EQ(worst_bid.quantity, 186316000000);
  const auto best_ask = out.events[152].as<BookDelta>();
  EXPECT_EQ(best_ask.side, Side::kSell);
  EXPECT_EQ(best_ask.price, 1480240000);
  EXPECT_EQ(best_ask.quantity, 1277000000);
  EXPECT_EQ(out.events.back().as<BookDelta>().flags,
            BookDelta::kSnapshot | BookDelta::kEndOfUpdate);
}

TEST_F(CoinbaseFields, shouldCountHeartbeatSubscriptionsAndErrorAsControl) {
  const ParseResult hb = parser.parse(
      R"({"type":"heartbeat","sequence":90,"last_trade_id":20,"product_id":"BAND-GBP",)"
      R"("time":"2014-11-07T08:19:28.464459Z"})",
      kRecv, out);
  EXPECT_TRUE(hb.ok());
  EXPECT_EQ(hb.kind, MessageKind::kCoinbaseHeartbeat);
  const ParseResult err = parser.parse(
      R"({"type":"error","message":"error message","reason":"Failed to subscribe"})", kRecv, out);
  EXPECT_TRUE(err.ok());
  EXPECT_EQ(err.kind, MessageKind::kCoinbaseError);
  EXPECT_TRUE(out.events.empty());
  EXPECT_EQ(parser.stats().by_kind[static_cast<std::size_t>(MessageKind::kCoinbaseError)], 1u);
}

class KrakenFields : public ::testing::Test {
 protected:
  SymbolTable symbols{UnknownSymbolPolicy::kReject};
  InstrumentId waves = symbols.add("WAVES/EUR");
  InstrumentId xmr = symbols.add("XMR/USD");
  InstrumentId sc = symbols.add("SC/EUR");
  InstrumentId ada = symbols.add("ADA/XBT");
  InstrumentId btc = symbols.add("BTC/USD");
  KrakenParser parser{VenueId{kSource}, symbols};
  Collect out;
};

TEST_F(KrakenFields, shouldMapV1TickerToQuoteWithLotVolumes) {
  BE_REQUIRE_CAPTURES(dir);
  // 1618678132.9496498: [1668,{"a":["13.253900",35,"35.72892241"],
  //  "b":["13.232900",185,"185.18432037"],...},"ticker","WAVES/EUR"]
  const ParseResult r = parse_capture(parser, out, dir, "KRAKEN.ws.49.0",
                                      "1618678132.9496498: ", MessageKind::kKrakenTicker);
  ASSERT_TRUE(r.ok());
  const auto q = out.events.at(0).as<Quote>();
  EXPECT_EQ(q.instrument, waves);
  EXPECT_EQ(q.ask_price, 1325390000);
  EXPECT_EQ(q.ask_quantity, 3572892241);
  EXPECT_EQ(q.bid_price, 1323290000);
  EXPECT_EQ(q.bid_quantity, 18518432037);
}

TEST_F(KrakenFields, shouldMapV1TradeArrayToOneTradeEach) {
  BE_REQUIRE_CAPTURES(dir);
  // 1618678150.8565571: [993,[["354.04000000","0.28245396","1618678150.826417","s","m",""],
  //  ["353.81000000","1.71754604","1618678150.827816","s","m",""]],"trade","XMR/USD"]
  const ParseResult r = parse_capture(parser, out, dir, "KRAKEN.ws.48.0",
                                      "1618678150.8565571: ", MessageKind::kKrakenTrade);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(out.events.size(), 2u);
  const auto t0 = out.events[0].as<Trade>();
  EXPECT_EQ(t0.instrument, xmr);
  EXPECT_EQ(t0.price, 35404000000);
  EXPECT_EQ(t0.quantity, 28245396);
  EXPECT_EQ(t0.aggressor, Side::kSell);
  EXPECT_EQ(out.events[0].header.event_time, 1618678150826417000);
  const auto t1 = out.events[1].as<Trade>();
  EXPECT_EQ(t1.price, 35381000000);
  EXPECT_EQ(t1.quantity, 171754604);
  EXPECT_EQ(out.events[1].header.event_time, 1618678150827816000);
}

TEST_F(KrakenFields, shouldMapV1BookSnapshotAsAndBs) {
  BE_REQUIRE_CAPTURES(dir);
  // 1618678133.626511: [1360,{"as":[["0.000022900","13355.87450757","1618678123.481570"],
  //  ... 841 asks],"bs":[["0.000022890","31.75709827","1618678097.847309"], ... 707 bids]},
  //  "book-1000","ADA/XBT"]   (79 KB: over the 64 KiB message limit, allowed as a snapshot)
  const std::string line = find_line(dir, "KRAKEN.ws.50.0", "1618678133.626511: ");
  const auto rec = record_of(line);
  ASSERT_GT(rec.payload.size(), ParserLimits{}.max_message_bytes);
  const ParseResult r = parser.parse(rec.payload, rec.receive_time, out);
  ASSERT_TRUE(r.ok()) << to_string(r.reject);
  EXPECT_EQ(r.kind, MessageKind::kKrakenBookSnapshot);
  ASSERT_EQ(out.events.size(), 841u + 707u);
  const auto a0 = out.events[0].as<BookDelta>();
  EXPECT_EQ(a0.instrument, ada);
  EXPECT_EQ(a0.side, Side::kSell);
  EXPECT_EQ(a0.price, 2290);
  EXPECT_EQ(a0.quantity, 1335587450757);
  EXPECT_EQ(a0.flags, BookDelta::kSnapshot);
  EXPECT_EQ(out.events[0].header.event_time, 1618678123481570000);
  const auto b0 = out.events[841].as<BookDelta>();
  EXPECT_EQ(b0.side, Side::kBuy);
  EXPECT_EQ(b0.price, 2289);
  EXPECT_EQ(b0.quantity, 3175709827);
  EXPECT_EQ(out.events.back().as<BookDelta>().flags,
            BookDelta::kSnapshot | BookDelta::kEndOfUpdate);
}

TEST_F(KrakenFields, shouldMapV1BookUpdateSplitOverTwoObjects) {
  BE_REQUIRE_CAPTURES(dir);
  // 1618678145.9513211: [1920,{"a":[["0.042990","364630.28272081","1618678145.920470"]]},
  //  {"b":[["0.042990","0.00000000","1618678145.920708"]],"c":"4105471083"},
  //  "book-1000","SC/EUR"]
  const ParseResult r = parse_capture(parser, out, dir, "KRAKEN.ws.50.0",
                                      "1618678145.9513211: ", MessageKind::kKrakenBookUpdate);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(out.events.size(), 2u);
  const auto a = out.events[0].as<BookDelta>();
  EXPECT_EQ(a.instrument, sc);
  EXPECT_EQ(a.side, Side::kSell);
  EXPECT_EQ(a.price, 4299000);
  EXPECT_EQ(a.quantity, 36463028272081);
  EXPECT_EQ(a.flags, BookDelta::kNone);
  EXPECT_EQ(out.events[0].header.event_time, 1618678145920470000);
  const auto b = out.events[1].as<BookDelta>();
  EXPECT_EQ(b.side, Side::kBuy);
  EXPECT_EQ(b.price, 4299000);
  EXPECT_EQ(b.quantity, 0);
  EXPECT_EQ(b.flags, BookDelta::kEndOfUpdate);
}

TEST_F(KrakenFields, shouldApplyRepublishedLevelsAndCountThem) {
  // Kraken's documented republish form: a fourth element "r".
  const ParseResult r = parser.parse(
      R"([1234,{"a":[["5541.30000","2.50700000","1534614248.456738","r"],)"
      R"(["5542.50000","0.40100000","1534614248.456738"]],"c":"974942666"},"book-10","BTC/USD"])",
      kRecv, out);
  ASSERT_TRUE(r.ok()) << to_string(r.reject);
  ASSERT_EQ(out.events.size(), 2u);
  EXPECT_EQ(out.events[0].as<BookDelta>().price, 554130000000);
  EXPECT_EQ(out.events[0].as<BookDelta>().instrument, btc);
  EXPECT_EQ(parser.republished_levels(), 1u);
}

TEST_F(KrakenFields, shouldMapV2TickerWithJsonNumbersExactly) {
  // Kraken v2 documentation's ticker (prices are JSON numbers: converted without a double).
  const ParseResult r = parser.parse(
      R"({"channel":"ticker","type":"snapshot","data":[{"symbol":"BTC/USD","bid":7343.5,)"
      R"("bid_qty":0.00123,"ask":7344.1,"ask_qty":1.5e-3,"last":7343.6,"volume":2.4,)"
      R"("vwap":7340.2,"low":7200.0,"high":7400.0,"change":10.0,"change_pct":0.14}]})",
      kRecv, out);
  ASSERT_TRUE(r.ok()) << to_string(r.reject);
  EXPECT_EQ(r.kind, MessageKind::kKrakenV2Ticker);
  const auto q = out.events.at(0).as<Quote>();
  EXPECT_EQ(q.instrument, btc);
  EXPECT_EQ(q.bid_price, 734350000000);
  EXPECT_EQ(q.bid_quantity, 123000);
  EXPECT_EQ(q.ask_price, 734410000000);
  EXPECT_EQ(q.ask_quantity, 150000);  // 1.5e-3 exactly
  EXPECT_EQ(out.events[0].header.event_time, kRecv);
}

TEST_F(KrakenFields, shouldMapV2TradeWithTakerSideAndId) {
  const ParseResult r = parser.parse(
      R"({"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"sell",)"
      R"("price":26597.2,"qty":0.0012,"ord_type":"market","trade_id":4665846,)"
      R"("timestamp":"2023-09-25T07:49:37.708706Z"}]})",
      kRecv, out);
  ASSERT_TRUE(r.ok()) << to_string(r.reject);
  EXPECT_EQ(r.kind, MessageKind::kKrakenV2Trade);
  const auto t = out.events.at(0).as<Trade>();
  EXPECT_EQ(t.price, 2659720000000);
  EXPECT_EQ(t.quantity, 120000);
  EXPECT_EQ(t.trade_id, 4665846u);
  EXPECT_EQ(t.aggressor, Side::kSell);
  EXPECT_EQ(out.events[0].header.event_time, 1695628177708706000);
}

TEST_F(KrakenFields, shouldCountControlObjectsOfBothVersions) {
  for (
      const char* frame :
      {R"({"event":"heartbeat"})", R"({"channel":"heartbeat"})",
       R"({"method":"subscribe","result":{"channel":"ticker","symbol":"BTC/USD"},"success":true})"}) {
    const ParseResult r = parser.parse(frame, kRecv, out);
    EXPECT_TRUE(r.ok()) << frame;
    EXPECT_TRUE(is_control(r.kind)) << frame;
  }
  EXPECT_TRUE(out.events.empty());
}

}  // namespace
}  // namespace be::feed
