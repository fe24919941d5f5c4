// The simulator's request shapes, without sockets: which WebSocket path asks for which
// streams, the REST depth query, and the /sim/stats body. Used by sim_server.cpp.
//
// Thread-safety: pure functions over values.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "sim/market.hpp"
#include "sim/sim_server.hpp"

namespace be::sim {

// GET /ws/<a>/<b>, /ws, /stream?streams=a/b or /stream: raw or combined, and the streams.
struct WsRoute {
  bool ok = false;
  bool combined = false;
  std::vector<std::string> streams;
  std::string error;
};
WsRoute route_ws(std::string_view target, const MarketSource& source, std::size_t max_streams);

// GET /api/v3/depth?symbol=BTCUSDT[&limit=N]: Binance's REST snapshot (limit 1..5000,
// default 100). The symbol comes back lower case; errors are the 400 answer's text.
struct DepthQuery {
  std::string symbol;
  std::size_t limit = 100;
};
Expected<DepthQuery, std::string> parse_depth_query(std::string_view query);

// The body of GET /sim/stats.
std::string stats_json(const SimStats& stats);

}  // namespace be::sim
