// The simulator's markets: sources that produce Binance spot stream payloads in event-time
// order, byte for byte in the venue's wire format (prices and quantities as decimal strings
// with 8 decimals, event times in Unix milliseconds).
//
//   synthetic  a seeded random walk per symbol (geometric Brownian motion with drift and
//              volatility), trades around a 10-level book, deterministic from the seed
//   candles    a candle file expanded into trades/quotes/depth by a seeded path generator
//   capture    a cryptofeed capture of Binance's combined stream, served as recorded
//
// Nothing here does I/O on sockets or reads a clock: the server (sim_server.hpp) paces and
// delivers. Same inputs and seed -> the same message sequence on every run and platform
// (std::mt19937_64's sequence is fixed by the standard; every distribution is derived from
// raw bits here, never from std::*_distribution, whose output is implementation-defined).
//
// Thread-safety: a source is used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"
#include "core/expected.hpp"
#include "core/ids.hpp"

namespace be::sim {

// One stream event. `payload` is what /ws/<stream> sends; the combined endpoint wraps it as
// {"stream":"<stream>","data":<payload>}.
struct MarketMessage {
  std::string stream;    // "btcusdt@trade"
  std::string payload;   // {"e":"trade",...}
  Nanos event_time = 0;  // what pacing follows (ns since the epoch)
};

class MarketSource {
 public:
  virtual ~MarketSource() = default;
  // The next message in event-time order; false when the source is exhausted (a synthetic
  // market never is). `out`'s strings are reused: no allocation once they have grown.
  virtual bool next(MarketMessage& out) = 0;
  // Whether a subscription to `stream` can ever receive data.
  virtual bool serves(std::string_view stream) const = 0;
  // The streams a source serves, for LIST and for docs/logs ("btcusdt@trade", ...).
  virtual std::vector<std::string> streams() const = 0;
  // Binance's REST depth snapshot for `symbol` (lower case), at most `limit` levels a side:
  // {"lastUpdateId":N,"bids":[["p","q"],..],"asks":[..]}, the book after the last depth update
  // the source has generated. That may be ahead of what the pacing has delivered, which
  // Binance's sync rule (drop buffered events with u <= lastUpdateId) already allows for.
  // Empty when the source keeps no book (captures) or does not know the symbol.
  virtual std::string depth_snapshot(std::string_view /*symbol*/, std::size_t /*limit*/) const {
    return {};
  }
};

// ---- synthetic --------------------------------------------------------------------------
struct SyntheticConfig {
  std::vector<std::string> symbols = {"btcusdt"};  // lower or upper case
  std::uint64_t seed = 1;
  double drift = 0.0;                            // annualised log drift
  double volatility = 0.8;                       // annualised (BTC-like)
  Nanos start_time = 1'704'067'200'000'000'000;  // 2024-01-01T00:00:00Z; the CLI uses now
  Nanos step = 100'000'000;                      // one book update per symbol every 100 ms
  int max_trades_per_step = 3;
};
std::unique_ptr<MarketSource> make_synthetic_source(const SyntheticConfig& config);

// ---- candles -----------------------------------------------------------------------------
// Each bar becomes `trades_per_bar` trades evenly spaced over the bar, along the path
// open -> low -> high -> close for a bar that closes at or above its open, and
// open -> high -> low -> close otherwise (the usual OHLC path convention), linear between
// those four points and rounded to the symbol's tick, so the first trade is the open, the
// last the close, and the extremes are hit exactly. Volume is split evenly (the remainder
// goes to the last trade). Each trade is followed by a book update around it (bookTicker and
// depthUpdate), kline updates every 5 trades and a closed kline at the bar's end whose OHLCV
// equal the bar's. Zero-volume bars emit no trades, only quotes and the closed kline. The
// seed decides the aggressor side of trades at an unchanged price and the book quantities.
struct CandleSourceConfig {
  std::string symbol = "btcusdt";
  std::uint64_t seed = 1;
  int trades_per_bar = 20;  // at least 4
};
// Bars at price/qty scale 8 (be::Bar, be::replay::load_candles' default).
std::unique_ptr<MarketSource> make_candle_source(std::vector<Bar> bars,
                                                 const CandleSourceConfig& config);
// Reads CSV or candles-1m JSON through be::replay::load_candles.
Expected<std::unique_ptr<MarketSource>, std::string> load_candle_source(
    const std::string& path, const CandleSourceConfig& config);

// ---- capture -----------------------------------------------------------------------------
// A cryptofeed capture ("<receive unix time>: <payload>" per line) of Binance's combined
// stream. Connection lines ("<->") and sent-request lines (" <- ") are skipped; lines that
// are not a combined-stream object are counted in *skipped and left out. Pacing follows the
// recorded receive times. `symbols` (lower case) filters; empty keeps all.
Expected<std::unique_ptr<MarketSource>, std::string> load_capture_source(
    const std::string& path, const std::vector<std::string>& symbols,
    std::size_t* skipped = nullptr);

// ---- wire helpers (exposed for tests) ----------------------------------------------------
// A fixed-point value at scale 8 as Binance prints it: "51552.61000000", "-0.00000001".
void append_fixed8(std::string& out, std::int64_t value);
std::string to_lower(std::string_view s);
std::string to_upper(std::string_view s);
// "1m", "15m", "1h", "1d", ... for a bar length in seconds; "" when Binance has no such name.
std::string_view kline_interval_name(std::uint32_t seconds);

}  // namespace be::sim
