#include "feed/import/rows.hpp"

#include <cctype>
#include <charconv>
#include <vector>

#include "core/fixed_point.hpp"

namespace be::feed::import {

namespace {

constexpr std::int64_t kMicrosFrom = 100'000'000'000'000;  // 1e14: see the header
constexpr std::int64_t kMillisFrom = 100'000'000'000;      // 1e11 ms = 1973-03-03
constexpr std::int64_t kMaxMicros = INT64_MAX / 1'000;
constexpr std::size_t kMaxCells = 16;

// Splits a CSV line without quoting (neither venue quotes). False if it has too many cells.
bool split(std::string_view line, std::array<std::string_view, kMaxCells>& cells,
           std::size_t& count) noexcept {
  count = 0;
  while (true) {
    if (count == kMaxCells) return false;
    const std::size_t comma = line.find(',');
    cells[count++] = line.substr(0, comma);
    if (comma == std::string_view::npos) return true;
    line.remove_prefix(comma + 1);
  }
}

std::string quoted(std::string_view s) {
  constexpr std::size_t kMax = 40;  // a garbage cell is shown, but not all of it
  std::string out(1, '\'');
  out.append(s.substr(0, kMax));
  out.append(s.size() > kMax ? "...'" : "'");
  return out;
}

bool unsigned_cell(std::string_view s, std::uint64_t& out) noexcept {
  if (s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool boolean_cell(std::string_view s, bool& out) noexcept {
  auto is = [s](std::string_view word) {
    if (s.size() != word.size()) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(s[i])) != word[i]) return false;
    }
    return true;
  };
  if (is("true")) return out = true, true;
  if (is("false")) return out = false, true;
  return false;
}

// Kraken's seconds, "1381095255" or "1616663113.2937": to ns exactly (9 decimals at most).
bool seconds_cell(std::string_view s, Nanos& out) noexcept {
  auto v = parse_decimal(s, 9);
  if (!v || *v < kMillisFrom * 1'000'000 / 1'000) return false;  // before 1973 is not a trade
  out = *v;
  return true;
}

struct Checker {
  std::string error;
  // The decimal in `cell` at `scale`, non-negative; `positive` also refuses zero.
  std::int64_t decimal(std::string_view name, std::string_view cell, int scale,
                       bool positive = false) {
    if (!error.empty()) return 0;
    auto v = parse_decimal(cell, scale);
    if (!v) {
      error = "field '" + std::string(name) + "': " + std::string(to_string(v.error())) + " " +
              quoted(cell);
    } else if (*v < 0 || (positive && *v == 0)) {
      error = "field '" + std::string(name) + "': must be " +
              (positive ? "positive " : "non-negative ") + quoted(cell);
    }
    return v ? *v : 0;
  }
  void time(std::string_view name, std::string_view cell, Nanos& out) {
    if (error.empty() && !binance_time(cell, out)) {
      error = "field '" + std::string(name) + "': not a time in ms or µs since the epoch " +
              quoted(cell);
    }
  }
  void integer(std::string_view name, std::string_view cell, std::uint64_t& out) {
    if (error.empty() && !unsigned_cell(cell, out)) {
      error = "field '" + std::string(name) + "': not an unsigned integer " + quoted(cell);
    }
  }
  void boolean(std::string_view name, std::string_view cell, bool& out) {
    if (error.empty() && !boolean_cell(cell, out)) {
      error = "field '" + std::string(name) + "': not true or false " + quoted(cell);
    }
  }
  void fail(std::string text) {
    if (error.empty()) error = std::move(text);
  }
};

std::string cell_count_error(std::size_t got, std::size_t low, std::size_t high) {
  return "expected " + std::to_string(low) + (high != low ? " or " + std::to_string(high) : "") +
         " fields, got " + std::to_string(got);
}

}  // namespace

bool binance_time(std::string_view cell, Nanos& out) noexcept {
  std::uint64_t v = 0;
  if (!unsigned_cell(cell, v) || v < static_cast<std::uint64_t>(kMillisFrom) ||
      v > static_cast<std::uint64_t>(kMaxMicros)) {
    return false;
  }
  const auto t = static_cast<std::int64_t>(v);
  out = t >= kMicrosFrom ? t * 1'000 : t * 1'000'000;
  return true;
}

bool is_header(std::string_view line) noexcept {
  return !line.empty() && std::isalpha(static_cast<unsigned char>(line.front()));
}

std::string parse_kline(std::string_view line, const RowScales& scales, KlineRow& out) {
  std::array<std::string_view, kMaxCells> c;
  std::size_t n = 0;
  if (!split(line, c, n) || n != 12) return cell_count_error(n, 12, 12);
  Checker check;
  check.time("open_time", c[0], out.open_time);
  const std::int64_t open = check.decimal("open", c[1], scales.price, true);
  const std::int64_t high = check.decimal("high", c[2], scales.price, true);
  const std::int64_t low = check.decimal("low", c[3], scales.price, true);
  const std::int64_t close = check.decimal("close", c[4], scales.price, true);
  check.decimal("volume", c[5], scales.quantity);
  check.time("close_time", c[6], out.close_time);
  check.decimal("quote_volume", c[7], scales.price);
  check.integer("count", c[8], out.count);
  check.decimal("taker_buy_base_volume", c[9], scales.quantity);
  check.decimal("taker_buy_quote_volume", c[10], scales.price);
  if (low > high) check.fail("field 'low': low is above high");
  if (open < low || open > high) check.fail("field 'open': open is outside [low, high]");
  if (close < low || close > high) check.fail("field 'close': close is outside [low, high]");
  if (out.close_time < out.open_time) check.fail("field 'close_time': before open_time");
  out.open = c[1], out.high = c[2], out.low = c[3], out.close = c[4], out.volume = c[5];
  out.quote_volume = c[7], out.taker_base = c[9], out.taker_quote = c[10];
  return check.error;
}

std::string parse_trade(FileFormat format, std::string_view line, const RowScales& scales,
                        TradeRow& out) {
  std::array<std::string_view, kMaxCells> c;
  std::size_t n = 0;
  const bool ok = split(line, c, n);
  Checker check;
  out = TradeRow{};
  switch (format) {
    case FileFormat::kBinanceAggTrades:
      if (!ok || n < 7 || n > 8) return cell_count_error(n, 7, 8);
      check.integer("agg_trade_id", c[0], out.id);
      check.decimal("price", c[1], scales.price, true);
      check.decimal("quantity", c[2], scales.quantity, true);
      check.integer("first_trade_id", c[3], out.first_id);
      check.integer("last_trade_id", c[4], out.last_id);
      check.time("transact_time", c[5], out.time);
      check.boolean("is_buyer_maker", c[6], out.buyer_maker);
      if (out.last_id < out.first_id) check.fail("field 'last_trade_id': below first_trade_id");
      out.price = c[1], out.quantity = c[2];
      break;
    case FileFormat::kBinanceTrades:
      if (!ok || n < 6 || n > 7) return cell_count_error(n, 6, 7);
      check.integer("id", c[0], out.id);
      check.decimal("price", c[1], scales.price, true);
      check.decimal("qty", c[2], scales.quantity, true);
      check.decimal("quote_qty", c[3], scales.price);
      check.time("time", c[4], out.time);
      check.boolean("is_buyer_maker", c[5], out.buyer_maker);
      out.price = c[1], out.quantity = c[2];
      break;
    case FileFormat::kKrakenTrades:
      if (!ok || n != 3) return cell_count_error(n, 3, 3);
      if (!seconds_cell(c[0], out.time)) {
        check.fail("field 'timestamp': not a time in seconds since the epoch " + quoted(c[0]));
      }
      check.decimal("price", c[1], scales.price, true);
      check.decimal("volume", c[2], scales.quantity, true);
      out.price = c[1], out.quantity = c[2];
      out.has_side = false;
      break;
    default:
      return "not a trade file format";
  }
  return check.error;
}

}  // namespace be::feed::import
