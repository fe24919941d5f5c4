// Rows of the venues' published historical files, parsed and checked: Binance's public data
// (data.binance.vision: klines, aggTrades, trades, spot and futures, with or without the
// header line the newer files carry) and Kraken's Time & Sales CSV. docs/RESEARCH.md lists
// every column.
//
//   Binance klines     open_time, open, high, low, close, volume, close_time, quote_volume,
//                      count, taker_buy_base_volume, taker_buy_quote_volume, ignore
//   Binance aggTrades  agg_trade_id, price, quantity, first_trade_id, last_trade_id,
//                      transact_time, is_buyer_maker[, is_best_match]
//   Binance trades     id, price, qty, quote_qty, time, is_buyer_maker[, is_best_match]
//   Kraken T&S         timestamp (seconds, integer or decimal), price, volume
//
// Binance times are milliseconds, or microseconds (spot files from 2025 on): a value of at
// least 1e14 is microseconds (1e14 ms would be the year 5138), one below 1e11 neither and
// refused. Booleans are True/False in any case. Prices and quantities are plain decimals,
// checked exactly at the caller's scale (be::parse_decimal: more decimals than the scale
// is an error, never a rounding) and kept as the file's text for the output.
//
// Every refusal names the field; the caller adds the file and line.
// Thread-safety: pure functions. Lifetime: rows' string_views point into the line.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/ids.hpp"
#include "core/names.hpp"

namespace be::feed::import {

enum class FileFormat : std::uint8_t {
  kUnknown = 0,
  kBinanceKlines,
  kBinanceAggTrades,
  kBinanceTrades,
  kKrakenTrades,
};
inline constexpr std::array<Named<FileFormat>, 5> kFileFormatNames = {{
    {FileFormat::kUnknown, "unknown"},
    {FileFormat::kBinanceKlines, "binance-klines"},
    {FileFormat::kBinanceAggTrades, "binance-aggtrades"},
    {FileFormat::kBinanceTrades, "binance-trades"},
    {FileFormat::kKrakenTrades, "kraken-trades"},
}};
static_assert(names_every_code(kFileFormatNames, 5));

struct TradeRow {
  Nanos time = 0;
  std::uint64_t id = 0, first_id = 0, last_id = 0;  // first/last: aggTrades only
  std::string_view price, quantity;
  bool buyer_maker = false;
  bool has_side = true;  // Kraken's Time & Sales does not say who took
};

struct KlineRow {
  Nanos open_time = 0, close_time = 0;
  std::string_view open, high, low, close, volume, quote_volume, taker_base, taker_quote;
  std::uint64_t count = 0;
};

// Field values are checked at these scales (exact decimals).
struct RowScales {
  int price = 8;
  int quantity = 8;
};

// "" when the row is good, else "field 'price': malformed decimal 'abc'".
std::string parse_kline(std::string_view line, const RowScales& scales, KlineRow& out);
std::string parse_trade(FileFormat format, std::string_view line, const RowScales& scales,
                        TradeRow& out);

// True if the line is a header (its first cell starts with a letter): skipped by the caller.
bool is_header(std::string_view line) noexcept;

// A Binance time cell (ms or µs, see above) -> ns; false if it is neither.
bool binance_time(std::string_view cell, Nanos& out) noexcept;

}  // namespace be::feed::import
