// sim/routes.hpp: which WebSocket path asks for which streams, the REST depth query and the
// /sim/stats body, without a server.
#include "sim/routes.hpp"

#include <gtest/gtest.h>

namespace be::sim {
namespace {

std::unique_ptr<MarketSource> btc_market() {
  SyntheticConfig config;
  config.symbols = {"btcusdt"};
  return make_synthetic_source(config);
}

TEST(SimRoutes, shouldSplitRawAndCombinedPathsIntoStreams) {
  const auto source = btc_market();
  const WsRoute raw = route_ws("/ws/btcusdt@trade/btcusdt@bookTicker", *source, 10);
  ASSERT_TRUE(raw.ok) << raw.error;
  EXPECT_FALSE(raw.combined);
  EXPECT_EQ(raw.streams, (std::vector<std::string>{"btcusdt@trade", "btcusdt@bookTicker"}));
  const WsRoute combined = route_ws("/stream?streams=btcusdt@trade", *source, 10);
  ASSERT_TRUE(combined.ok) << combined.error;
  EXPECT_TRUE(combined.combined);
  EXPECT_EQ(combined.streams, (std::vector<std::string>{"btcusdt@trade"}));
  const WsRoute live = route_ws("/ws", *source, 10);
  ASSERT_TRUE(live.ok);
  EXPECT_TRUE(live.streams.empty());
}

TEST(SimRoutes, shouldRefuseUnknownPathsQueriesStreamsAndTooManyStreams) {
  const auto source = btc_market();
  EXPECT_EQ(route_ws("/other", *source, 10).error,
            "unknown path; use /ws/<stream>, /ws, /stream?streams=a/b or /stream");
  EXPECT_EQ(route_ws("/stream?topics=x", *source, 10).error,
            "unknown query; expected streams=<a>/<b>");
  EXPECT_EQ(route_ws("/ws/dogeusdt@trade", *source, 10).error, "unknown stream 'dogeusdt@trade'");
  EXPECT_EQ(route_ws("/ws/btcusdt@trade/btcusdt@aggTrade", *source, 1).error, "too many streams");
}

TEST(SimRoutes, shouldReadTheDepthQueryWithBinancesLimits) {
  const auto query = parse_depth_query("symbol=BTCUSDT&limit=5");
  ASSERT_TRUE(query.has_value()) << query.error();
  EXPECT_EQ(query->symbol, "btcusdt");
  EXPECT_EQ(query->limit, 5u);
  EXPECT_EQ(parse_depth_query("symbol=BTCUSDT")->limit, 100u);
  EXPECT_EQ(parse_depth_query("limit=5").error(), "symbol is required");
  EXPECT_EQ(parse_depth_query("symbol=x&limit=0").error(), "limit must be 1..5000");
  EXPECT_EQ(parse_depth_query("symbol=x&limit=5001").error(), "limit must be 1..5000");
  EXPECT_EQ(parse_depth_query("symbol=x&limit=5x").error(), "limit must be 1..5000");
}

TEST(SimRoutes, shouldWriteEveryCounterInTheStatsBody) {
  SimStats stats;
  stats.connections = 3;
  stats.tls_handshake_failures = 2;
  stats.source_exhausted = true;
  const std::string body = stats_json(stats);
  EXPECT_EQ(body.front(), '{');
  EXPECT_NE(body.find(R"("connections":3,)"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("tls_handshake_failures":2,"source_exhausted":true})"), std::string::npos)
      << body;
}

}  // namespace
}  // namespace be::sim
