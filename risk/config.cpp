#include "risk/config.hpp"

// GCC's -Wnull-dereference misfires inside simdjson's inlined iterators (feed/ does the
// same); silenced for the library's lines only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <simdjson.h>
#pragma GCC diagnostic pop

#include <cstdint>
#include <string>
#include <type_traits>

#include "core/fixed_point.hpp"

namespace be::risk {

namespace {

namespace od = simdjson::ondemand;

constexpr std::string_view kRoot = "risk_management";

enum class Unit : std::uint8_t {
  kQuote,    // decimal, price scale
  kBase,     // decimal, qty scale
  kPercent,  // decimal percent, read to 2 places: basis points
  kCount,    // non-negative integer
  kMillis,   // integer milliseconds, stored as nanoseconds
};

struct FieldSpec {
  std::string_view name;
  Unit unit;
  std::int64_t max;  // inclusive, in the parsed unit (bps for percents); 0: int64 range
  void (*set)(BotConfig&, std::int64_t);
};

// Stores a parsed value into the BotConfig field at the end of `Path` (member pointers from
// BotConfig down). The table's maxima keep every value inside its field's type.
template <auto... Path>
void store(BotConfig& c, std::int64_t v) {
  auto& field = (c.*....*Path);  // a fold over .*: c.*limits.*max_open_orders
  field = static_cast<std::remove_reference_t<decltype(field)>>(v);
}

// The schema: docs/RISK.md mirrors this table. Millisecond windows are stored in nanoseconds.
constexpr FieldSpec kFields[] = {
    {"max_position_size", Unit::kQuote, 0,
     store<&BotConfig::limits, &Limits::max_position_notional>},
    {"max_position_quantity", Unit::kBase, 0,
     store<&BotConfig::limits, &Limits::max_position_quantity>},
    {"max_order_size", Unit::kQuote, 0, store<&BotConfig::limits, &Limits::max_order_notional>},
    {"max_order_quantity", Unit::kBase, 0, store<&BotConfig::limits, &Limits::max_order_quantity>},
    {"max_daily_loss", Unit::kQuote, 0, store<&BotConfig::limits, &Limits::max_daily_loss>},
    {"max_drawdown", Unit::kQuote, 0, store<&BotConfig::limits, &Limits::max_drawdown>},
    {"max_daily_trades", Unit::kCount, 1'000'000,
     store<&BotConfig::limits, &Limits::max_daily_trades>},
    {"max_open_orders", Unit::kCount, 1'000'000,
     store<&BotConfig::limits, &Limits::max_open_orders>},
    {"price_band_bps", Unit::kCount, 10'000, store<&BotConfig::limits, &Limits::price_band_bps>},
    {"order_rate_limit", Unit::kCount, 1'000'000,
     store<&BotConfig::limits, &Limits::order_rate_count>},
    {"order_rate_window_ms", Unit::kMillis, 3'600'000,
     store<&BotConfig::limits, &Limits::order_rate_window_ns>},
    {"cancel_rate_limit", Unit::kCount, 1'000'000,
     store<&BotConfig::limits, &Limits::cancel_rate_count>},
    {"cancel_rate_window_ms", Unit::kMillis, 3'600'000,
     store<&BotConfig::limits, &Limits::cancel_rate_window_ns>},
    {"stop_loss_pct", Unit::kPercent, 9'999,
     store<&BotConfig::protection, &Protection::stop_loss_bps>},
    {"take_profit_pct", Unit::kPercent, 100'000,
     store<&BotConfig::protection, &Protection::take_profit_bps>},
    {"trailing_stop_pct", Unit::kPercent, 9'999,
     store<&BotConfig::protection, &Protection::trailing_stop_bps>},
    {"max_consecutive_errors", Unit::kCount, 1'000'000, store<&BotConfig::max_consecutive_errors>},
};
constexpr std::size_t kFieldCount = sizeof(kFields) / sizeof(kFields[0]);

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string format_max(const FieldSpec& f, int price_scale, int qty_scale) {
  switch (f.unit) {
    case Unit::kPercent:
      return decimal_to_string(f.max, 2) + "%";
    case Unit::kQuote:
      return decimal_to_string(f.max, price_scale);
    case Unit::kBase:
      return decimal_to_string(f.max, qty_scale);
    case Unit::kCount:
    case Unit::kMillis:
      return std::to_string(f.max);
  }
  return {};
}

// Reads one number exactly from its JSON text. Returns "" and sets `out`, or the reason.
std::string read_number(od::value& v, const FieldSpec& f, int price_scale, int qty_scale,
                        std::int64_t& out) {
  od::json_type type;
  if (v.type().get(type) != simdjson::SUCCESS) return "malformed value";
  if (type != od::json_type::number) {
    return f.unit == Unit::kCount || f.unit == Unit::kMillis ? "wrong type: expected an integer"
                                                             : "wrong type: expected a number";
  }
  const std::string_view token = trim(v.raw_json_token());
  if (!token.empty() && token.front() == '-') return "negative: must be >= 0";
  if (token.find_first_of("eE") != std::string_view::npos) {
    return "exponent notation is not accepted: write the plain decimal";
  }
  const bool integral = f.unit == Unit::kCount || f.unit == Unit::kMillis;
  if (integral && token.find('.') != std::string_view::npos) {
    return "wrong type: expected an integer";
  }
  int scale = 0;
  switch (f.unit) {
    case Unit::kQuote:
      scale = price_scale;
      break;
    case Unit::kBase:
      scale = qty_scale;
      break;
    case Unit::kPercent:
      scale = 2;
      break;
    case Unit::kCount:
    case Unit::kMillis:
      scale = 0;
      break;
  }
  const auto parsed = parse_decimal(token, scale);
  if (!parsed) {
    if (parsed.error() == DecimalError::kTooManyDecimals) {
      return "out of range: more than " + std::to_string(scale) + " decimal places";
    }
    if (parsed.error() == DecimalError::kOutOfRange) return "out of range: too large";
    return std::string(to_string(parsed.error()));
  }
  if (f.max != 0 && *parsed > f.max) {
    return "out of range: at most " + format_max(f, price_scale, qty_scale);
  }
  if (f.unit == Unit::kMillis && *parsed == 0) return "out of range: must be >= 1";
  out = f.unit == Unit::kMillis ? *parsed * 1'000'000 : *parsed;
  return {};
}

}  // namespace

Expected<BotConfig, std::vector<ConfigError>> parse_bot_risk_config(std::string_view json,
                                                                    int price_scale,
                                                                    int qty_scale) {
  std::vector<ConfigError> errors;
  const auto fail = [&](std::string field, std::string reason) {
    errors.push_back(ConfigError{std::move(field), std::move(reason)});
  };
  if (price_scale < 0 || price_scale > kMaxDecimalScale || qty_scale < 0 ||
      qty_scale > kMaxDecimalScale) {
    fail("", "instrument scale outside 0..18");
    return Unexpected{std::move(errors)};
  }

  const simdjson::padded_string padded(json);
  od::parser parser;
  od::document doc;
  od::object root;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS ||
      doc.get_object().get(root) != simdjson::SUCCESS) {
    fail("", "malformed JSON: expected an object");
    return Unexpected{std::move(errors)};
  }

  BotConfig config;
  bool seen_root = false;
  bool seen[kFieldCount] = {};
  for (auto root_field : root) {
    std::string_view key;
    if (root_field.unescaped_key().get(key) != simdjson::SUCCESS) {
      fail("", "malformed JSON");
      return Unexpected{std::move(errors)};
    }
    if (key != kRoot) {
      fail(std::string(key), "unknown field (expected only \"risk_management\")");
      continue;
    }
    seen_root = true;
    od::object body;
    if (root_field.value().get_object().get(body) != simdjson::SUCCESS) {
      fail(std::string(kRoot), "wrong type: expected an object");
      continue;
    }
    for (auto field : body) {
      std::string_view name;
      if (field.unescaped_key().get(name) != simdjson::SUCCESS) {
        fail(std::string(kRoot), "malformed JSON");
        return Unexpected{std::move(errors)};
      }
      const std::string path = std::string(kRoot) + "." + std::string(name);
      std::size_t k = 0;
      while (k < kFieldCount && kFields[k].name != name)
        ++k;
      if (k == kFieldCount) {
        fail(path, "unknown field");
        continue;
      }
      if (seen[k]) {
        fail(path, "duplicate field");
        continue;
      }
      seen[k] = true;
      std::int64_t value = 0;
      od::value v = field.value();
      std::string reason = read_number(v, kFields[k], price_scale, qty_scale, value);
      if (!reason.empty()) {
        fail(path, std::move(reason));
        continue;
      }
      kFields[k].set(config, value);
    }
  }
  if (!seen_root) fail(std::string(kRoot), "missing");

  // A throttle needs both its count and its window.
  const auto pair = [&](const char* count, const char* window, bool has_count, bool has_window) {
    if (has_count && !has_window)
      fail(std::string(kRoot) + "." + window, std::string("missing: required with ") + count);
    if (has_window && !has_count)
      fail(std::string(kRoot) + "." + count, std::string("missing: required with ") + window);
  };
  const auto index = [](std::string_view n) {
    std::size_t k = 0;
    while (kFields[k].name != n)
      ++k;
    return k;
  };
  pair("order_rate_limit", "order_rate_window_ms", seen[index("order_rate_limit")],
       seen[index("order_rate_window_ms")]);
  pair("cancel_rate_limit", "cancel_rate_window_ms", seen[index("cancel_rate_limit")],
       seen[index("cancel_rate_window_ms")]);

  if (!errors.empty()) return Unexpected{std::move(errors)};
  return config;
}

}  // namespace be::risk
