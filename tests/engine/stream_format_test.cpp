// engine/format.cpp's stream items: every item opens with its seq and its event time in the
// API's one time spelling (docs/API.md "Times"): RFC 3339 text and the exact nanoseconds as a
// string, so a JavaScript client holds the time exactly.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/event.hpp"
#include "engine/engine.hpp"
#include "engine/format.hpp"

namespace be::engine {
namespace {

InstrumentTable one_instrument() {
  InstrumentSpec btc;
  btc.symbol = "BTCUSDT";
  btc.base = "BTC";
  btc.quote = "USDT";
  btc.price_scale = 2;
  btc.qty_scale = 8;
  return InstrumentTable(std::vector<InstrumentSpec>{btc});
}

TEST(StreamFormat, shouldWriteTheEventTimeAsTextAndExactNanosecondString) {
  const InstrumentTable table = one_instrument();
  Trade trade;
  trade.instrument = InstrumentId{0};
  trade.price = 4'999'000;
  trade.quantity = 100'000;
  // Beyond 2^53: a JSON number would come out of JavaScript's JSON.parse as ...456768.
  Event e = Event::make(trade, 1'796'592'300'123'456'789, 1'796'592'300'123'456'999);
  e.header.sequence = 1042;
  EXPECT_EQ(
      stream_json(e, table),
      R"({"seq":1042,"time":"2026-12-06T21:25:00.123456789Z","time_ns":"1796592300123456789",)"
      R"("type":"price","symbol":"BTCUSDT","price":"49990.00","quantity":"0.00100000"})");
}

TEST(StreamFormat, shouldWriteTimesBefore1970AndAtTheEpochWithNineDigits) {
  const InstrumentTable table = one_instrument();
  BotStatus status;
  status.bot = BotId{3};
  status.from = BotState::kStopped;
  status.to = BotState::kRunning;
  Event e = Event::make(status, 0, 0);
  e.header.sequence = 7;
  EXPECT_EQ(stream_json(e, table),
            R"({"seq":7,"time":"1970-01-01T00:00:00.000000000Z","time_ns":"0",)"
            R"("type":"bot_status","bot":3,"from":"stopped","to":"running"})");
  e = Event::make(status, -1, -1);
  e.header.sequence = 8;
  EXPECT_EQ(stream_json(e, table),
            R"({"seq":8,"time":"1969-12-31T23:59:59.999999999Z","time_ns":"-1",)"
            R"("type":"bot_status","bot":3,"from":"stopped","to":"running"})");
}

}  // namespace
}  // namespace be::engine
