// Binance's individual symbol ticker streams (`<symbol>@ticker`, 24hrTicker events, and
// `<symbol>@miniTicker`, 24hrMiniTicker) for any market source, derived from the source's own
// trades and book tickers, plus the small field readers the simulator uses to let the exchange fake
// see its market (sim_server.cpp).
//
// The statistics window opens at the first trade the source produces and restarts after 24 h
// of event time (Binance rolls a 24 h window continuously; a simulator session rarely lasts
// that long). An event leaves after a trade once at least a second of event time has passed
// since the previous one (Binance: 1000 ms update speed), so it follows the trades' pacing.
//
// Thread-safety: a source is used by one thread at a time (market.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "sim/market.hpp"

namespace be::sim {

// Wraps `inner`: every message of `inner`, in order, and after some of its trades a
// `<symbol>@ticker` and a `<symbol>@miniTicker` message. serves() adds both for every symbol
// whose @trade stream `inner` serves.
std::unique_ptr<MarketSource> with_ticker_streams(std::unique_ptr<MarketSource> inner);

// "btcusdt@trade" -> "btcusdt"; "" when `stream` is not of that kind.
std::string_view symbol_of(std::string_view stream, std::string_view kind);

// The value of a string field holding a decimal ("p":"50003.58000000") at scale 8, or of an
// integer field ("t":100000001); nullopt when absent or malformed. Top-level-enough for
// Binance's flat stream payloads (a key is matched with its quotes and colon).
std::optional<std::int64_t> decimal_field(std::string_view json, std::string_view key);
std::optional<std::int64_t> integer_field(std::string_view json, std::string_view key);

}  // namespace be::sim
