// The Binance mock's REST side: request weight, bans, authentication and the endpoint table
// (exchange.hpp).
#include "sim/binance/exchange.hpp"

#include <algorithm>
#include <charconv>

#include "oms/venues/binance/signing.hpp"

namespace be::binance::mock {

// What api.binance.com answers on the removed listenKey endpoints (nginx's page, not JSON).
constexpr std::string_view kGoneBody =
    "<html>\r\n<head><title>410 Gone</title></head>\r\n<body>\r\n<center><h1>410 "
    "Gone</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

Params parse_params(std::string_view text) {
  Params p;
  while (!text.empty()) {
    const auto amp = text.find('&');
    const auto part = text.substr(0, amp);
    const auto eq = part.find('=');
    if (eq == std::string_view::npos) {
      p.items.emplace_back(std::string(part), "");
    } else {
      p.items.emplace_back(std::string(part.substr(0, eq)), std::string(part.substr(eq + 1)));
    }
    if (amp == std::string_view::npos) break;
    text.remove_prefix(amp + 1);
  }
  return p;
}

Answer Exchange::exchange_info() const {
  std::string body = "{\"timezone\":\"UTC\",\"serverTime\":" + std::to_string(now_ms()) +
                     ",\"rateLimits\":[{\"rateLimitType\":\"REQUEST_WEIGHT\",\"interval\":"
                     "\"MINUTE\",\"intervalNum\":1,\"limit\":" +
                     std::to_string(config.weight_limit) +
                     "},{\"rateLimitType\":\"ORDERS\",\"interval\":\"SECOND\",\"intervalNum\":10,"
                     "\"limit\":" +
                     std::to_string(config.order_limit_10s) +
                     "}],\"exchangeFilters\":[],\"symbols\":[";
  bool first = true;
  for (const auto& [name, s] : symbols) {
    if (!first) body += ",";
    first = false;
    // The symbol fields Binance documents (and clients such as ccxt read: orderTypes
    // decides which orders ccxt will send, permissionSets whether the market is active).
    body +=
        "{\"symbol\":\"" + name + "\",\"status\":\"TRADING\",\"baseAsset\":\"" + s.base +
        "\",\"baseAssetPrecision\":8,\"quoteAsset\":\"" + s.quote +
        "\",\"quotePrecision\":8,\"quoteAssetPrecision\":8,\"baseCommissionPrecision\":8,"
        "\"quoteCommissionPrecision\":8,\"orderTypes\":[\"LIMIT\",\"LIMIT_MAKER\",\"MARKET\"],"
        "\"icebergAllowed\":false,\"ocoAllowed\":false,\"otoAllowed\":false,"
        "\"quoteOrderQtyMarketAllowed\":false,\"allowTrailingStop\":false,"
        "\"cancelReplaceAllowed\":false,\"amendAllowed\":false,\"isSpotTradingAllowed\":true,"
        "\"isMarginTradingAllowed\":false,\"permissions\":[],\"permissionSets\":[[\"SPOT\"]],"
        "\"defaultSelfTradePreventionMode\":\"EXPIRE_MAKER\",\"allowedSelfTradePreventionModes\":"
        "[\"EXPIRE_MAKER\"],\"filters\":[{\"filterType\":\"PRICE_FILTER\",\"minPrice\":\"" +
        dec(s.tick_size) + "\",\"maxPrice\":\"1000000.00000000\",\"tickSize\":\"" +
        dec(s.tick_size) + "\"},{\"filterType\":\"LOT_SIZE\",\"minQty\":\"" + dec(s.min_qty) +
        "\",\"maxQty\":\"9000.00000000\",\"stepSize\":\"" + dec(s.step_size) +
        "\"},{\"filterType\":\"NOTIONAL\",\"minNotional\":\"" + dec(s.min_notional) +
        "\",\"applyMinToMarket\":true,\"maxNotional\":\"9000000.00000000\","
        "\"applyMaxToMarket\":false,\"avgPriceMins\":5}]}";
  }
  return {200, body + "]}"};
}

Answer Exchange::coins() {
  std::set<std::string> assets;
  for (const auto& [name, s] : symbols)
    assets.insert(s.base), assets.insert(s.quote);
  for (const auto& [asset, b] : balances)
    assets.insert(asset);
  std::string body = "[";
  for (const auto& asset : assets) {
    const MockBalance& b = balances[asset];
    if (body.size() > 1) body += ",";
    body += "{\"coin\":\"" + asset + "\",\"name\":\"" + asset + "\",\"free\":\"" + dec(b.free) +
            "\",\"locked\":\"" + dec(b.locked) +
            "\",\"freeze\":\"0\",\"withdrawing\":\"0\",\"ipoing\":\"0\",\"ipoable\":\"0\","
            "\"storage\":\"0\",\"isLegalMoney\":false,\"trading\":true,\"depositAllEnable\":false,"
            "\"withdrawAllEnable\":false,\"networkList\":[]}";
  }
  return {200, body + "]"};
}

// Request weight: Binance counts and refuses before it looks at the request. Mutex held.
std::optional<Answer> Exchange::charge_weight(std::int64_t t, std::int64_t weight) {
  IpWeight& w = *ip;  // the IP's, shared by the venue's accounts
  std::lock_guard lock(w.mutex);
  if (faults.rate_limited > 0) {
    --faults.rate_limited;
    if (faults.rate_status == 418) {
      w.banned_until_ms = std::max(w.banned_until_ms, t + faults.rate_retry_after_s * 1000);
    } else {
      Answer a{429, error_body(-1003, "Too much request weight used; current limit is " +
                                          std::to_string(config.weight_limit) +
                                          " request weight per 1 MINUTE.")};
      a.retry_after_s = faults.rate_retry_after_s;
      return a;
    }
  }
  if (t < w.banned_until_ms) {
    Answer a{418, error_body(-1003, "Way too much request weight used; IP banned until " +
                                        std::to_string(w.banned_until_ms) +
                                        ". Please use WebSocket Streams for live updates to "
                                        "avoid bans.")};
    a.retry_after_s = (w.banned_until_ms - t + 999) / 1000;
    return a;
  }
  const std::int64_t window = t / config.window_ms;
  if (window != w.window) w.window = window, w.used_weight = 0;
  w.used_weight += weight;
  if (w.used_weight > config.weight_limit) {
    ++w.violations;
    if (config.ban_after_violations > 0 && w.violations >= config.ban_after_violations) {
      w.banned_until_ms = t + config.ban_seconds * 1000;
      Answer a{418, error_body(-1003, "Way too much request weight used; IP banned until " +
                                          std::to_string(w.banned_until_ms) + ".")};
      a.retry_after_s = config.ban_seconds;
      return a;
    }
    Answer a{429, error_body(-1003, "Too much request weight used; current limit is " +
                                        std::to_string(config.weight_limit) +
                                        " request weight per 1 MINUTE. Please use WebSocket "
                                        "Streams for live updates to avoid polling the API.")};
    a.retry_after_s = std::max<std::int64_t>(1, ((window + 1) * config.window_ms - t + 999) / 1000);
    return a;
  }
  return std::nullopt;
}

// One more new order in the 10-second window, or the refusal (-1015).
std::optional<Answer> Exchange::charge_order(std::int64_t t) {
  const std::int64_t ow = t / 10'000;
  if (ow != order_window) order_window = ow, orders_10s = 0;
  if (orders_10s + 1 > config.order_limit_10s) {
    Answer a{429, error_body(-1015, "Too many new orders; current limit is " +
                                        std::to_string(config.order_limit_10s) +
                                        " orders per 10 SECOND.")};
    a.retry_after_s = std::max<std::int64_t>(1, ((ow + 1) * 10'000 - t + 999) / 1000);
    return a;
  }
  ++orders_10s, ++orders_1d;
  return std::nullopt;
}

bool Exchange::signature_valid(std::string_view payload, std::string_view signature) const {
  if (!config.ed25519_public_pem.empty()) {
    return ed25519_verify(config.ed25519_public_pem, payload, signature);
  }
  return signature_equal(hmac_sha256_hex(config.secret, payload), signature);
}

// The signature over `payload` and the timestamp inside recvWindow (not more than 1 s ahead).
std::optional<Answer> Exchange::check_signature_and_time(const Params& params,
                                                         std::string_view payload,
                                                         std::string_view signature,
                                                         std::int64_t t) const {
  if (!signature_valid(payload, signature)) {
    return Answer{400, error_body(-1022, "Signature for this request is not valid.")};
  }
  return check_time(params, t);
}

std::optional<Answer> Exchange::check_time(const Params& params, std::int64_t t) const {
  const auto ts_text = params.get("timestamp");
  std::int64_t ts = 0;
  std::int64_t recv_window = 5000;
  if (ts_text) std::from_chars(ts_text->data(), ts_text->data() + ts_text->size(), ts);
  if (const auto rw = params.get("recvWindow")) {
    std::from_chars(rw->data(), rw->data() + rw->size(), recv_window);
  }
  if (!ts_text || ts >= t + 1000 || t - ts > recv_window) {
    return Answer{400,
                  error_body(-1021, "Timestamp for this request is outside of the recvWindow.")};
  }
  return std::nullopt;
}

// Weight, auth, then the endpoint. Mutex held.
Answer Exchange::dispatch(std::string_view method_in, std::string_view target,
                          std::string_view body, std::string_view api_key, std::string& method,
                          std::string& path) {
  method = std::string(method_in);
  const auto q = target.find('?');
  path = std::string(target.substr(0, q));
  const std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
  const std::string key = method + " " + path;

  std::int64_t weight = 1;
  bool is_signed = false;
  if (key == "POST /api/v3/order" || key == "DELETE /api/v3/order") {
    is_signed = true;
  } else if (key == "GET /api/v3/order") {
    weight = 4, is_signed = true;
  } else if (key == "GET /api/v3/openOrders") {
    weight = query.find("symbol=") == std::string_view::npos ? 80 : 6, is_signed = true;
  } else if (key == "GET /api/v3/account" || key == "GET /api/v3/myTrades") {
    weight = 20, is_signed = true;
  } else if (key == "GET /api/v3/exchangeInfo") {
    weight = 20;
  } else if (path.starts_with("/sapi/")) {
    weight = 10, is_signed = true;
  } else if (path == "/api/v3/userDataStream") {
    // Binance removed the spot listenKey endpoints on 2026-02-20: its edge answers 410.
    return {410, std::string(kGoneBody)};
  }

  // Rate limits first: Binance counts and refuses before it looks at the request.
  const std::int64_t t = now_ms();
  if (auto refused = charge_weight(t, weight)) return *refused;

  Params params = parse_params(query);
  for (auto& item : parse_params(body).items)
    params.items.push_back(std::move(item));
  if (is_signed) {
    if (api_key.empty() || api_key != config.api_key) {
      return {401, error_body(-2015, "Invalid API-key, IP, or permissions for action.")};
    }
  }
  if (is_signed) {
    const auto signature = params.get("signature");
    if (!signature) return {400, missing_parameter("signature")};
    // totalParams = query string + body, without the signature itself.
    const auto strip = [](std::string_view part) {
      std::string out;
      for (const auto& [k, v] : parse_params(part).items) {
        if (k == "signature") continue;
        if (!out.empty()) out += '&';
        out += k + "=" + v;
      }
      return out;
    };
    const std::string total = strip(query) + strip(body);
    // An Ed25519 signature is base64, percent-encoded in the query.
    if (auto refused = check_signature_and_time(params, total, percent_decode(*signature), t)) {
      return *refused;
    }
  }

  if (key == "GET /api/v3/ping") return {200, "{}"};
  if (key == "GET /api/v3/time") return {200, "{\"serverTime\":" + std::to_string(t) + "}"};
  if (key == "GET /api/v3/exchangeInfo") return exchange_info();
  if (key == "POST /api/v3/order") {
    if (auto refused = charge_order(t)) return *refused;
    return new_order(params);
  }
  if (key == "DELETE /api/v3/order") return cancel_order(params);
  if (key == "GET /api/v3/order") return query_order(params);
  if (key == "GET /api/v3/openOrders") return open_orders(params);
  if (key == "GET /api/v3/account") return account();
  if (key == "GET /api/v3/myTrades") return my_trades(params);
  // Wallet endpoints a client reads at start (ccxt's loadMarkets, given keys): the coins
  // this venue's symbols name, and no margin pairs (spot only).
  if (key == "GET /sapi/v1/capital/config/getall") return coins();
  if (key == "GET /sapi/v1/margin/allPairs" || key == "GET /sapi/v1/margin/isolated/allPairs") {
    return {200, "[]"};
  }
  return {404, error_body(-1000, "Unknown endpoint.")};
}

}  // namespace be::binance::mock
