// A Binance-compatible spot exchange on 127.0.0.1 for tests: REST and the WebSocket API
// (/ws-api/v3: orders, queries, user data by subscription; ws_api.hpp) on one ephemeral port,
// on the same orders and balances, following the documented API closely enough that the
// real gateway cannot tell it from the venue on the paths we use.
//
// What it does like Binance:
//  - SIGNED requests: X-MBX-APIKEY (-2015), HMAC-SHA256 of the total params (-1022),
//    timestamp inside recvWindow and not more than 1 s ahead (-1021).
//  - exchangeInfo filters on new orders: PRICE_FILTER tick, LOT_SIZE step/min, NOTIONAL min
//    -> -1013 "Filter failure: ..."; balances (-2010 insufficient balance); a client order id
//    already open -> -2010 "Duplicate order sent."; unknown order -2011 (cancel) / -2013 (query).
//  - Request weight per window and per IP (X-MBX-USED-WEIGHT-1M; share_ip_weight), order
//    counts per account (X-MBX-ORDER-COUNT-10S, -1D); beyond the limit 429 + Retry-After, and
//    after repeated violations 418 + Retry-After (the IP banned: every account sharing it).
//  - User data over the WebSocket API subscription: executionReport and
//    outboundAccountPosition with Binance's field names, as {"subscriptionId":N,"event":{..}}.
//  - The listenKey endpoints (/api/v3/userDataStream) answer 410 Gone, as Binance's have since
//    2026-02-20.
// Deterministic matching: a market order fills at the symbol's configured price; a GTC limit
// order rests until cross() trades through it; IOC/FOK fill at the market price when they
// cross it and expire otherwise.
// Fault injection: fail the next N requests (500 before or after processing, or an answer
// delayed past the client's timeout; "WS <method>" for WebSocket API requests, "GET
// /ws-api/v3" refuses its handshakes with 503), delay every REST answer, drop the WebSocket
// API connections; and the venue's own misbehaviour (venue_faults.hpp: rejections, 429/418,
// a stale or dropped stream, clock skew, cancels it was not asked for, a fill before the ack).
//
// Amounts are fixed point at scale 8 throughout (Binance's own precision).
// Thread-safety: every public method may be called from any thread (one mutex).
// Lifetime: start() once; stop() or the destructor joins every thread it started.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/expected.hpp"

namespace be::net::server {
class Handler;
}

namespace be::binance::mock {

inline constexpr int kScale = 8;

struct MockSymbol {
  std::string symbol;                       // "BTCUSDT"
  std::string base;                         // "BTC"
  std::string quote;                        // "USDT"
  std::int64_t tick_size = 1'000'000;       // 0.01
  std::int64_t step_size = 1'000;           // 0.00001
  std::int64_t min_qty = 1'000;             // 0.00001
  std::int64_t min_notional = 500'000'000;  // 5
  std::int64_t market_price = 0;            // where market orders fill (no quote known)
  // The touch, when a market feeds the venue (botengine sim): market orders and marketable
  // limit orders fill here as takers; 0 = unknown (market_price rules).
  std::int64_t bid = 0;
  std::int64_t ask = 0;
};

struct MockBalance {
  std::string asset;
  std::int64_t free = 0;
  std::int64_t locked = 0;
};

struct VenueFault;

struct MockConfig {
  std::string api_key;
  std::string secret;
  std::vector<MockSymbol> symbols;
  std::vector<MockBalance> balances;
  std::int64_t weight_limit = 6000;
  std::int64_t window_ms = 60'000;
  int ban_after_violations = 0;  // 0: never 418
  std::int64_t ban_seconds = 2;
  std::int64_t order_limit_10s = 100;
  // Commission, as Binance charges it: in units of 0.01 % of what a fill gives the account
  // (base on a buy, quote on a sell); Binance's default spot tier is 10 (0.1 %). With
  // pay_fees_in_bnb, a fill whose commission the account's free BNB covers pays it in BNB
  // instead, discounted by bnb_discount_percent, converted at the last price of BNB<quote>
  // (a symbol of this venue); without that price, or short of BNB, the received asset pays.
  int maker_commission_bps = 0;
  int taker_commission_bps = 0;
  bool pay_fees_in_bnb = false;
  int bnb_discount_percent = 25;
  // Non-empty: api_key is an Ed25519 key with this PEM public key (signatures are Ed25519 on
  // REST and the WebSocket API, and session.logon accepts it); `secret` is then unused.
  std::string ed25519_public_pem;
};

enum class FaultMode : std::uint8_t {
  kServerErrorBeforeProcessing,  // 500 {"code":-1000}, nothing done
  kServerErrorAfterProcessing,   // done, then 500 (the client cannot know)
  kTimeoutAfterProcessing,       // done, then no answer for `delay` and the connection closed
};

struct RequestLogEntry {
  Nanos monotonic = 0;  // when the mock read the request
  std::string method;
  std::string path;
  int status = 0;
  std::int64_t retry_after_s = 0;
  // Every byte the client sent: REST target, X-MBX-APIKEY header and body; or the WS API
  // frame (tests prove no secret is ever among them).
  std::string received;
};

class MockExchange {
 public:
  MockExchange(MockConfig config, const IngressClock& wall_clock);
  ~MockExchange();
  MockExchange(const MockExchange&) = delete;
  MockExchange& operator=(const MockExchange&) = delete;

  // Binds 127.0.0.1:0 and serves; returns the port.
  Expected<std::uint16_t, std::string> start();
  void stop() noexcept;
  std::string rest_url() const;
  std::string ws_url() const;
  std::string ws_api_url() const;  // ws_url() + "/ws-api/v3"

  // ---- mounted on another server (botengine sim: sim/binance/sim_venue.hpp) ----
  // The handler that answers the REST API and the user-data upgrades; start() is then not
  // called, and stop() before the other server's stop ends the user-data connections.
  net::server::Handler& handler();
  // The WebSocket upgrades handler() answers (user data), for the other server's routing.
  bool owns_upgrade(std::string_view target) const;
  // The market as the simulator delivers it (Exchange::on_trade/on_quote).
  void on_trade(std::string_view symbol, std::int64_t price, std::int64_t qty);
  void on_quote(std::string_view symbol, std::int64_t bid, std::int64_t ask);

  // ---- control (tests) ----
  void set_market_price(std::string_view symbol, std::int64_t price);
  // Fills resting orders the price trades through, at their limit price, up to `quantity`
  // in total (0: all). Returns the number of fills.
  int cross(std::string_view symbol, std::int64_t price, std::int64_t quantity = 0);
  void set_clock_offset_ms(std::int64_t offset);  // the venue's clock = wall + offset
  void set_weight_limit(std::int64_t limit);
  // From now on this account's requests spend `other`'s request weight, and its bans, as
  // Binance counts both per IP (MockVenue's accounts: every client on loopback, one IP).
  void share_ip_weight(MockExchange& other);
  // `method_path` like "POST /api/v3/order" or "WS order.place"; empty = any request.
  void fail_next(int count, FaultMode mode, std::string_view method_path = {},
                 std::chrono::milliseconds delay = std::chrono::milliseconds(0));
  void delay_responses(std::chrono::milliseconds delay);
  void drop_user_streams();  // cuts every WebSocket API connection
  // Applies a fault (venue_faults.hpp); returns what it touched: the orders it cancelled,
  // the connections it dropped or silenced (0 for the armed kinds).
  int inject(const VenueFault& fault);
  // Pushes raw text as an event to every subscribed session (malformed-message tests).
  void push_raw(std::string_view text);

  // ---- observation ----
  MockBalance balance(std::string_view asset) const;
  // POST /api/v3/order requests that passed authentication and carried this client id.
  int orders_received(std::string_view client_order_id) const;
  // Orders created with this client id (0 or 1 unless the venue misbehaves).
  int orders_created(std::string_view client_order_id) const;
  bool has_api_key(std::string_view api_key) const;
  // The account as GET /sim/exchange/accounts shows it: {"balances":{asset:{free,locked}},
  // "orders":[every order ever, by creation],"received":{client id: new-order requests}}.
  std::string state_json() const;
  int user_stream_connections() const;  // WebSocket API connections ever accepted
  int open_user_streams() const;
  std::vector<RequestLogEntry> request_log() const;
  // Blocks until `pred` holds over the log/state or the timeout passes (tests' waits).
  bool wait_for_user_streams(int connections, std::chrono::milliseconds timeout) const;
  // Blocks until `count` requests of `method` `path` have been answered with `status`
  // (WebSocket API requests: method "WS", path the method name).
  bool wait_for_requests(std::string_view method, std::string_view path, int status, int count,
                         std::chrono::milliseconds timeout) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace be::binance::mock
