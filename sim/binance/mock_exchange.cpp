// The only translation unit of be_sim_binance that includes Beast/Asio.
#include "sim/binance/mock_exchange.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#pragma GCC diagnostic pop

#include "core/fixed_point.hpp"
#include "oms/venues/binance/signing.hpp"

namespace be::binance::mock {

// Products of two fixed-point values need 128 bits before the rescale.
__extension__ typedef __int128 Int128;

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

constexpr std::int64_t kOne = 100'000'000;  // 1.0 at scale 8

std::string dec(std::int64_t v) {
  return decimal_to_string(v, kScale);
}

std::int64_t notional(std::int64_t price, std::int64_t qty) {
  return static_cast<std::int64_t>(static_cast<Int128>(price) * qty / kOne);
}

struct Params {
  std::vector<std::pair<std::string, std::string>> items;
  std::optional<std::string_view> get(std::string_view key) const {
    for (const auto& [k, v] : items)
      if (k == key) return std::string_view(v);
    return std::nullopt;
  }
};

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

struct MockOrder {
  std::string symbol;
  std::uint64_t order_id = 0;
  std::string client_id;
  bool buy = true;
  std::string type;  // LIMIT, MARKET, LIMIT_MAKER
  std::string tif;   // GTC, IOC, FOK
  std::int64_t price = 0;
  std::int64_t qty = 0;
  std::int64_t executed = 0;
  std::int64_t cum_quote = 0;
  std::string status = "NEW";
  std::int64_t time_ms = 0;
  std::int64_t update_ms = 0;
};

struct Answer {
  int status = 200;
  std::string body;
  std::int64_t retry_after_s = 0;
  bool order_counts = false;
  bool drop_connection = false;
  std::chrono::milliseconds delay{0};
};

std::string error_body(int code, std::string_view msg) {
  return "{\"code\":" + std::to_string(code) + ",\"msg\":\"" + std::string(msg) + "\"}";
}

}  // namespace

struct MockExchange::Impl {
  MockConfig config;
  const IngressClock& wall;

  mutable std::mutex mutex;
  mutable std::condition_variable cv;  // stream queues, stop, waits
  bool running = false;
  std::uint16_t port = 0;

  // Exchange state.
  std::map<std::string, MockSymbol> symbols;
  std::map<std::string, MockBalance> balances;
  std::vector<MockOrder> orders;  // every order ever, by creation
  std::uint64_t next_order_id = 1000;
  std::uint64_t next_trade_id = 5000;
  std::map<std::string, int> received_by_client;
  std::map<std::string, int> created_by_client;
  std::int64_t clock_offset_ms = 0;

  // Limits.
  std::int64_t window = -1, used_weight = 0;
  std::int64_t order_window = -1, orders_10s = 0, orders_1d = 0;
  int violations = 0;
  std::int64_t banned_until_ms = 0;

  // Faults.
  int fail_count = 0;
  FaultMode fail_mode = FaultMode::kServerErrorBeforeProcessing;
  std::string fail_filter;
  std::chrono::milliseconds fail_delay{0};
  std::chrono::milliseconds response_delay{0};

  // User streams.
  std::set<std::string> listen_keys;
  std::uint64_t next_listen_key = 1;
  struct Session {
    std::deque<std::string> outbox;
    bool drop = false;
  };
  std::map<std::uint64_t, std::shared_ptr<Session>> sessions;
  std::uint64_t next_session = 1;
  int stream_connections = 0;

  std::vector<RequestLogEntry> log;

  // Threads and sockets.
  asio::io_context ioc;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::thread accept_thread;
  std::vector<std::thread> connection_threads;
  std::set<int> open_fds;

  Impl(MockConfig c, const IngressClock& w) : config(std::move(c)), wall(w) {
    for (const auto& s : config.symbols)
      symbols[s.symbol] = s;
    for (const auto& b : config.balances)
      balances[b.asset] = b;
  }

  std::int64_t now_ms() const { return wall.now() / 1'000'000 + clock_offset_ms; }

  // ---- user stream (mutex held) ----
  void push_locked(const std::string& text) {
    for (auto& [id, s] : sessions)
      s->outbox.push_back(text);
    cv.notify_all();
  }

  void push_execution(const MockOrder& o, std::string_view exec, std::int64_t last_qty,
                      std::int64_t last_price, std::uint64_t trade_id,
                      std::string_view cancel_client_id = {}) {
    const MockSymbol& sym = symbols[o.symbol];
    const std::int64_t t = now_ms();
    std::string m =
        "{\"e\":\"executionReport\",\"E\":" + std::to_string(t) + ",\"s\":\"" + o.symbol +
        "\",\"c\":\"" +
        std::string(cancel_client_id.empty() ? std::string_view(o.client_id) : cancel_client_id) +
        "\",\"S\":\"" + (o.buy ? "BUY" : "SELL") + "\",\"o\":\"" + o.type + "\",\"f\":\"" +
        (o.tif.empty() ? "GTC" : o.tif) + "\",\"q\":\"" + dec(o.qty) + "\",\"p\":\"" +
        dec(o.price) + "\",\"P\":\"0.00000000\",\"F\":\"0.00000000\"," + "\"g\":-1,\"C\":\"" +
        (cancel_client_id.empty() ? "" : o.client_id) + "\",\"x\":\"" + std::string(exec) +
        "\",\"X\":\"" + o.status + "\",\"r\":\"NONE\",\"i\":" + std::to_string(o.order_id) +
        ",\"l\":\"" + dec(last_qty) + "\",\"z\":\"" + dec(o.executed) + "\",\"L\":\"" +
        dec(last_price) +
        "\",\"n\":\"0\",\"N\":" + (trade_id != 0 ? "\"" + sym.quote + "\"" : std::string("null")) +
        ",\"T\":" + std::to_string(t) +
        ",\"t\":" + (trade_id != 0 ? std::to_string(trade_id) : std::string("-1")) +
        ",\"v\":0,\"I\":1,\"w\":" +
        (o.status == "NEW" || o.status == "PARTIALLY_FILLED" ? "true" : "false") +
        ",\"m\":" + (o.type == "MARKET" ? "false" : "true") +
        ",\"M\":false,\"O\":" + std::to_string(o.time_ms) + ",\"Z\":\"" + dec(o.cum_quote) +
        "\",\"Y\":\"" + dec(notional(last_price, last_qty)) +
        "\",\"Q\":\"0.00000000\",\"W\":" + std::to_string(o.time_ms) + ",\"V\":\"EXPIRE_MAKER\"}";
    push_locked(m);
  }

  void push_account(const std::vector<std::string>& assets) {
    const std::int64_t t = now_ms();
    std::string m = "{\"e\":\"outboundAccountPosition\",\"E\":" + std::to_string(t) +
                    ",\"u\":" + std::to_string(t) + ",\"B\":[";
    bool first = true;
    for (const auto& a : assets) {
      const auto& b = balances[a];
      if (!first) m += ",";
      first = false;
      m += "{\"a\":\"" + a + "\",\"f\":\"" + dec(b.free) + "\",\"l\":\"" + dec(b.locked) + "\"}";
    }
    m += "]}";
    push_locked(m);
  }

  // ---- matching (mutex held) ----
  // Fills `qty` of `o` at `price`: balances move from locked to the other asset.
  void fill(MockOrder& o, std::int64_t qty, std::int64_t price) {
    const MockSymbol& sym = symbols[o.symbol];
    auto& base = balances[sym.base];
    auto& quote = balances[sym.quote];
    base.asset = sym.base;
    quote.asset = sym.quote;
    const std::int64_t value = notional(price, qty);
    if (o.buy) {
      // Locked at the limit price (market: at the fill price); release the whole lock share.
      const std::int64_t lock_price = o.type == "MARKET" ? price : o.price;
      const std::int64_t locked_share = notional(lock_price, qty);
      quote.locked -= locked_share;
      quote.free += locked_share - value;
      base.free += qty;
    } else {
      base.locked -= qty;
      quote.free += value;
    }
    o.executed += qty;
    o.cum_quote += value;
    o.status = o.executed == o.qty ? "FILLED" : "PARTIALLY_FILLED";
    o.update_ms = now_ms();
    push_execution(o, "TRADE", qty, price, next_trade_id++);
    push_account({sym.base, sym.quote});
  }

  void release(MockOrder& o) {
    const MockSymbol& sym = symbols[o.symbol];
    const std::int64_t remaining = o.qty - o.executed;
    if (o.buy) {
      const std::int64_t v = notional(o.price, remaining);
      balances[sym.quote].locked -= v;
      balances[sym.quote].free += v;
    } else {
      balances[sym.base].locked -= remaining;
      balances[sym.base].free += remaining;
    }
  }

  MockOrder* find_order(std::string_view symbol, const Params& p) {
    const auto client = p.get("origClientOrderId");
    const auto id = p.get("orderId");
    // The newest order with that client id is the one Binance reports.
    for (auto it = orders.rbegin(); it != orders.rend(); ++it) {
      if (it->symbol != symbol) continue;
      if (client && it->client_id == *client) return &*it;
      if (id && std::to_string(it->order_id) == *id) return &*it;
    }
    return nullptr;
  }

  std::string order_json(const MockOrder& o, bool full) const {
    std::string m = "{\"symbol\":\"" + o.symbol + "\",\"orderId\":" + std::to_string(o.order_id) +
                    ",\"orderListId\":-1,\"clientOrderId\":\"" + o.client_id + "\"";
    if (!full) return m + ",\"transactTime\":" + std::to_string(o.time_ms) + "}";
    m += ",\"price\":\"" + dec(o.price) + "\",\"origQty\":\"" + dec(o.qty) +
         "\",\"executedQty\":\"" + dec(o.executed) + "\",\"cummulativeQuoteQty\":\"" +
         dec(o.cum_quote) + "\",\"status\":\"" + o.status + "\",\"timeInForce\":\"" +
         (o.tif.empty() ? "GTC" : o.tif) + "\",\"type\":\"" + o.type + "\",\"side\":\"" +
         (o.buy ? "BUY" : "SELL") +
         "\",\"stopPrice\":\"0.00000000\",\"time\":" + std::to_string(o.time_ms) +
         ",\"updateTime\":" + std::to_string(o.update_ms) +
         ",\"isWorking\":true,\"origQuoteOrderQty\":\"0.00000000\",\"selfTradePreventionMode\":"
         "\"EXPIRE_MAKER\"}";
    return m;
  }

  // ---- endpoints (mutex held) ----
  Answer new_order(const Params& p) {
    const auto symbol_text = p.get("symbol");
    if (!symbol_text)
      return {400, error_body(
                       -1102,
                       "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")};
    const auto sym_it = symbols.find(std::string(*symbol_text));
    if (sym_it == symbols.end()) return {400, error_body(-1121, "Invalid symbol.")};
    const MockSymbol& sym = sym_it->second;
    MockOrder o;
    o.symbol = sym.symbol;
    const auto side = p.get("side");
    const auto type = p.get("type");
    const auto qty_text = p.get("quantity");
    if (!side || (*side != "BUY" && *side != "SELL")) {
      return {400,
              error_body(-1102,
                         "Mandatory parameter 'side' was not sent, was empty/null, or malformed.")};
    }
    if (!type || (*type != "LIMIT" && *type != "MARKET" && *type != "LIMIT_MAKER")) {
      return {400, error_body(-1116, "Invalid orderType.")};
    }
    if (!qty_text) {
      return {
          400,
          error_body(-1102,
                     "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed.")};
    }
    o.buy = *side == "BUY";
    o.type = std::string(*type);
    const auto qty = parse_decimal(*qty_text, kScale);
    if (!qty || qty.value() <= 0) {
      return {400, error_body(-1100,
                              "Illegal characters found in parameter 'quantity'; legal range is "
                              "'^([0-9]{1,20})(\\\\.[0-9]{1,20})?$'.")};
    }
    o.qty = qty.value();
    if (o.type != "MARKET") {
      const auto price_text = p.get("price");
      if (!price_text) {
        return {
            400,
            error_body(-1102,
                       "Mandatory parameter 'price' was not sent, was empty/null, or malformed.")};
      }
      const auto price = parse_decimal(*price_text, kScale);
      if (!price || price.value() <= 0) {
        return {400, error_body(-1100,
                                "Illegal characters found in parameter 'price'; legal range is "
                                "'^([0-9]{1,20})(\\\\.[0-9]{1,20})?$'.")};
      }
      o.price = price.value();
      if (o.type == "LIMIT") {
        const auto tif = p.get("timeInForce");
        if (!tif) {
          return {
              400,
              error_body(
                  -1102,
                  "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.")};
        }
        o.tif = std::string(*tif);
      }
    }
    o.client_id = std::string(p.get("newClientOrderId").value_or(""));
    if (o.client_id.empty()) o.client_id = "mock" + std::to_string(next_order_id);
    ++received_by_client[o.client_id];
    for (const auto& existing : orders) {
      if (existing.client_id == o.client_id &&
          (existing.status == "NEW" || existing.status == "PARTIALLY_FILLED")) {
        return {400, error_body(-2010, "Duplicate order sent.")};
      }
    }
    // exchangeInfo filters, in Binance's order.
    if (o.type != "MARKET" && sym.tick_size > 0 && o.price % sym.tick_size != 0) {
      return {400, error_body(-1013, "Filter failure: PRICE_FILTER")};
    }
    if ((sym.step_size > 0 && o.qty % sym.step_size != 0) || o.qty < sym.min_qty) {
      return {400, error_body(-1013, "Filter failure: LOT_SIZE")};
    }
    const std::int64_t ref_price = o.type == "MARKET" ? sym.market_price : o.price;
    if (notional(ref_price, o.qty) < sym.min_notional) {
      return {400, error_body(-1013, "Filter failure: NOTIONAL")};
    }
    auto& base = balances[sym.base];
    auto& quote = balances[sym.quote];
    base.asset = sym.base;
    quote.asset = sym.quote;
    if (o.buy) {
      const std::int64_t need = notional(ref_price, o.qty);
      if (quote.free < need) {
        return {400, error_body(-2010, "Account has insufficient balance for requested action.")};
      }
      quote.free -= need;
      quote.locked += need;
    } else {
      if (base.free < o.qty) {
        return {400, error_body(-2010, "Account has insufficient balance for requested action.")};
      }
      base.free -= o.qty;
      base.locked += o.qty;
    }
    o.order_id = next_order_id++;
    o.time_ms = o.update_ms = now_ms();
    if (o.type == "MARKET") o.price = 0;
    ++created_by_client[o.client_id];
    orders.push_back(o);
    MockOrder& placed = orders.back();
    push_execution(placed, "NEW", 0, 0, 0);
    push_account({sym.base, sym.quote});
    if (placed.type == "MARKET") {
      fill(placed, placed.qty, sym.market_price);
    } else if (placed.tif == "IOC" || placed.tif == "FOK") {
      const bool crosses =
          placed.buy ? placed.price >= sym.market_price : placed.price <= sym.market_price;
      if (crosses && sym.market_price > 0) {
        fill(placed, placed.qty, sym.market_price);
      } else {
        release(placed);
        placed.status = "EXPIRED";
        placed.update_ms = now_ms();
        push_execution(placed, "EXPIRED", 0, 0, 0);
        push_account({sym.base, sym.quote});
      }
    }
    const auto resp_type = p.get("newOrderRespType").value_or("RESULT");
    Answer a{200, order_json(placed, resp_type != "ACK")};
    a.order_counts = true;
    return a;
  }

  Answer cancel_order(const Params& p) {
    const auto symbol = p.get("symbol");
    if (!symbol)
      return {400, error_body(
                       -1102,
                       "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")};
    if (symbols.find(std::string(*symbol)) == symbols.end()) {
      return {400, error_body(-1121, "Invalid symbol.")};
    }
    MockOrder* o = find_order(*symbol, p);
    if (o == nullptr || (o->status != "NEW" && o->status != "PARTIALLY_FILLED")) {
      return {400, error_body(-2011, "Unknown order sent.")};
    }
    release(*o);
    o->status = "CANCELED";
    o->update_ms = now_ms();
    const std::string cancel_id = "cancel" + std::to_string(o->order_id);
    push_execution(*o, "CANCELED", 0, 0, 0, cancel_id);
    const MockSymbol& sym = symbols[o->symbol];
    push_account({sym.base, sym.quote});
    std::string body = order_json(*o, true);
    body.insert(1, "\"origClientOrderId\":\"" + o->client_id + "\",");
    return {200, body};
  }

  Answer query_order(const Params& p) {
    const auto symbol = p.get("symbol");
    if (!symbol)
      return {400, error_body(
                       -1102,
                       "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")};
    MockOrder* o = find_order(*symbol, p);
    if (o == nullptr) return {400, error_body(-2013, "Order does not exist.")};
    return {200, order_json(*o, true)};
  }

  Answer open_orders(const Params& p) {
    const auto symbol = p.get("symbol");
    std::string body = "[";
    bool first = true;
    for (const auto& o : orders) {
      if (symbol && o.symbol != *symbol) continue;
      if (o.status != "NEW" && o.status != "PARTIALLY_FILLED") continue;
      if (!first) body += ",";
      first = false;
      body += order_json(o, true);
    }
    return {200, body + "]"};
  }

  Answer account() {
    std::string body =
        "{\"makerCommission\":0,\"takerCommission\":0,\"canTrade\":true,\"canWithdraw\":true,"
        "\"canDeposit\":true,\"accountType\":\"SPOT\",\"balances\":[";
    bool first = true;
    for (const auto& [asset, b] : balances) {
      if (!first) body += ",";
      first = false;
      body += "{\"asset\":\"" + asset + "\",\"free\":\"" + dec(b.free) + "\",\"locked\":\"" +
              dec(b.locked) + "\"}";
    }
    return {200, body + "],\"permissions\":[\"SPOT\"]}"};
  }

  Answer exchange_info() const {
    std::string body = "{\"timezone\":\"UTC\",\"serverTime\":" + std::to_string(now_ms()) +
                       ",\"rateLimits\":[{\"rateLimitType\":\"REQUEST_WEIGHT\",\"interval\":"
                       "\"MINUTE\",\"intervalNum\":1,\"limit\":" +
                       std::to_string(config.weight_limit) + "}],\"symbols\":[";
    bool first = true;
    for (const auto& [name, s] : symbols) {
      if (!first) body += ",";
      first = false;
      body += "{\"symbol\":\"" + name + "\",\"status\":\"TRADING\",\"baseAsset\":\"" + s.base +
              "\",\"quoteAsset\":\"" + s.quote +
              "\",\"filters\":[{\"filterType\":\"PRICE_FILTER\",\"minPrice\":\"" +
              dec(s.tick_size) + "\",\"maxPrice\":\"1000000.00000000\",\"tickSize\":\"" +
              dec(s.tick_size) + "\"},{\"filterType\":\"LOT_SIZE\",\"minQty\":\"" + dec(s.min_qty) +
              "\",\"maxQty\":\"9000.00000000\",\"stepSize\":\"" + dec(s.step_size) +
              "\"},{\"filterType\":\"NOTIONAL\",\"minNotional\":\"" + dec(s.min_notional) +
              "\",\"applyMinToMarket\":true,\"maxNotional\":\"9000000.00000000\","
              "\"applyMaxToMarket\":false,\"avgPriceMins\":5}]}";
    }
    return {200, body + "]}"};
  }

  // Weight, auth, then the endpoint. Mutex held.
  Answer dispatch(const http::request<http::string_body>& req, std::string& method,
                  std::string& path) {
    method = std::string(req.method_string());
    const std::string_view target(req.target().data(), req.target().size());
    const auto q = target.find('?');
    path = std::string(target.substr(0, q));
    const std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
    const std::string_view body(req.body().data(), req.body().size());
    const std::string key = method + " " + path;

    std::int64_t weight = 1;
    bool is_signed = false;
    bool needs_key = false;
    if (key == "POST /api/v3/order" || key == "DELETE /api/v3/order") {
      is_signed = true;
    } else if (key == "GET /api/v3/order") {
      weight = 4, is_signed = true;
    } else if (key == "GET /api/v3/openOrders") {
      weight = query.find("symbol=") == std::string_view::npos ? 80 : 6, is_signed = true;
    } else if (key == "GET /api/v3/account") {
      weight = 20, is_signed = true;
    } else if (key == "GET /api/v3/exchangeInfo") {
      weight = 20;
    } else if (path == "/api/v3/userDataStream") {
      weight = 2, needs_key = true;
    }

    // Rate limits first: Binance counts and refuses before it looks at the request.
    const std::int64_t t = now_ms();
    if (t < banned_until_ms) {
      Answer a{418, error_body(-1003, "Way too much request weight used; IP banned until " +
                                          std::to_string(banned_until_ms) +
                                          ". Please use WebSocket Streams for live updates to "
                                          "avoid bans.")};
      a.retry_after_s = (banned_until_ms - t + 999) / 1000;
      return a;
    }
    const std::int64_t w = t / config.window_ms;
    if (w != window) window = w, used_weight = 0;
    used_weight += weight;
    if (used_weight > config.weight_limit) {
      ++violations;
      if (config.ban_after_violations > 0 && violations >= config.ban_after_violations) {
        banned_until_ms = t + config.ban_seconds * 1000;
        Answer a{418, error_body(-1003, "Way too much request weight used; IP banned until " +
                                            std::to_string(banned_until_ms) + ".")};
        a.retry_after_s = config.ban_seconds;
        return a;
      }
      Answer a{429, error_body(-1003, "Too much request weight used; current limit is " +
                                          std::to_string(config.weight_limit) +
                                          " request weight per 1 MINUTE. Please use WebSocket "
                                          "Streams for live updates to avoid polling the API.")};
      a.retry_after_s = std::max<std::int64_t>(1, ((w + 1) * config.window_ms - t + 999) / 1000);
      return a;
    }

    Params params = parse_params(query);
    for (auto& item : parse_params(body).items)
      params.items.push_back(std::move(item));
    if (is_signed || needs_key) {
      const auto api_key = req.find("X-MBX-APIKEY");
      if (api_key == req.end() || api_key->value() != config.api_key) {
        return {401, error_body(-2015, "Invalid API-key, IP, or permissions for action.")};
      }
    }
    if (is_signed) {
      const auto signature = params.get("signature");
      if (!signature)
        return {400,
                error_body(
                    -1102,
                    "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.")};
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
      if (!signature_equal(hmac_sha256_hex(config.secret, total), *signature)) {
        return {400, error_body(-1022, "Signature for this request is not valid.")};
      }
      const auto ts_text = params.get("timestamp");
      std::int64_t ts = 0;
      std::int64_t recv_window = 5000;
      if (ts_text) std::from_chars(ts_text->data(), ts_text->data() + ts_text->size(), ts);
      if (const auto rw = params.get("recvWindow")) {
        std::from_chars(rw->data(), rw->data() + rw->size(), recv_window);
      }
      if (!ts_text || ts >= t + 1000 || t - ts > recv_window) {
        return {400, error_body(-1021, "Timestamp for this request is outside of the recvWindow.")};
      }
    }

    if (key == "GET /api/v3/ping") return {200, "{}"};
    if (key == "GET /api/v3/time") return {200, "{\"serverTime\":" + std::to_string(t) + "}"};
    if (key == "GET /api/v3/exchangeInfo") return exchange_info();
    if (key == "POST /api/v3/order") {
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
      return new_order(params);
    }
    if (key == "DELETE /api/v3/order") return cancel_order(params);
    if (key == "GET /api/v3/order") return query_order(params);
    if (key == "GET /api/v3/openOrders") return open_orders(params);
    if (key == "GET /api/v3/account") return account();
    if (key == "POST /api/v3/userDataStream") {
      const std::string lk = "mocklistenkey" + std::to_string(next_listen_key++);
      listen_keys.insert(lk);
      return {200, "{\"listenKey\":\"" + lk + "\"}"};
    }
    if (key == "PUT /api/v3/userDataStream" || key == "DELETE /api/v3/userDataStream") {
      const auto lk = params.get("listenKey");
      if (!lk || listen_keys.count(std::string(*lk)) == 0) {
        return {400, error_body(-1125, "This listenKey does not exist.")};
      }
      if (method == "DELETE") listen_keys.erase(std::string(*lk));
      return {200, "{}"};
    }
    return {404, error_body(-1000, "Unknown endpoint.")};
  }

  // Applies an armed fault to this request. Mutex held.
  std::optional<FaultMode> take_fault(const std::string& key) {
    if (fail_count <= 0) return std::nullopt;
    if (!fail_filter.empty() && fail_filter != key) return std::nullopt;
    --fail_count;
    return fail_mode;
  }

  http::response<http::string_body> to_response(const Answer& a, unsigned version,
                                                bool keep_alive) {
    http::response<http::string_body> res{static_cast<http::status>(a.status), version};
    res.set(http::field::content_type, "application/json;charset=UTF-8");
    res.set("X-MBX-USED-WEIGHT-1M", std::to_string(used_weight));
    if (a.order_counts) {
      res.set("X-MBX-ORDER-COUNT-10S", std::to_string(orders_10s));
      res.set("X-MBX-ORDER-COUNT-1D", std::to_string(orders_1d));
    }
    if (a.retry_after_s > 0) res.set(http::field::retry_after, std::to_string(a.retry_after_s));
    res.keep_alive(keep_alive);
    res.body() = a.body;
    res.prepare_payload();
    return res;
  }

  // Sleeps unless the mock stops first. Mutex not held.
  void interruptible_sleep(std::chrono::milliseconds d) {
    std::unique_lock lock(mutex);
    cv.wait_for(lock, d, [this] { return !running; });
  }

  void serve_ws(tcp::socket socket, http::request<http::string_body> req) {
    const std::string_view target(req.target().data(), req.target().size());
    const std::string lk(target.substr(target.rfind('/') + 1));
    websocket::stream<tcp::socket> ws(std::move(socket));
    beast::error_code ec;
    {
      std::lock_guard lock(mutex);
      if (!target.starts_with("/ws/") || listen_keys.count(lk) == 0) {
        ec = websocket::error::no_connection;
      }
    }
    if (ec) {
      http::response<http::string_body> res{http::status::bad_request, req.version()};
      res.body() = error_body(-1125, "This listenKey does not exist.");
      res.prepare_payload();
      http::write(ws.next_layer(), res, ec);
      return;
    }
    // Registered before the handshake completes: once the client sees the handshake, the
    // session exists, so a report pushed (or a drop asked for) right after it is not missed.
    auto session = std::make_shared<Session>();
    std::uint64_t id = 0;
    {
      std::lock_guard lock(mutex);
      id = next_session++;
      sessions[id] = session;
      ++stream_connections;
      cv.notify_all();
    }
    ws.accept(req, ec);
    if (ec) {
      std::lock_guard lock(mutex);
      sessions.erase(id);
      return;
    }
    for (;;) {
      std::string text;
      {
        std::unique_lock lock(mutex);
        cv.wait(lock, [&] { return !running || session->drop || !session->outbox.empty(); });
        if (!running || session->drop) break;
        text = std::move(session->outbox.front());
        session->outbox.pop_front();
      }
      ws.text(true);
      ws.write(asio::buffer(text), ec);
      if (ec) break;
    }
    {
      std::lock_guard lock(mutex);
      sessions.erase(id);
    }
    // An abrupt drop, like a venue-side disconnect: no close frame.
    ws.next_layer().close(ec);
  }

  void serve(tcp::socket socket) {
    beast::flat_buffer buffer;
    beast::error_code ec;
    for (;;) {
      http::request<http::string_body> req;
      http::read(socket, buffer, req, ec);
      if (ec) break;
      if (websocket::is_upgrade(req)) {
        serve_ws(std::move(socket), std::move(req));
        return;
      }
      std::string method, path;
      Answer a;
      std::optional<FaultMode> fault;
      std::chrono::milliseconds delay{0};
      {
        std::lock_guard lock(mutex);
        const std::string target(req.target().data(), req.target().size());
        const std::string key =
            std::string(req.method_string()) + " " + target.substr(0, target.find('?'));
        fault = take_fault(key);
        if (fault == FaultMode::kServerErrorBeforeProcessing) {
          method = std::string(req.method_string());
          path = target.substr(0, target.find('?'));
          a = {500, error_body(-1000, "An unknown error occurred while processing the request.")};
        } else {
          a = dispatch(req, method, path);
          if (fault == FaultMode::kServerErrorAfterProcessing) {
            a = {500, error_body(-1000, "An unknown error occurred while processing the request.")};
          } else if (fault == FaultMode::kTimeoutAfterProcessing) {
            a.drop_connection = true;
            delay = fail_delay;
          }
        }
        log.push_back(RequestLogEntry{monotonic_now(), method, path,
                                      a.drop_connection ? 0 : a.status, a.retry_after_s});
        if (delay.count() == 0) delay = response_delay;
        cv.notify_all();
      }
      if (delay.count() > 0) interruptible_sleep(delay);
      if (a.drop_connection) break;
      http::response<http::string_body> res;
      {
        std::lock_guard lock(mutex);
        res = to_response(a, req.version(), req.keep_alive());
      }
      http::write(socket, res, ec);
      if (ec || !req.keep_alive()) break;
    }
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
  }

  void accept_loop() {
    for (;;) {
      beast::error_code ec;
      tcp::socket socket(ioc);
      acceptor->accept(socket, ec);
      std::lock_guard lock(mutex);
      if (!running) {
        socket.close(ec);
        return;
      }
      if (ec) continue;
      const int fd = socket.native_handle();
      open_fds.insert(fd);
      connection_threads.emplace_back([this, fd, s = std::move(socket)]() mutable {
        serve(std::move(s));
        std::lock_guard inner(mutex);
        open_fds.erase(fd);
      });
    }
  }
};

MockExchange::MockExchange(MockConfig config, const IngressClock& wall_clock)
    : impl_(std::make_unique<Impl>(std::move(config), wall_clock)) {}

MockExchange::~MockExchange() {
  stop();
}

Expected<std::uint16_t, std::string> MockExchange::start() {
  auto& s = *impl_;
  beast::error_code ec;
  s.acceptor = std::make_unique<tcp::acceptor>(s.ioc);
  const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  s.acceptor->open(ep.protocol(), ec);
  if (!ec) s.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor->bind(ep, ec);
  if (!ec) s.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Unexpected("mock exchange cannot listen on 127.0.0.1: " + ec.message());
  s.port = s.acceptor->local_endpoint().port();
  {
    std::lock_guard lock(s.mutex);
    s.running = true;
  }
  s.accept_thread = std::thread([&s] { s.accept_loop(); });
  return s.port;
}

void MockExchange::stop() noexcept {
  auto& s = *impl_;
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(s.mutex);
    if (!s.running) return;
    s.running = false;
    // Unblocks accept() and every blocking read: shutdown(2) is safe from any thread.
    if (s.acceptor) ::shutdown(s.acceptor->native_handle(), SHUT_RDWR);
    for (int fd : s.open_fds)
      ::shutdown(fd, SHUT_RDWR);
    s.cv.notify_all();
  }
  if (s.accept_thread.joinable()) s.accept_thread.join();
  {
    std::lock_guard lock(s.mutex);
    threads.swap(s.connection_threads);
  }
  for (auto& t : threads)
    t.join();
  beast::error_code ec;
  if (s.acceptor) s.acceptor->close(ec);
}

std::string MockExchange::rest_url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->port);
}
std::string MockExchange::ws_url() const {
  return "ws://127.0.0.1:" + std::to_string(impl_->port);
}

void MockExchange::set_market_price(std::string_view symbol, std::int64_t price) {
  std::lock_guard lock(impl_->mutex);
  impl_->symbols[std::string(symbol)].market_price = price;
}

int MockExchange::cross(std::string_view symbol, std::int64_t price, std::int64_t quantity) {
  auto& s = *impl_;
  std::lock_guard lock(s.mutex);
  int fills = 0;
  std::int64_t budget = quantity > 0 ? quantity : INT64_MAX;
  for (auto& o : s.orders) {
    if (o.symbol != symbol || o.type == "MARKET") continue;
    if (o.status != "NEW" && o.status != "PARTIALLY_FILLED") continue;
    const bool through = o.buy ? price <= o.price : price >= o.price;
    if (!through || budget <= 0) continue;
    const std::int64_t qty = std::min(o.qty - o.executed, budget);
    budget -= qty;
    s.fill(o, qty, o.price);
    ++fills;
  }
  return fills;
}

void MockExchange::set_clock_offset_ms(std::int64_t offset) {
  std::lock_guard lock(impl_->mutex);
  impl_->clock_offset_ms = offset;
}

void MockExchange::set_weight_limit(std::int64_t limit) {
  std::lock_guard lock(impl_->mutex);
  impl_->config.weight_limit = limit;
}

void MockExchange::fail_next(int count, FaultMode mode, std::string_view method_path,
                             std::chrono::milliseconds delay) {
  std::lock_guard lock(impl_->mutex);
  impl_->fail_count = count;
  impl_->fail_mode = mode;
  impl_->fail_filter = std::string(method_path);
  impl_->fail_delay = delay;
}

void MockExchange::delay_responses(std::chrono::milliseconds delay) {
  std::lock_guard lock(impl_->mutex);
  impl_->response_delay = delay;
}

void MockExchange::drop_user_streams() {
  std::lock_guard lock(impl_->mutex);
  for (auto& [id, session] : impl_->sessions)
    session->drop = true;
  impl_->cv.notify_all();
}

void MockExchange::push_raw(std::string_view text) {
  std::lock_guard lock(impl_->mutex);
  impl_->push_locked(std::string(text));
}

MockBalance MockExchange::balance(std::string_view asset) const {
  std::lock_guard lock(impl_->mutex);
  const auto it = impl_->balances.find(std::string(asset));
  return it == impl_->balances.end() ? MockBalance{std::string(asset), 0, 0} : it->second;
}

int MockExchange::orders_received(std::string_view client_order_id) const {
  std::lock_guard lock(impl_->mutex);
  const auto it = impl_->received_by_client.find(std::string(client_order_id));
  return it == impl_->received_by_client.end() ? 0 : it->second;
}

int MockExchange::orders_created(std::string_view client_order_id) const {
  std::lock_guard lock(impl_->mutex);
  const auto it = impl_->created_by_client.find(std::string(client_order_id));
  return it == impl_->created_by_client.end() ? 0 : it->second;
}

int MockExchange::user_stream_connections() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->stream_connections;
}

int MockExchange::open_user_streams() const {
  std::lock_guard lock(impl_->mutex);
  return static_cast<int>(impl_->sessions.size());
}

std::vector<RequestLogEntry> MockExchange::request_log() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->log;
}

bool MockExchange::wait_for_user_streams(int connections, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->cv.wait_for(lock, timeout,
                            [&] { return impl_->stream_connections >= connections; });
}

bool MockExchange::wait_for_requests(std::string_view method, std::string_view path, int status,
                                     int count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->cv.wait_for(lock, timeout, [&] {
    return std::count_if(impl_->log.begin(), impl_->log.end(), [&](const RequestLogEntry& e) {
             return e.method == method && e.path == path && e.status == status;
           }) >= count;
  });
}

}  // namespace be::binance::mock
