// The WebSocket API's answers (ws_api.hpp), read with simdjson On-Demand: id, status, an order
// `result`, the `error` with its retryAfter, and the rateLimits array. Pushed user-data events
// are recognised here and read by parse_user (messages.cpp).
#include "oms/venues/binance/messages.hpp"
#include "oms/venues/binance/messages_json.hpp"

namespace be::binance {

namespace {

constexpr std::int64_t interval_unit_ms(std::string_view interval) {
  return interval == "SECOND"   ? 1'000
         : interval == "MINUTE" ? 60'000
         : interval == "HOUR"   ? 3'600'000
         : interval == "DAY"    ? 86'400'000
                                : 0;
}

bool read_rate_limit(od::object obj, WsRateLimit& out, std::string& error) {
  std::string_view type, interval;
  std::int64_t num = 0;
  const FieldSlot slots[] = {{"rateLimitType", &type},
                             {"interval", &interval},
                             {"intervalNum", &num},
                             {"limit", &out.limit},
                             {"count", &out.count}};
  if (!for_each_field(obj, error, "malformed rate limit", [&](std::string_view key, od::value v) {
        if (read_slot(slots, key, v)) return true;
        error = "rate limit field has the wrong type";
        return false;
      })) {
    return false;
  }
  out.type = type == "REQUEST_WEIGHT" ? WsRateLimit::Type::kRequestWeight
             : type == "ORDERS"       ? WsRateLimit::Type::kOrders
                                      : WsRateLimit::Type::kOther;
  out.interval_ms = num > 0 && num < 1'000'000 ? num * interval_unit_ms(interval) : 0;
  return true;
}

bool read_error(od::object obj, WsApiAnswer& out, std::string& error) {
  std::string_view msg;
  return for_each_field(obj, error, "malformed error", [&](std::string_view key, od::value v) {
    if (key == "code") return read_int(v, out.error.code);
    if (key == "msg") {
      if (!read_string(v, msg)) return false;
      out.error.msg.assign(msg);
      return true;
    }
    if (key != "data") return true;
    od::object data;
    if (v.get_object().get(data) != simdjson::SUCCESS) return true;  // data is optional
    return for_each_field(data, error, "malformed error data",
                          [&](std::string_view k, od::value d) {
                            return k != "retryAfter" || read_int(d, out.retry_after_ms);
                          });
  });
}

}  // namespace

MessageParser::WsKind MessageParser::parse_ws_api(std::string_view text, WsApiAnswer& out) {
  error_.clear();
  out = WsApiAnswer{};
  od::object obj;
  if (!impl_->object(text, obj, error_, "not a JSON object")) return WsKind::kMalformed;
  bool event = false, have_status = false;
  OrderFields order;
  const bool read =
      for_each_field(obj, error_, "malformed answer", [&](std::string_view key, od::value v) {
        if (key == "event" || key == "subscriptionId") {
          event = true;
          return false;  // parse_user reads the rest
        }
        if (key == "id") {
          bool is_null = false;
          if (v.is_null().get(is_null) == simdjson::SUCCESS && is_null) return true;
          std::string_view text_id;
          return read_int(v, out.id) || read_string(v, text_id);
        }
        if (key == "status") return have_status = read_int(v, out.status);
        if (key == "result") {
          od::object result;
          if (v.get_object().get(result) != simdjson::SUCCESS) return true;  // arrays, null
          return read_order_fields(result, order, error_);
        }
        if (key == "error") {
          od::object err;
          out.has_error =
              v.get_object().get(err) == simdjson::SUCCESS && read_error(err, out, error_);
          return out.has_error;
        }
        if (key != "rateLimits") return true;
        od::array arr;
        if (v.get_array().get(arr) != simdjson::SUCCESS) return false;
        for (auto item : arr) {
          od::object limit;
          WsRateLimit parsed;
          if (item.get_object().get(limit) != simdjson::SUCCESS ||
              !read_rate_limit(limit, parsed, error_)) {
            return false;
          }
          if (out.rate_limit_count < out.rate_limits.size()) {
            out.rate_limits[out.rate_limit_count++] = parsed;
          }
        }
        return true;
      });
  if (event) return WsKind::kEvent;
  if (!read || !have_status) {
    if (error_.empty() || read) error_ = "answer without a status";
    return WsKind::kMalformed;
  }
  if (!order.symbol.empty() && symbols_->by_symbol(order.symbol) != nullptr) {
    std::string ignored;
    out.has_order = to_snapshot(order, *symbols_, out.order, ignored);
  }
  return WsKind::kAnswer;
}

}  // namespace be::binance
