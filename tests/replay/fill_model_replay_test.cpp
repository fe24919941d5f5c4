// The fill models end to end: a deployment's `paper.fill_model` reaches the paper venue of a
// backtest over a capture, and a grid's buy resting at the bid behind 5.0 BTC is filled by a
// 1.0 trade at its price only in the optimistic model; the queue model fills 0.2 of it when a
// further 4.2 trades (5.0 - 1.0 ahead, 0.2 beyond).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/json_config.hpp"
#include "replay/backtest.hpp"
#include "replay/capture_replay.hpp"
#include "tests/replay/generated_capture.hpp"

namespace {

using namespace be;
using be::test::kStart;
using be::test::seconds_text;

std::string book_line(Nanos t) {
  return seconds_text(t) +
         R"(: {"stream":"btcusdt@bookTicker","data":{"u":1,"s":"BTCUSDT","b":"50000.00",)"
         R"("B":"5.0","a":"50001.00","A":"5.0"}})"
         "\n";
}

std::string trade_line(Nanos t, int id, const char* price, const char* qty) {
  return seconds_text(t) + R"(: {"stream":"btcusdt@trade","data":{"e":"trade","E":)" +
         std::to_string(t / 1'000'000) + R"(,"s":"BTCUSDT","t":)" + std::to_string(id) +
         R"(,"p":")" + price + R"(","q":")" + qty + R"(","T":)" + std::to_string(t / 1'000'000) +
         R"(,"m":true,"M":true}})"
         "\n";
}

// Trades at 50000.50 for a minute (the grid starts on its first closed 1m bar, above its
// 50000 level), the book at 50000.00 x 5.0 / 50001.00 x 5.0, then 1.0 and 4.2 at 50000.00.
std::string capture_text() {
  std::string text = "wss://stream.binance.com:9443/stream <-> " + seconds_text(kStart) + "\n";
  text += book_line(kStart + 500'000'000);
  int id = 1;
  for (Nanos s = 1; s <= 70; s += 3)
    text += trade_line(kStart + s * 1'000'000'000, id++, "50000.50", "0.01");
  text += book_line(kStart + 75'000'000'000);
  text += trade_line(kStart + 80'000'000'000, id++, "50000.00", "1.0");
  text += trade_line(kStart + 85'000'000'000, id++, "50000.00", "4.2");
  return text;
}

struct Fill {
  std::string price, quantity;
};

std::vector<Fill> fills_at_the_level(const char* model) {
  auto file = replay::CaptureFile::from_text(capture_text(), feed::Venue::kBinance);
  auto config = engine::parse_engine_config(
      std::string(R"({"instruments":[{"symbol":"BTCUSDT","base":"BTC","quote":"USDT"}],)") +
      R"("paper":{"balances":{"USDT":"100000"},"fill_model":")" + model + R"("}})");
  EXPECT_TRUE(config) << (config ? "" : config::format_errors(config.error()));
  replay::Backtest backtest(
      *config,
      {R"({"name":"grid","symbol":"BTCUSDT","timeframe":"1m","strategy":{"type":"grid",)"
       R"("parameters":{"lower":49000,"upper":51000,"grids":2,"quantity_per_grid":0.5}}})"},
      true);
  auto stats = replay::feed_capture(*file, feed::Venue::kBinance, *config,
                                    [&backtest](const Event& e) { backtest.market(e); });
  EXPECT_TRUE(stats) << (stats ? "" : stats.error());
  auto report = config::parse(backtest.report_json());
  EXPECT_TRUE(report);
  std::vector<Fill> out;
  for (const config::Value& f : report->find("fills")->items) {
    if (f.find("price")->text == "50000.00000000")
      out.push_back({f.find("price")->text, f.find("quantity")->text});
  }
  return out;
}

TEST(FillModelReplay, shouldFillTheGridsBuyAtTheBidOnlyAfterItsQueueHasTraded) {
  const auto optimistic = fills_at_the_level("optimistic");
  ASSERT_EQ(optimistic.size(), 1u);
  EXPECT_EQ(optimistic[0].quantity, "0.50000000");  // the 1.0 trade fills all 0.5 at once
  const auto queue = fills_at_the_level("queue");
  ASSERT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue[0].quantity, "0.20000000");  // 1.0 + 4.2 traded, 5.0 was ahead
}

}  // namespace
