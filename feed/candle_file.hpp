// Candle files -> bars: the input of `botengine ta`, indicator tests and backtests.
//
// Formats (chosen by content: a file whose first non-blank byte is '[' is JSON, else CSV):
//  - CSV  `time,open,high,low,close,volume`. The header is optional: a first line whose
//         first field starts with a letter is a header, and columns are then found by name
//         (time|timestamp|open_time|date|datetime, open, high, low, close, volume; others are
//         ignored). Without a header the first six columns are taken in that order.
//         time is either an integer Unix epoch (values >= 1e11 are milliseconds, smaller ones
//         seconds: 1e11 ms is 1973-03-03, and no second count past 2262 fits be::Nanos,
//         so the two ranges cannot be confused) or a UTC date-time
//         `YYYY-MM-DD HH:MM[:SS[.fff]]` ('T' instead of the space and a trailing 'Z' are
//         accepted). Prices and volumes are plain decimals ("8371.0", "0.00012").
//  - JSON an array of objects with decimal-string (or plain-number) `open, high, low, close,
//         volume`, integer `openTimeInMillis` and optional `sizeInMillis` (the format of
//         shared/data/candles-1m). Other members are ignored.
// Decimals become fixed point with be::parse_decimal at the requested scales (default 8 and
// 8), exactly or not at all: a value with more decimals than the scale is an error, never a
// rounding. Every bar is also given as doubles (the fixed-point value divided by 10^scale,
// which equals strtod of the same text) for indicators.
//
// Validation: every field present and well-formed, low <= open, close <= high, volume >= 0,
// open times strictly increasing. The first problem found is returned as an error naming
// the file, the line (CSV, 1-based) or the array index (JSON, 0-based) and the field; a
// malformed file never crashes the reader and never yields a partial series.
//
// Thread-safety: pure functions. They allocate (this is load-time code, not the hot path).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"
#include "core/expected.hpp"
#include "core/ids.hpp"

namespace be::replay {

struct CandleOptions {
  int price_scale = 8;
  int qty_scale = 8;
  InstrumentId instrument{0};  // stamped on every bar
};

struct Candles {
  std::vector<Bar> bars;  // open_time in ns since the epoch; prices/volume fixed point
  std::vector<double> open, high, low, close, volume;  // the same values as doubles
  int price_scale = 8;
  int qty_scale = 8;

  std::size_t size() const noexcept { return bars.size(); }
};

struct CandleError {
  std::string message;  // "FILE: line 7: field 'close': malformed decimal 'abc'"
};

// Reads and parses a file. A file that cannot be opened or read is an error naming it.
Expected<Candles, CandleError> load_candles(const std::string& path,
                                            const CandleOptions& options = {});

// Parse text already in memory; `source` names it in error messages.
Expected<Candles, CandleError> parse_candles_csv(std::string_view text,
                                                 const CandleOptions& options = {},
                                                 std::string_view source = "csv");
Expected<Candles, CandleError> parse_candles_json(std::string_view text,
                                                  const CandleOptions& options = {},
                                                  std::string_view source = "json");

// The one writer of the CSV format above (`botengine data import` writes candle files with
// it): the header line, then one row per bar with the time as integer milliseconds since the
// epoch and the decimals as given (the caller has checked them; load_candles reads them back).
inline constexpr std::string_view kCandleCsvHeader = "time,open,high,low,close,volume\n";
void append_candle_csv_row(std::string& out, Nanos open_time, std::string_view open,
                           std::string_view high, std::string_view low, std::string_view close,
                           std::string_view volume);

// Parses a CSV time cell (see above) into ns since the epoch; false when malformed or out
// of range.
bool parse_candle_time(std::string_view text, Nanos& out) noexcept;

}  // namespace be::replay
