// The Binance mock's venue, without sockets: its state (symbols, balances, orders, limits,
// subscriptions) and its rules, in four files:
//   matching.cpp     orders: new, cancel, query, open orders, crosses, execution reports
//   ledger.cpp       balances: reserve on entry, move on fills, release on cancel/expiry
//   rest_routes.cpp  REST: weight and bans, API key and signature, the endpoint table
//   ws_api.cpp       the WebSocket API (ws_api.hpp) on the same orders, ledger and limits
// mock_exchange.cpp puts it on the server scaffold (net/server) and adds faults and the log.
//
// Thread-safety: none; MockExchange holds its mutex around every call. User-stream messages
// leave through `publish`, called with that mutex held.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/fixed_point.hpp"
#include "sim/binance/mock_exchange.hpp"

namespace be::binance::mock {

// Products of two fixed-point values need 128 bits before the rescale.
__extension__ typedef __int128 Int128;

inline constexpr std::int64_t kOne = 100'000'000;  // 1.0 at scale 8

inline std::string dec(std::int64_t v) {
  return decimal_to_string(v, kScale);
}

inline std::int64_t notional(std::int64_t price, std::int64_t qty) {
  return static_cast<std::int64_t>(static_cast<Int128>(price) * qty / kOne);
}

inline std::string error_body(int code, std::string_view msg) {
  return "{\"code\":" + std::to_string(code) + ",\"msg\":\"" + std::string(msg) + "\"}";
}

// Binance's -1102 for a mandatory parameter that is absent.
inline std::string missing_parameter(std::string_view name) {
  return error_body(-1102, "Mandatory parameter '" + std::string(name) +
                               "' was not sent, was empty/null, or malformed.");
}

// Query string or form body parameters, in order, not decoded (Binance signs them as sent).
struct Params {
  std::vector<std::pair<std::string, std::string>> items;
  std::optional<std::string_view> get(std::string_view key) const {
    for (const auto& [k, v] : items)
      if (k == key) return std::string_view(v);
    return std::nullopt;
  }
};
Params parse_params(std::string_view text);

// One fill of an order, as the FULL answer's `fills` and the execution report carry it.
struct MockFill {
  std::int64_t price = 0;
  std::int64_t qty = 0;
  std::int64_t commission = 0;
  std::string commission_asset;
  std::uint64_t trade_id = 0;
  bool maker = false;
  std::int64_t time_ms = 0;
};

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
  std::vector<MockFill> fills;
};

// Which resting orders a price may fill (Exchange::cross).
enum class CrossSides : std::uint8_t { kBoth, kBuys, kSells };

// One REST answer before it becomes HTTP.
struct Answer {
  int status = 200;
  std::string body;
  std::int64_t retry_after_s = 0;
  bool order_counts = false;
  bool drop_connection = false;
  std::int64_t hold_ms = 0;  // fill_before_ack: the answer leaves this long after the events
};

// Faults armed through MockExchange::inject (venue_faults.hpp) that the venue's own rules
// apply; the socket side keeps the rest (dropped and stale connections).
struct ArmedFaults {
  int reject_orders = 0;  // the next N new orders refused with reject_code
  int reject_code = -2010;
  std::string reject_msg;
  int rate_limited = 0;  // the next N requests refused with rate_status (418: a ban)
  int rate_status = 429;
  std::int64_t rate_retry_after_s = 1;
  int fill_on_entry = 0;  // the next N new orders filled in full on arrival
  std::int64_t fill_hold_ms = 0;
};

struct Exchange {
  Exchange(MockConfig c, const IngressClock& w) : config(std::move(c)), wall(w) {
    for (const auto& s : config.symbols)
      symbols[s.symbol] = s;
    for (const auto& b : config.balances)
      balances[b.asset] = b;
  }

  MockConfig config;
  const IngressClock& wall;
  std::function<void(const std::string&)> publish;  // to every user-data connection

  std::map<std::string, MockSymbol> symbols;
  std::map<std::string, MockBalance> balances;
  std::vector<MockOrder> orders;  // every order ever, by creation
  std::uint64_t next_order_id = 1000;
  std::uint64_t next_trade_id = 5000;
  std::map<std::string, int> received_by_client;
  std::map<std::string, int> created_by_client;
  std::int64_t clock_offset_ms = 0;
  ArmedFaults faults;

  // Limits. Request weight is the IP's, as Binance counts it: the accounts of a MockVenue
  // share one (every client of the simulator comes from loopback, one IP); a lone
  // MockExchange has its own. Orders are the account's.
  struct IpWeight {
    std::mutex mutex;  // taken inside the exchange's own, never the other way round
    std::int64_t window = -1, used_weight = 0;
    int violations = 0;
    std::int64_t banned_until_ms = 0;
  };
  std::shared_ptr<IpWeight> ip = std::make_shared<IpWeight>();
  std::int64_t used_weight() const {
    std::lock_guard lock(ip->mutex);
    return ip->used_weight;
  }
  std::int64_t banned_until_ms() const {
    std::lock_guard lock(ip->mutex);
    return ip->banned_until_ms;
  }
  std::int64_t order_window = -1, orders_10s = 0, orders_1d = 0;

  std::int64_t now_ms() const { return wall.now() / 1'000'000 + clock_offset_ms; }

  // ---- matching.cpp ----
  // `fill`: the trade this report is about (nullptr: none).
  void push_execution(const MockOrder& o, std::string_view exec, const MockFill* fill = nullptr,
                      std::string_view cancel_client_id = {});
  MockOrder* find_order(std::string_view symbol, const Params& p);
  // `fills_from`: the FULL answer lists o.fills from this index on (npos: no `fills`).
  std::string order_json(const MockOrder& o, bool full,
                         std::size_t fills_from = std::string::npos) const;
  Answer new_order(const Params& p);
  Answer cancel_order(const Params& p);
  // Cancels an open order: balances released, the CANCELED report and the account pushed.
  void cancel(MockOrder& o, std::string_view cancel_client_id);
  // The venue cancelling on its own: the open order with this client id, or (empty) every
  // open order (of `symbol` when not empty). Returns how many it cancelled.
  int venue_cancel(std::string_view symbol, std::string_view client_id);
  Answer query_order(const Params& p);
  Answer open_orders(const Params& p);
  Answer my_trades(const Params& p);  // GET /api/v3/myTrades: symbol, [orderId], [limit]
  // Fills resting orders `price` trades through (MockExchange::cross).
  int cross(std::string_view symbol, std::int64_t price, std::int64_t quantity,
            CrossSides sides = CrossSides::kBoth);
  // The market the simulator delivers (MockVenue): a trade sets the last price and fills
  // resting orders it trades through, up to its quantity; a quote sets the touch and fills
  // resting orders it crosses.
  void on_trade(std::string_view symbol, std::int64_t price, std::int64_t qty);
  void on_quote(std::string_view symbol, std::int64_t bid, std::int64_t ask);

  // ---- ledger.cpp ----
  // Locks what a new order may spend; the refusal (-2010) when the balance is short.
  std::optional<Answer> reserve(const MockOrder& o, const MockSymbol& sym, std::int64_t ref_price);
  // Fills `qty` of `o` at `price` as maker or taker: balances move from locked to the other
  // asset, less the commission (config.*_commission_bps, in the received asset or BNB).
  void fill(MockOrder& o, std::int64_t qty, std::int64_t price, bool maker);
  // The commission of a fill giving `received` of `received_asset`, worth `value` in quote.
  MockFill commission(const MockSymbol& sym, bool buy, std::int64_t received, std::int64_t value,
                      bool maker);
  void release(MockOrder& o);  // unlocks what is left of `o`
  void push_account(const std::vector<std::string>& assets);
  Answer account();

  // ---- rest_routes.cpp ----
  Answer exchange_info() const;
  Answer coins();  // GET /sapi/v1/capital/config/getall
  // Shared by REST and the WebSocket API: weight (429/418), the order count (429 -1015),
  // the signature over `payload` (HMAC or Ed25519 per config, -1022) and the timestamp (-1021).
  std::optional<Answer> charge_weight(std::int64_t t, std::int64_t weight);
  std::optional<Answer> charge_order(std::int64_t t);
  bool signature_valid(std::string_view payload, std::string_view signature) const;
  std::optional<Answer> check_signature_and_time(const Params& params, std::string_view payload,
                                                 std::string_view signature, std::int64_t t) const;
  std::optional<Answer> check_time(const Params& params, std::int64_t t) const;
  // Weight, auth, then the endpoint. `method` and `path` come back for the request log.
  Answer dispatch(std::string_view method_in, std::string_view target, std::string_view body,
                  std::string_view api_key, std::string& method, std::string& path);
};

}  // namespace be::binance::mock
