// Every line of every shared capture goes through the real parsers: nothing may be rejected.
// Control messages (subscription acks, heartbeats, status) are accepted and counted as such.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "feed/capture.hpp"
#include "feed/dispatcher.hpp"
#include "tests/feed/capture_files.hpp"

namespace be::feed {
namespace {

struct CaptureRun {
  FeedStats stats;
  std::uint64_t parsed = 0;
  std::uint64_t events = 0;
  std::uint64_t skipped_http = 0;
  std::uint64_t bad_lines = 0;
  std::string first_reject;  // "line N: reason: payload prefix"
};

CaptureRun run_capture(const std::string& path) {
  TextCaptureReader reader;
  std::string error;
  EXPECT_TRUE(reader.open(path, error)) << error;
  CaptureDispatcher dispatcher(UnknownSymbolPolicy::kAutoIntern);
  CaptureRun run;
  CaptureRecord record;
  auto count = [&run](const Event&) { ++run.events; };
  while (reader.next(record)) {
    const auto result = dispatcher.dispatch(reader.venue(), record, count);
    if (!result) continue;
    ++run.parsed;
    if (!result->ok() && run.first_reject.empty()) {
      run.first_reject = "line " + std::to_string(reader.lines()) + ": " +
                         std::string(to_string(result->reject)) + ": " +
                         std::string(record.payload.substr(0, 200));
    }
  }
  run.stats = dispatcher.stats();
  run.skipped_http = dispatcher.skipped_http();
  run.bad_lines = reader.bad_lines();
  return run;
}

std::uint64_t kind(const CaptureRun& run, MessageKind k) {
  return run.stats.by_kind[static_cast<std::size_t>(k)];
}

class CaptureConformance : public ::testing::TestWithParam<const char*> {};

TEST_P(CaptureConformance, shouldParseEveryMessageWithoutReject) {
  BE_REQUIRE_CAPTURES(dir);
  const CaptureRun run = run_capture(dir + "/" + GetParam());
  EXPECT_EQ(run.bad_lines, 0u);
  EXPECT_EQ(run.stats.rejected(), 0u) << run.first_reject;
  EXPECT_EQ(run.stats.accepted(), run.parsed);
  EXPECT_GT(run.parsed + run.skipped_http, 0u);
  EXPECT_EQ(run.stats.events, run.events);
}

INSTANTIATE_TEST_SUITE_P(AllCaptures, CaptureConformance,
                         ::testing::Values("BINANCE.ws.1.0", "BINANCE_US.ws.1.0",
                                           "BINANCE.http.0.0", "BINANCE.0", "COINBASE.ws.28.0",
                                           "COINBASE.0", "KRAKEN.0", "KRAKEN.ws.48.0",
                                           "KRAKEN.ws.49.0", "KRAKEN.ws.50.0"));

// The per-kind counts were taken with grep over the raw files (see docs/FEEDS.md), so a
// parser that silently classified a message as something else would show here. A count is
// exact, or (more_than) a floor where the file holds too many to count by hand.
struct KindCount {
  MessageKind kind;
  std::uint64_t count;
  bool more_than = false;
};
struct CaptureCensus {
  const char* file;
  std::vector<KindCount> kinds;
};

const std::vector<CaptureCensus>& censuses() {
  static const std::vector<CaptureCensus> all = {
      // grep -c '@depth@100ms","data' = 177, '@bookTicker","data' = 81, kline 2, aggTrade 2
      {"BINANCE.ws.1.0",
       {{MessageKind::kBinanceDepthUpdate, 177},
        {MessageKind::kBinanceKline, 2},
        {MessageKind::kBinanceAggTrade, 2},
        {MessageKind::kBinanceBookTicker, 84}}},
      {"COINBASE.ws.28.0",
       {{MessageKind::kCoinbaseTicker, 107},
        {MessageKind::kCoinbaseMatch, 97},
        {MessageKind::kCoinbaseLastMatch, 10},
        {MessageKind::kCoinbaseSnapshot, 10},
        {MessageKind::kCoinbaseSubscriptions, 3}}},
      // Kraken's control messages count as control, not rejects.
      {"KRAKEN.ws.50.0",
       {{MessageKind::kKrakenSystemStatus, 1},
        {MessageKind::kKrakenSubscriptionStatus, 10},
        {MessageKind::kKrakenHeartbeat, 0, /*more_than=*/true},
        {MessageKind::kKrakenBookSnapshot, 10},
        {MessageKind::kKrakenBookUpdate, 4000, /*more_than=*/true}}},
  };
  return all;
}

TEST(CaptureConformance, shouldClassifyEveryKindLikeGrep) {
  BE_REQUIRE_CAPTURES(dir);
  for (const CaptureCensus& census : censuses()) {
    const CaptureRun run = run_capture(dir + "/" + census.file);
    for (const KindCount& want : census.kinds) {
      SCOPED_TRACE(std::string(census.file) + ": " + std::string(to_string(want.kind)));
      if (want.more_than) {
        EXPECT_GT(kind(run, want.kind), want.count);
      } else {
        EXPECT_EQ(kind(run, want.kind), want.count);
      }
    }
  }
}

TEST(CaptureConformance, shouldReadExchangeInfoFiltersAndRateLimits) {
  BE_REQUIRE_CAPTURES(dir);
  TextCaptureReader reader;
  std::string error;
  ASSERT_TRUE(reader.open(dir + "/BINANCE.0", error)) << error;
  CaptureDispatcher dispatcher;
  CaptureRecord record;
  while (reader.next(record))
    (void)dispatcher.dispatch(reader.venue(), record, [](const Event&) {});
  const BinanceExchangeInfo& info = dispatcher.exchange_info();
  // The capture's first rate limit: {"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE",
  // "intervalNum":1,"limit":1200}; serverTime 1633998511098.
  ASSERT_EQ(info.rate_limits.size(), 4u);
  EXPECT_EQ(info.rate_limits[0].type, "REQUEST_WEIGHT");
  EXPECT_EQ(info.rate_limits[0].interval, "MINUTE");
  EXPECT_EQ(info.rate_limits[0].interval_num, 1u);
  EXPECT_EQ(info.rate_limits[0].limit, 1200u);
  EXPECT_EQ(info.rate_limits[3].type, "RAW_REQUESTS");
  EXPECT_EQ(info.rate_limits[3].limit, 6100u);
  EXPECT_EQ(info.server_time, 1633998511098LL * 1'000'000);
  EXPECT_EQ(info.rejected_symbols, 0u);
  ASSERT_FALSE(info.symbols.empty());
  // ETHBTC, checked by hand in the capture: PRICE_FILTER minPrice 0.00000100 tickSize
  // 0.00000100; LOT_SIZE minQty 0.00010000 maxQty 100000.00000000 stepSize 0.00010000;
  // MIN_NOTIONAL minNotional 0.00010000.
  const BinanceSymbolInfo& eth = info.symbols[0];
  EXPECT_EQ(eth.symbol, "ETHBTC");
  EXPECT_EQ(eth.status, "TRADING");
  EXPECT_EQ(eth.base_asset, "ETH");
  EXPECT_EQ(eth.quote_asset, "BTC");
  EXPECT_EQ(eth.min_price, 100);
  EXPECT_EQ(eth.tick_size, 100);
  EXPECT_EQ(eth.min_qty, 10000);
  EXPECT_EQ(eth.max_qty, 100000LL * 100000000);
  EXPECT_EQ(eth.step_size, 10000);
  EXPECT_EQ(eth.min_notional, 10000);
}

}  // namespace
}  // namespace be::feed
