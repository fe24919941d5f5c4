#include "feed/candle_file.hpp"

#include "core/civil_time.hpp"

#include <simdjson.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "core/fixed_point.hpp"

namespace be::replay {
namespace {

constexpr std::int64_t kMsThreshold = 100'000'000'000;  // 1e11: see the header
// be::Nanos (int64 ns since the epoch) ends at 2262-04-11T23:47:16Z.
constexpr std::int64_t kMaxEpochSeconds = 9'223'372'035;

bool all_digits(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool read_uint(std::string_view s, std::int64_t& out) noexcept {
  if (!all_digits(s) || s.size() > 18) return false;
  std::int64_t v = 0;
  for (char c : s)
    v = v * 10 + (c - '0');
  out = v;
  return true;
}

constexpr std::array<std::string_view, 6> kFieldNames = {"time", "open",  "high",
                                                         "low",  "close", "volume"};

struct Row {
  Nanos time = 0;
  std::array<std::int64_t, 5> ohlcv{};  // open, high, low, close, volume
};

std::string quote(std::string_view s) {
  constexpr std::size_t kMax = 40;  // a garbage cell is shown, but not all of it
  std::string out = "'";
  out.append(s.substr(0, kMax));
  if (s.size() > kMax) out += "...";
  out += "'";
  return out;
}

// Checks one row's internal consistency and its order after the previous row.
std::string check_row(const Row& r, const Row* prev) {
  const auto [open, high, low, close, volume] = r.ohlcv;
  if (low > high) return "field 'low': low is above high";
  if (open < low || open > high) return "field 'open': open is outside [low, high]";
  if (close < low || close > high) return "field 'close': close is outside [low, high]";
  if (volume < 0) return "field 'volume': negative volume";
  if (prev != nullptr && r.time <= prev->time) {
    return "field 'time': open time is not after the previous bar's";
  }
  return {};
}

void append(Candles& out, const Row& r, const CandleOptions& options,
            std::uint32_t interval_seconds) {
  Bar bar;
  bar.instrument = options.instrument;
  bar.interval_seconds = interval_seconds;
  bar.open_time = r.time;
  bar.open = r.ohlcv[0];
  bar.high = r.ohlcv[1];
  bar.low = r.ohlcv[2];
  bar.close = r.ohlcv[3];
  bar.volume = r.ohlcv[4];
  bar.closed = 1;
  out.bars.push_back(bar);
  const auto price = static_cast<double>(pow10(options.price_scale));
  out.open.push_back(static_cast<double>(bar.open) / price);
  out.high.push_back(static_cast<double>(bar.high) / price);
  out.low.push_back(static_cast<double>(bar.low) / price);
  out.close.push_back(static_cast<double>(bar.close) / price);
  out.volume.push_back(static_cast<double>(bar.volume) /
                       static_cast<double>(pow10(options.qty_scale)));
}

std::string check_scales(const CandleOptions& o) {
  if (o.price_scale < 0 || o.price_scale > kMaxDecimalScale || o.qty_scale < 0 ||
      o.qty_scale > kMaxDecimalScale) {
    return "price and quantity scales must be in 0..18";
  }
  return {};
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

void split(std::string_view line, std::vector<std::string_view>& cells) {
  cells.clear();
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    cells.push_back(
        trim(line.substr(start, comma == std::string_view::npos ? comma : comma - start)));
    if (comma == std::string_view::npos) return;
    start = comma + 1;
  }
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

bool parse_candle_time(std::string_view text, Nanos& out) noexcept {
  std::int64_t v = 0;
  if (read_uint(text, v)) {
    if ((v >= kMsThreshold ? v / 1000 : v) > kMaxEpochSeconds) return false;
    const std::int64_t ms = v >= kMsThreshold ? v : v * 1000;
    out = ms * 1'000'000;
    return true;
  }
  // YYYY-MM-DD[ T]HH:MM[:SS[.fff]][Z]
  if (!text.empty() && text.back() == 'Z') text.remove_suffix(1);
  if (text.size() < 16 || text[4] != '-' || text[7] != '-' ||
      (text[10] != ' ' && text[10] != 'T') || text[13] != ':') {
    return false;
  }
  std::int64_t year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, nanos = 0;
  if (!read_uint(text.substr(0, 4), year) || !read_uint(text.substr(5, 2), month) ||
      !read_uint(text.substr(8, 2), day) || !read_uint(text.substr(11, 2), hour) ||
      !read_uint(text.substr(14, 2), minute)) {
    return false;
  }
  std::string_view rest = text.substr(16);
  if (!rest.empty()) {
    if (rest.size() < 3 || rest[0] != ':' || !read_uint(rest.substr(1, 2), second)) return false;
    rest.remove_prefix(3);
    if (!rest.empty()) {
      if (rest[0] != '.' || rest.size() < 2 || rest.size() > 10 || !all_digits(rest.substr(1))) {
        return false;
      }
      std::int64_t frac = 0;
      (void)read_uint(rest.substr(1), frac);
      for (std::size_t i = rest.size() - 1; i < 9; ++i)
        frac *= 10;
      nanos = frac;
    }
  }
  static constexpr std::array<int, 12> kDays = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 1970 || month < 1 || month > 12 || day < 1 ||
      day > kDays[static_cast<std::size_t>(month - 1)] || hour > 23 || minute > 59 || second > 60) {
    return false;
  }
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month == 2 && day == 29 && !leap) return false;
  const std::int64_t days =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const std::int64_t seconds = ((days * 24 + hour) * 60 + minute) * 60 + second;
  if (seconds > kMaxEpochSeconds) return false;
  out = seconds * 1'000'000'000 + nanos;
  return true;
}

Expected<Candles, CandleError> parse_candles_csv(std::string_view text,
                                                 const CandleOptions& options,
                                                 std::string_view source) {
  const std::string where = std::string(source) + ": ";
  if (auto e = check_scales(options); !e.empty()) return Unexpected{CandleError{where + e}};
  Candles out;
  out.price_scale = options.price_scale;
  out.qty_scale = options.qty_scale;

  std::array<std::size_t, 6> column = {0, 1, 2, 3, 4, 5};
  std::vector<std::string_view> cells;
  std::vector<Row> rows;
  std::vector<std::size_t> row_lines;
  std::size_t line_no = 0;
  bool first_content_line = true;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    line = trim(line);
    if (line.empty()) continue;
    const std::string at = where + "line " + std::to_string(line_no) + ": ";
    split(line, cells);
    if (first_content_line) {
      first_content_line = false;
      const char c0 = cells[0].empty() ? '\0' : cells[0][0];
      if ((c0 >= 'a' && c0 <= 'z') || (c0 >= 'A' && c0 <= 'Z')) {  // a header
        column.fill(SIZE_MAX);
        for (std::size_t i = 0; i < cells.size(); ++i) {
          const std::string name = lower(cells[i]);
          if (name == "time" || name == "timestamp" || name == "open_time" || name == "opentime" ||
              name == "date" || name == "datetime") {
            if (column[0] == SIZE_MAX) column[0] = i;
          }
          for (std::size_t f = 1; f < kFieldNames.size(); ++f) {
            if (name == kFieldNames[f] && column[f] == SIZE_MAX) column[f] = i;
          }
        }
        for (std::size_t f = 0; f < kFieldNames.size(); ++f) {
          if (column[f] == SIZE_MAX) {
            return Unexpected{
                CandleError{at + "header has no '" + std::string(kFieldNames[f]) + "' column"}};
          }
        }
        continue;
      }
    }
    std::size_t needed = 0;
    for (std::size_t c : column)
      needed = std::max(needed, c + 1);
    if (cells.size() < needed) {
      return Unexpected{CandleError{at + "expected " + std::to_string(needed) + " fields, got " +
                                    std::to_string(cells.size())}};
    }
    Row row;
    if (!parse_candle_time(cells[column[0]], row.time)) {
      return Unexpected{CandleError{at + "field 'time': " + quote(cells[column[0]]) +
                                    " is neither an epoch (s or ms) nor YYYY-MM-DD HH:MM:SS"}};
    }
    for (std::size_t f = 1; f < kFieldNames.size(); ++f) {
      const std::string_view cell = cells[column[f]];
      const int scale = f == 5 ? options.qty_scale : options.price_scale;
      auto v = parse_decimal(cell, scale);
      if (!v) {
        return Unexpected{CandleError{at + "field '" + std::string(kFieldNames[f]) + "': " +
                                      std::string(to_string(v.error())) + " " + quote(cell)}};
      }
      row.ohlcv[f - 1] = *v;
    }
    if (auto e = check_row(row, rows.empty() ? nullptr : &rows.back()); !e.empty()) {
      return Unexpected{CandleError{at + e}};
    }
    rows.push_back(row);
  }
  if (rows.empty()) return Unexpected{CandleError{where + "no candles"}};
  const std::uint32_t interval =
      rows.size() >= 2 ? static_cast<std::uint32_t>((rows[1].time - rows[0].time) / 1'000'000'000)
                       : 0;
  out.bars.reserve(rows.size());
  for (const Row& r : rows)
    append(out, r, options, interval);
  return out;
}

Expected<Candles, CandleError> parse_candles_json(std::string_view text,
                                                  const CandleOptions& options,
                                                  std::string_view source) {
  using namespace simdjson;
  const std::string where = std::string(source) + ": ";
  if (auto e = check_scales(options); !e.empty()) return Unexpected{CandleError{where + e}};
  Candles out;
  out.price_scale = options.price_scale;
  out.qty_scale = options.qty_scale;

  // The DOM parser validates the whole text (trailing garbage included) before we look at
  // any candle; load time, not the hot path, so its tape allocation is fine.
  dom::parser parser;
  dom::element root;
  if (auto err = parser.parse(text.data(), text.size()).get(root)) {
    return Unexpected{CandleError{where + "not valid JSON: " + error_message(err)}};
  }
  dom::array array;
  if (root.get_array().get(array)) {
    return Unexpected{CandleError{where + "expected a JSON array of candles"}};
  }
  std::vector<Row> rows;
  rows.reserve(array.size());
  std::uint32_t interval = 0;
  std::size_t index = 0;
  for (dom::element element : array) {
    const std::string at = where + "candle " + std::to_string(index) + ": ";
    dom::object object;
    if (element.get_object().get(object)) {
      return Unexpected{CandleError{at + "not a JSON object"}};
    }
    Row row;
    std::int64_t ms = 0;
    if (object["openTimeInMillis"].get_int64().get(ms)) {
      return Unexpected{CandleError{at + "field 'openTimeInMillis': missing or not an integer"}};
    }
    if (ms < 0 || ms / 1000 > kMaxEpochSeconds) {
      return Unexpected{CandleError{at + "field 'openTimeInMillis': out of range"}};
    }
    row.time = ms * 1'000'000;
    if (dom::element size; !object["sizeInMillis"].get(size)) {
      std::int64_t size_ms = 0;
      if (size.get_int64().get(size_ms) || size_ms < 0 || size_ms > 366LL * 86'400'000) {
        return Unexpected{CandleError{at + "field 'sizeInMillis': not a duration in ms"}};
      }
      interval = static_cast<std::uint32_t>(size_ms / 1000);
    }
    for (std::size_t f = 1; f < kFieldNames.size(); ++f) {
      const std::string field = "field '" + std::string(kFieldNames[f]) + "': ";
      dom::element value;
      if (object[kFieldNames[f]].get(value)) return Unexpected{CandleError{at + field + "missing"}};
      std::string_view digits;
      char buffer[64];
      if (value.is_string()) {
        digits = value.get_string().value_unsafe();
      } else if (value.is_int64()) {
        const auto r =
            std::to_chars(buffer, buffer + sizeof buffer, value.get_int64().value_unsafe());
        digits = std::string_view(buffer, static_cast<std::size_t>(r.ptr - buffer));
      } else if (value.is_double()) {
        // The shortest fixed-notation text that reads back as the same double: the decimal
        // the file most likely held ("51613.38"), then parsed exactly like a string.
        const auto r = std::to_chars(buffer, buffer + sizeof buffer,
                                     value.get_double().value_unsafe(), std::chars_format::fixed);
        if (r.ec != std::errc()) return Unexpected{CandleError{at + field + "number out of range"}};
        digits = std::string_view(buffer, static_cast<std::size_t>(r.ptr - buffer));
      } else {
        return Unexpected{CandleError{at + field + "expected a decimal string or number"}};
      }
      const int scale = f == 5 ? options.qty_scale : options.price_scale;
      auto v = parse_decimal(digits, scale);
      if (!v) {
        return Unexpected{
            CandleError{at + field + std::string(to_string(v.error())) + " " + quote(digits)}};
      }
      row.ohlcv[f - 1] = *v;
    }
    if (auto e = check_row(row, rows.empty() ? nullptr : &rows.back()); !e.empty()) {
      return Unexpected{CandleError{at + e}};
    }
    rows.push_back(row);
    ++index;
  }
  if (rows.empty()) return Unexpected{CandleError{where + "no candles"}};
  out.bars.reserve(rows.size());
  for (const Row& r : rows)
    append(out, r, options, interval);
  return out;
}

Expected<Candles, CandleError> load_candles(const std::string& path, const CandleOptions& options) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return Unexpected{CandleError{path + ": cannot open: " + std::strerror(errno)}};
  }
  std::string text;
  char chunk[1 << 16];
  std::size_t n = 0;
  while ((n = std::fread(chunk, 1, sizeof chunk, file)) > 0)
    text.append(chunk, n);
  const bool failed = std::ferror(file) != 0;
  const int read_errno = errno;
  std::fclose(file);
  if (failed) {
    return Unexpected{CandleError{path + ": read error: " + std::strerror(read_errno)}};
  }
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '[') {
    return parse_candles_json(text, options, path);
  }
  return parse_candles_csv(text, options, path);
}

void append_candle_csv_row(std::string& out, Nanos open_time, std::string_view open,
                           std::string_view high, std::string_view low, std::string_view close,
                           std::string_view volume) {
  out += std::to_string(open_time / 1'000'000);
  for (std::string_view cell : {open, high, low, close, volume}) {
    out += ',';
    out += cell;
  }
  out += '\n';
}

}  // namespace be::replay
