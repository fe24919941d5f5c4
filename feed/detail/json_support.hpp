// Internal to feed/: the small vocabulary every parser .cpp shares — simdjson error codes to
// RejectReason, decimal tokens to fixed point (never through double), timestamps to ns.
// Not installed, not included by headers outside feed/.
#pragma once

#include "feed/detail/simdjson_include.hpp"

#include <cstdint>
#include <string_view>

#include "core/civil_time.hpp"
#include "core/fixed_point.hpp"
#include "core/ids.hpp"
#include "feed/detail/decimal.hpp"
#include "feed/types.hpp"

// Returns the RejectReason of `expr` when it is not kNone: keeps the parsers flat.
#define BE_FEED_TRY(expr)                                                                          \
  do {                                                                                             \
    if (const ::be::feed::RejectReason be_r_ = (expr); be_r_ != ::be::feed::RejectReason::kNone) { \
      return be_r_;                                                                                \
    }                                                                                              \
  } while (false)

namespace be::feed::detail {

namespace od = simdjson::ondemand;

constexpr RejectReason from_simdjson(simdjson::error_code e) noexcept {
  switch (e) {
    case simdjson::SUCCESS:
      return RejectReason::kNone;
    case simdjson::NO_SUCH_FIELD:
      return RejectReason::kMissingField;
    case simdjson::INCORRECT_TYPE:
      return RejectReason::kWrongType;
    case simdjson::NUMBER_ERROR:
    case simdjson::NUMBER_OUT_OF_RANGE:
      return RejectReason::kBadNumber;
    case simdjson::CAPACITY:
      return RejectReason::kOversized;
    default:
      return RejectReason::kMalformedJson;
  }
}

constexpr bool is_json_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Why a frame whose root is not the expected object was refused: a JSON array is a message
// of another shape; anything else is not a venue message at all.
constexpr RejectReason root_reject(std::string_view frame, simdjson::error_code e) noexcept {
  if (e != simdjson::INCORRECT_TYPE) return from_simdjson(e);
  while (!frame.empty() && is_json_space(frame.front()))
    frame.remove_prefix(1);
  return !frame.empty() && frame.front() == '[' ? RejectReason::kUnknownMessageType
                                                : RejectReason::kMalformedJson;
}

constexpr std::string_view trim_right(std::string_view s) noexcept {
  while (!s.empty() && is_json_space(s.back()))
    s.remove_suffix(1);
  return s;
}

constexpr std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_json_space(s.front()))
    s.remove_prefix(1);
  return trim_right(s);
}

// A JSON number token ("0.5", "-3", "1.5e-5") at `scale`: the exponent shifts the scale, so
// the conversion stays exact integer arithmetic.
constexpr RejectReason number_token_to_fixed(std::string_view tok, int scale,
                                             std::int64_t& out) noexcept {
  std::size_t e = tok.find_first_of("eE");
  int effective = scale;
  std::string_view mantissa = tok;
  if (e != std::string_view::npos) {
    mantissa = tok.substr(0, e);
    std::string_view exp = tok.substr(e + 1);
    bool negative = false;
    if (!exp.empty() && (exp[0] == '+' || exp[0] == '-')) {
      negative = exp[0] == '-';
      exp.remove_prefix(1);
    }
    if (exp.empty() || exp.size() > 3) return RejectReason::kBadNumber;
    int value = 0;
    for (char c : exp) {
      if (c < '0' || c > '9') return RejectReason::kBadNumber;
      value = value * 10 + (c - '0');
    }
    effective = negative ? scale - value : scale + value;
    if (effective < 0 || effective > kMaxDecimalScale) return RejectReason::kBadNumber;
  }
  const auto parsed = parse_decimal(mantissa, effective);
  if (!parsed) return RejectReason::kBadNumber;
  out = *parsed;
  return RejectReason::kNone;
}

// A decimal carried either as a JSON string ("0.35130000", the exchanges' habit) or as a JSON
// number (Kraken v2). `tok` is simdjson's raw token: it may carry trailing whitespace.
constexpr RejectReason token_to_fixed(std::string_view tok, int scale, std::int64_t& out) noexcept {
  tok = trim_right(tok);
  if (tok.empty()) return RejectReason::kMalformedJson;
  if (tok.front() == '"') {
    if (tok.size() < 2 || tok.back() != '"') return RejectReason::kMalformedJson;
    return decimal_to_fixed(tok.substr(1, tok.size() - 2), scale, out);
  }
  if (tok.front() == '-' || (tok.front() >= '0' && tok.front() <= '9')) {
    return number_token_to_fixed(tok, scale, out);
  }
  return RejectReason::kWrongType;
}

inline RejectReason value_to_fixed(od::value v, int scale, std::int64_t& out) noexcept {
  return token_to_fixed(v.raw_json_token(), scale, out);
}

inline RejectReason price_from(od::value v, int scale, std::int64_t& out) noexcept {
  BE_FEED_TRY(value_to_fixed(v, scale, out));
  return out > 0 ? RejectReason::kNone : RejectReason::kNonPositivePrice;
}

inline RejectReason qty_from(od::value v, int scale, std::int64_t& out) noexcept {
  BE_FEED_TRY(value_to_fixed(v, scale, out));
  return out >= 0 ? RejectReason::kNone : RejectReason::kNegativeQuantity;
}

// A field in any order. Not simdjson's find_field_unordered (operator[]): its wrap-around
// search assumes the fields it skipped earlier were well-formed and reaches
// __builtin_unreachable on malformed input (fuzz_binance found it: UB in a release build).
// An ordered search, then one more from the object's start, reports errors instead. Fields
// in the venue's usual order cost one pass, as before.
inline simdjson::simdjson_result<od::value> find(od::object& obj, std::string_view key) noexcept {
  auto first = obj.find_field(key);
  if (first.error() != simdjson::NO_SUCH_FIELD) return first;
  bool ignored = false;
  if (const auto e = obj.reset().get(ignored); e != simdjson::SUCCESS) return e;
  return obj.find_field(key);
}

inline RejectReason field(od::object& obj, std::string_view key, od::value& out) noexcept {
  return from_simdjson(find(obj, key).get(out));
}

inline RejectReason field_string(od::object& obj, std::string_view key,
                                 std::string_view& out) noexcept {
  od::value v;
  BE_FEED_TRY(field(obj, key, v));
  return from_simdjson(v.get_string().get(out));
}

inline RejectReason field_u64(od::object& obj, std::string_view key, std::uint64_t& out) noexcept {
  od::value v;
  BE_FEED_TRY(field(obj, key, v));
  return from_simdjson(v.get_uint64().get(out));
}

inline RejectReason field_i64(od::object& obj, std::string_view key, std::int64_t& out) noexcept {
  od::value v;
  BE_FEED_TRY(field(obj, key, v));
  return from_simdjson(v.get_int64().get(out));
}

inline RejectReason field_bool(od::object& obj, std::string_view key, bool& out) noexcept {
  od::value v;
  BE_FEED_TRY(field(obj, key, v));
  return from_simdjson(v.get_bool().get(out));
}

inline RejectReason field_price(od::object& obj, std::string_view key, int scale,
                                std::int64_t& out) noexcept {
  od::value v;
  BE_FEED_TRY(field(obj, key, v));
  return price_from(v, scale, out);
}

inline RejectReason field_qty(od::object& obj, std::string_view key, int scale,
                              std::int64_t& out) noexcept {
  od::value v;
  BE_FEED_TRY(field(obj, key, v));
  return qty_from(v, scale, out);
}

// Milliseconds since the epoch -> ns; refuses values that would overflow or precede 1970.
constexpr RejectReason millis_to_nanos(std::int64_t ms, Nanos& out) noexcept {
  if (ms <= 0 || ms > INT64_MAX / 1'000'000) return RejectReason::kBadTimestamp;
  out = ms * 1'000'000;
  return RejectReason::kNone;
}

inline RejectReason field_millis(od::object& obj, std::string_view key, Nanos& out) noexcept {
  std::int64_t ms = 0;
  BE_FEED_TRY(field_i64(obj, key, ms));
  return millis_to_nanos(ms, out);
}

// "1618678145.920708" (seconds, up to 9 decimals) -> ns.
constexpr RejectReason seconds_text_to_nanos(std::string_view text, Nanos& out) noexcept {
  const auto parsed = parse_decimal(text, 9);
  if (!parsed || *parsed <= 0) return RejectReason::kBadTimestamp;
  out = *parsed;
  return RejectReason::kNone;
}

// "2021-04-17T16:43:30.244075Z" (UTC, 0..9 fraction digits) -> ns since the epoch.
constexpr RejectReason iso8601_to_nanos(std::string_view s, Nanos& out) noexcept {
  auto digits = [&](std::size_t pos, std::size_t n, unsigned& v) {
    if (pos + n > s.size()) return false;
    v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      v = v * 10 + static_cast<unsigned>(s[i] - '0');
    }
    return true;
  };
  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (s.size() < 20 || !digits(0, 4, year) || s[4] != '-' || !digits(5, 2, month) || s[7] != '-' ||
      !digits(8, 2, day) || (s[10] != 'T' && s[10] != ' ') || !digits(11, 2, hour) ||
      s[13] != ':' || !digits(14, 2, minute) || s[16] != ':' || !digits(17, 2, second)) {
    return RejectReason::kBadTimestamp;
  }
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
      second > 60) {
    return RejectReason::kBadTimestamp;
  }
  std::size_t i = 19;
  std::int64_t fraction = 0;
  if (s[i] == '.') {
    ++i;
    int places = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++places) {
      if (places < 9) fraction = fraction * 10 + (s[i] - '0');
    }
    if (places == 0) return RejectReason::kBadTimestamp;
    for (; places < 9; ++places)
      fraction *= 10;
  }
  if (i + 1 != s.size() || s[i] != 'Z') return RejectReason::kBadTimestamp;
  if (year > 2261) return RejectReason::kBadTimestamp;  // int64 ns ends in 2262
  const std::int64_t days = days_from_civil(year, month, day);
  out = ((days * 24 + hour) * 60 + minute) * 60'000'000'000LL +
        static_cast<std::int64_t>(second) * 1'000'000'000LL + fraction;
  return RejectReason::kNone;
}

static_assert(days_from_civil(1970, 1, 1) == 0);

}  // namespace be::feed::detail
