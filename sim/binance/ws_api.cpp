// The Binance mock's WebSocket API (ws_api.hpp): request frames read with simdjson, the
// session's logon and subscription, and the methods on the venue REST shares.
#include "sim/binance/ws_api.hpp"

#include <algorithm>
#include <vector>

#include "oms/venues/binance/signing.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <simdjson.h>
#pragma GCC diagnostic pop

namespace be::binance::mock {

namespace {

namespace od = simdjson::ondemand;

struct Method {
  std::string_view name;
  std::int64_t weight;
  bool is_signed;  // apiKey + signature, or a logged-on session
};

// Weights as the WebSocket API documentation gives them for the methods the mock serves.
constexpr Method kMethods[] = {
    {"ping", 1, false},
    {"time", 1, false},
    {"session.logon", 2, false},  // signed, but only with Ed25519 (checked apart)
    {"session.status", 2, false},
    {"order.place", 1, true},
    {"order.cancel", 1, true},
    {"order.status", 4, true},
    {"openOrders.status", 6, true},
    {"account.status", 20, true},
    {"userDataStream.subscribe", 2, false},
    {"userDataStream.subscribe.signature", 2, true},
    {"userDataStream.unsubscribe", 2, false},
};

const Method* find_method(std::string_view name) {
  for (const Method& m : kMethods)
    if (m.name == name) return &m;
  return nullptr;
}

// The signature payload: every parameter but `signature`, sorted by name, "k=v&k=v".
std::string signature_payload(const Params& params) {
  std::vector<const std::pair<std::string, std::string>*> sorted;
  for (const auto& item : params.items)
    if (item.first != "signature") sorted.push_back(&item);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });
  std::string out;
  for (const auto* item : sorted) {
    if (!out.empty()) out += '&';
    out += item->first + "=" + item->second;
  }
  return out;
}

std::string rate_limits_json(const Exchange& ex, bool orders) {
  // The weight window as Binance names it: 1 MINUTE, or N SECOND in tests that shorten it.
  const bool minutes = ex.config.window_ms % 60'000 == 0;
  const std::int64_t num = minutes ? ex.config.window_ms / 60'000 : ex.config.window_ms / 1000;
  std::string out = "[{\"rateLimitType\":\"REQUEST_WEIGHT\",\"interval\":\"" +
                    std::string(minutes ? "MINUTE" : "SECOND") +
                    "\",\"intervalNum\":" + std::to_string(std::max<std::int64_t>(num, 1)) +
                    ",\"limit\":" + std::to_string(ex.config.weight_limit) +
                    ",\"count\":" + std::to_string(ex.used_weight()) + "}";
  if (orders) {
    out += ",{\"rateLimitType\":\"ORDERS\",\"interval\":\"SECOND\",\"intervalNum\":10,\"limit\":" +
           std::to_string(ex.config.order_limit_10s) +
           ",\"count\":" + std::to_string(ex.orders_10s) +
           "},{\"rateLimitType\":\"ORDERS\",\"interval\":\"DAY\",\"intervalNum\":1,\"limit\":"
           "200000,\"count\":" +
           std::to_string(ex.orders_1d) + "}";
  }
  return out + "]";
}

std::string success(const Exchange& ex, std::string_view id_json, std::string_view result,
                    bool orders) {
  return "{\"id\":" + std::string(id_json) + ",\"status\":200,\"result\":" + std::string(result) +
         ",\"rateLimits\":" + rate_limits_json(ex, orders) + "}";
}

// A REST-shaped refusal ({"code","msg"}) as a WebSocket API error; rate limits carry
// data.retryAfter, the venue time when the limit lifts.
std::string refusal(const Exchange& ex, std::string_view id_json, const Answer& a, bool orders,
                    std::int64_t t) {
  std::string error = a.body;
  if (a.retry_after_s > 0 && error.ends_with('}')) {
    const std::int64_t until = a.status == 418 ? ex.banned_until_ms() : t + a.retry_after_s * 1000;
    error.pop_back();
    error += ",\"data\":{\"serverTime\":" + std::to_string(t) +
             ",\"retryAfter\":" + std::to_string(until) + "}}";
  }
  return "{\"id\":" + std::string(id_json) + ",\"status\":" + std::to_string(a.status) +
         ",\"error\":" + error + ",\"rateLimits\":" + rate_limits_json(ex, orders) + "}";
}

// apiKey and signature, or a logged-on session; then the timestamp.
std::optional<Answer> authenticate(const Exchange& ex, const WsApiSession& session,
                                   const Params& params, std::int64_t t) {
  const auto signature = params.get("signature");
  if (!signature) {
    if (session.authorized_ms == 0) {
      return Answer{400, error_body(-1102,
                                    "Mandatory parameter 'apiKey' was not sent, was empty/null, "
                                    "or malformed.")};
    }
    return ex.check_time(params, t);
  }
  const auto api_key = params.get("apiKey");
  if (!api_key || *api_key != ex.config.api_key) {
    return Answer{401, error_body(-2015, "Invalid API-key, IP, or permissions for action.")};
  }
  return ex.check_signature_and_time(params, signature_payload(params), *signature, t);
}

std::string session_json(const Exchange& ex, const WsApiSession& s, std::int64_t t) {
  const bool authorized = s.authorized_ms != 0;
  return "{\"apiKey\":" + (authorized ? "\"" + ex.config.api_key + "\"" : std::string("null")) +
         ",\"authorizedSince\":" +
         (authorized ? std::to_string(s.authorized_ms) : std::string("null")) +
         ",\"connectedSince\":" + std::to_string(s.connected_ms) +
         ",\"returnRateLimits\":true,\"serverTime\":" + std::to_string(t) +
         ",\"userDataStream\":" + (s.subscription ? "true" : "false") + "}";
}

std::string subscribe(const Exchange& ex, WsApiSession& s, std::string_view id_json) {
  s.subscription = s.next_subscription++;
  return success(ex, id_json, "{\"subscriptionId\":" + std::to_string(*s.subscription) + "}",
                 false);
}

}  // namespace

std::optional<WsApiCall> parse_ws_api_request(std::string_view text) {
  od::parser parser;
  simdjson::padded_string padded(text);
  od::document doc;
  od::object obj;
  if (parser.iterate(padded).get(doc) || doc.get_object().get(obj)) return std::nullopt;
  WsApiCall r;
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return std::nullopt;
    od::value v = field.value();
    if (key == "id") {
      std::string_view raw = v.raw_json_token();
      while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n'))
        raw.remove_suffix(1);
      r.id_json = std::string(raw);
    } else if (key == "method") {
      std::string_view m;
      if (v.get_string().get(m)) return std::nullopt;
      r.method = std::string(m);
    } else if (key == "params") {
      od::object params;
      if (v.get_object().get(params)) return std::nullopt;
      for (auto p : params) {
        std::string_view k, value;
        if (p.unescaped_key().get(k)) return std::nullopt;
        od::value pv = p.value();
        if (pv.get_string().get(value) != simdjson::SUCCESS) {
          value = pv.raw_json_token();
          while (!value.empty() && (value.back() == ' ' || value.back() == '\n'))
            value.remove_suffix(1);
        }
        r.params.items.emplace_back(std::string(k), std::string(value));
      }
    }
  }
  if (r.method.empty()) return std::nullopt;
  return r;
}

std::string ws_api_error(const Exchange& exchange, std::string_view id_json, int status, int code,
                         std::string_view msg) {
  return refusal(exchange, id_json, Answer{status, error_body(code, msg)}, false,
                 exchange.now_ms());
}

std::string subscription_frame(std::uint64_t subscription, std::string_view event) {
  return "{\"subscriptionId\":" + std::to_string(subscription) +
         ",\"event\":" + std::string(event) + "}";
}

std::string ws_api_answer(Exchange& ex, WsApiSession& s, const WsApiCall& r) {
  const std::int64_t t = ex.now_ms();
  const Method* method = find_method(r.method);
  if (method == nullptr) {
    return ws_api_error(ex, r.id_json, 400, -1100, "Unknown method: '" + r.method + "'.");
  }
  const bool is_order = r.method == "order.place";
  std::int64_t weight = method->weight;
  if (r.method == "openOrders.status" && !r.params.get("symbol")) weight = 80;
  if (auto refused = ex.charge_weight(t, weight))
    return refusal(ex, r.id_json, *refused, is_order, t);

  if (r.method == "ping") return success(ex, r.id_json, "{}", false);
  if (r.method == "time") {
    return success(ex, r.id_json, "{\"serverTime\":" + std::to_string(t) + "}", false);
  }
  if (r.method == "session.status") return success(ex, r.id_json, session_json(ex, s, t), false);
  if (r.method == "session.logon") {
    // Ed25519 keys only: an HMAC key cannot log a session on.
    if (ex.config.ed25519_public_pem.empty()) {
      return ws_api_error(ex, r.id_json, 400, -4056,
                          "HMAC_SHA256 API key is not supported for this request.");
    }
    if (!r.params.get("signature")) {
      return ws_api_error(ex, r.id_json, 400, -1102,
                          "Mandatory parameter 'signature' was not sent, was empty/null, or "
                          "malformed.");
    }
    if (auto refused = authenticate(ex, s, r.params, t)) {
      return refusal(ex, r.id_json, *refused, false, t);
    }
    s.authorized_ms = t;
    return success(ex, r.id_json, session_json(ex, s, t), false);
  }
  if (r.method == "userDataStream.subscribe") {
    if (s.authorized_ms == 0) {
      return ws_api_error(ex, r.id_json, 401, -2015,
                          "Invalid API-key, IP, or permissions for action.");
    }
    return subscribe(ex, s, r.id_json);
  }
  if (r.method == "userDataStream.unsubscribe") {
    s.subscription.reset();
    return success(ex, r.id_json, "{}", false);
  }
  if (auto refused = authenticate(ex, s, r.params, t)) {
    return refusal(ex, r.id_json, *refused, is_order, t);
  }
  if (r.method == "userDataStream.subscribe.signature") return subscribe(ex, s, r.id_json);
  Answer a;
  if (is_order) {
    if (auto refused = ex.charge_order(t)) return refusal(ex, r.id_json, *refused, true, t);
    a = ex.new_order(r.params);
  } else if (r.method == "order.cancel") {
    a = ex.cancel_order(r.params);
  } else if (r.method == "order.status") {
    a = ex.query_order(r.params);
  } else if (r.method == "openOrders.status") {
    a = ex.open_orders(r.params);
  } else {
    a = ex.account();
  }
  if (a.status != 200) return refusal(ex, r.id_json, a, is_order, t);
  return success(ex, r.id_json, a.body, is_order);
}

}  // namespace be::binance::mock
