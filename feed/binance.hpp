// Binance spot (and Binance.US, same wire format) market data: WebSocket stream events in raw
// (`{"e":"trade",...}`) or combined-stream (`{"stream":"..","data":{..}}`) framing, the REST
// depth snapshot and the REST exchangeInfo reference data. docs/FEEDS.md maps every field.
//
// Thread-safety: none; one parser per thread. Lifetime: the SymbolTable outlives the parser.
// Errors: never throws; refusals are RejectReasons counted in stats(). Allocation: none per
// frame after construction, except parse_exchange_info (reference data, off the hot path) and
// a SymbolTable in kAutoIntern mode meeting a new symbol.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <memory>

#include "core/event.hpp"
#include "feed/parser_handle.hpp"
#include "feed/parser_limits.hpp"
#include "feed/symbol_table.hpp"
#include "feed/types.hpp"

namespace be::feed {

struct BinanceRateLimit {
  std::string type;      // REQUEST_WEIGHT, ORDERS, RAW_REQUESTS
  std::string interval;  // SECOND, MINUTE, DAY
  std::uint32_t interval_num = 0;
  std::uint32_t limit = 0;
};

// Filters at fixed scale kReferenceScale (8), whatever the instrument's own scales: a value
// that needs more than 8 decimals marks the symbol as rejected rather than rounding it.
struct BinanceSymbolInfo {
  std::string symbol;
  std::string status;
  std::string base_asset;
  std::string quote_asset;
  std::int64_t tick_size = 0;     // PRICE_FILTER.tickSize
  std::int64_t min_price = 0;     // PRICE_FILTER.minPrice
  std::int64_t step_size = 0;     // LOT_SIZE.stepSize
  std::int64_t min_qty = 0;       // LOT_SIZE.minQty
  std::int64_t max_qty = 0;       // LOT_SIZE.maxQty
  std::int64_t min_notional = 0;  // MIN_NOTIONAL.minNotional or NOTIONAL.minNotional; 0: none
};

struct BinanceExchangeInfo {
  static constexpr int kReferenceScale = 8;
  Nanos server_time = 0;
  std::vector<BinanceRateLimit> rate_limits;
  std::vector<BinanceSymbolInfo> symbols;
  std::size_t rejected_symbols = 0;  // symbols skipped for a bad filter value
};

class BinanceParser : public ParserHandle<detail::BinanceImpl> {
 public:
  using ParserHandle::ParserHandle;

  // parse(): one WebSocket frame: trade, aggTrade, bookTicker, kline, depthUpdate, partial depth,
  // or a
  // {"result":..,"id":..} response (counted, no event).
  // The same, without copying the frame: `readable` bytes from frame.data() may be read
  // (their content past frame.size() does not matter). With readable < frame.size() +
  // kFramePadding it falls back to parse(). For a frame in a reused receive buffer
  // (net::Frame::readable) or a capture held in memory.
  ParseResult parse_padded(std::string_view frame, std::size_t readable, Nanos receive_time,
                           EventSink sink) noexcept;

  // A REST /api/v3/depth body. The body does not name its symbol: the caller passes the one
  // it asked for. Emits one kSnapshot BookDelta per level with U = u = lastUpdateId.
  ParseResult parse_depth_snapshot(std::string_view body, std::string_view symbol,
                                   Nanos receive_time, EventSink sink) noexcept;

  // A REST /api/v3/exchangeInfo body into `out` (cleared first). Allocates.
  ParseResult parse_exchange_info(std::string_view body, BinanceExchangeInfo& out) noexcept;
};

}  // namespace be::feed
