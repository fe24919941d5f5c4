// BinanceSpotGateway: the live Binance spot venue behind the oms::Venue interface.
//
//   order manager thread            WebSocket API session (net::WsClient, /ws-api/v3)
//   submit/cancel --(session up)--> order.place / order.cancel frames built on the caller's
//     |                             thread; answers, rateLimits and the user-data events of the
//     |                             subscription read on the client's I/O thread -> VenueResponses
//     +--(session down)--> SpscRing<Work> --> REST worker (a RestPool, rest_pool.hpp): signs,
//   query/balances ----------------------->   sends, retries, queries, balances,
//                                             reconciliation -> VenueResponses
//
// Threads: a standalone gateway has its own (the WebSocket client's I/O thread, a REST pool of
// one worker); gateways of a BinanceVenueHub (hub.hpp) share the hub's (GatewayThreads).
//
// The user-data stream is the WebSocket API subscription: Binance removed the spot listenKey
// endpoints on 2026-02-20 (docs/BINANCE.md). On every (re)connection the session logs on with
// an Ed25519 key (session.logon; later requests carry no signature) and subscribes
// (userDataStream.subscribe), or with an HMAC key subscribes with a signed
// userDataStream.subscribe.signature and signs every request. Once subscribed, the REST worker
// reconciles (open orders, every order open on our side, balances) and only then reports
// kConnected; a drop reports kDisconnected at once, sends new orders over REST, and asks REST
// about every order whose WS API answer never came (never resent blindly).
//
// The hot thread's write: submit()/cancel() build the whole frame on the caller's thread in
// fixed buffers (WsApiRequest: no heap, no lock but the rate gate's) and write it themselves on
// the account's order session (net::DirectWsSession: a second WS API connection on plain
// OpenSSL and a non-blocking socket, logged on with the Ed25519 key, or signing every request
// with HMAC): a spin try-lock, one masked frame into a preallocated buffer, one SSL_write.
// Its answers are read on the shared I/O threads. When the try-lock fails (the I/O thread is
// reading), an earlier frame is still being written, or the order session is not up, the
// frame goes to the user-data session's queue instead (net::WsClient::send_raw: a copy and a
// post to its I/O thread); a write that would block is committed and finished by the I/O
// thread. Either way the request is written once (docs/BINANCE.md "Order entry from the hot
// thread"). The REST worker opens the order session once the user-data session is subscribed,
// and again (backoff) after it closes.
//
// - Non-blocking for the caller: a WS API order is one frame build and one write; a REST
//   order is one ring push and, only when the worker sleeps, one futex wake. A full ring
//   answers kRejected/kCancelRejected (kQueueFull).
// - Retries: only idempotent requests are retried (GET, cancel by client id). A new order
//   whose fate is unclear is never resent blindly: the worker asks the venue for the order by
//   its client id first. It resends (same client id) only when the failure proves the venue
//   did not take it (connect/write failure, 429/418/-1003/-1015, -1021) and the query finds
//   nothing; after an ambiguous failure (5xx, timeout on read, a WS API session lost before
//   the answer) a missing order is reported as kReconciledNotFound, and an unanswerable query
//   as kConnectionLost (reconciliation later).
// - Rate limits: REST headers and the WS API's rateLimits arrays feed one RateGate; a request
//   that would cross the limit waits for the next window (a WS API order goes to REST, which
//   waits); 429/418 stop every request until Retry-After/retryAfter (418: banned). Waiting
//   longer than max_rate_wait rejects.
// - -1021: the offset to the venue's clock is measured again from GET /api/v3/time.
//
// Secrets: the credentials are moved in, used for the X-MBX-APIKEY header, the apiKey
// parameter and the signatures only, never logged, never in an error; wiped when the gateway
// is destroyed.
//
// Lifetime: start() once; stop() (or the destructor) joins every thread of its own, or takes
// the gateway off the shared ones (GatewayThreads must outlive it). `responses` and
// `wall_clock` must outlive the gateway. Thread-safety: the Venue calls from one thread (the
// order manager's); stats() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/event.hpp"
#include "core/expected.hpp"
#include "net/io_threads.hpp"
#include "net/tls_client.hpp"
#include "net/ws_direct.hpp"
#include "oms/venue.hpp"
#include "oms/venues/binance/key_store.hpp"
#include "oms/venues/binance/symbols.hpp"

namespace be::binance {

struct GatewayConfig {
  std::string rest_url = "https://api.binance.com";
  // The WebSocket API (testnet: wss://ws-api.testnet.binance.vision/ws-api/v3).
  std::string ws_api_url = "wss://ws-api.binance.com:443/ws-api/v3";
  // https/wss trust (net/tls_client.hpp): a simulator's throwaway CA goes in ca_file/ca_pem.
  net::TlsClientOptions tls;
  // kWebSocketApi: orders and cancels over the WS API while its session is up, REST
  // otherwise; kRest: always REST (the user data still comes by the WS API subscription).
  enum class OrderEntry : std::uint8_t { kWebSocketApi, kRest };
  OrderEntry order_entry = OrderEntry::kWebSocketApi;
  // With kWebSocketApi: a second connection for orders and cancels, written by the caller's
  // thread itself (gateway.hpp "The hot thread's write"); false: every WS API request goes
  // through the user-data session's queue.
  bool hot_order_session = true;
  VenueId venue{};
  AccountId account{};
  std::vector<InstrumentDefined> instruments;
  std::vector<AssetDef> assets;  // empty: derived from the instruments (symbols.hpp)
  std::int64_t recv_window_ms = 5000;
  // One REST request, all of it (resolve, connect, TLS, write, read); also the WS API
  // session's connect timeout.
  std::chrono::milliseconds request_timeout{5000};
  std::size_t queue_capacity = 1024;  // rounded up to a power of two
  // Our own ceilings, kept below the venue's (Binance spot: 6000 weight per minute per IP, 100
  // orders per 10 s per account at the time of writing; the exchangeInfo rateLimits say). In a
  // hub the weight is the IP's, shared by every account (the first account's ceiling sets it).
  std::int64_t weight_limit = 5000;
  std::int64_t weight_window_ms = 60'000;  // Binance counts per calendar minute
  std::int64_t order_limit_10s = 90;
  std::chrono::milliseconds max_rate_wait{120'000};
  int max_attempts = 4;  // per request, retries included
  std::chrono::milliseconds retry_delay{100};
  // The WebSocket API session's liveness: no byte at all (answer, event, ping, pong) for this
  // long drops it (a ping goes out after half of it in silence); then reconnect and reconcile.
  // We ping after half of it in silence and a live venue answers, so a live session is never
  // silent that long.
  std::chrono::milliseconds idle_timeout{30'000};
  std::chrono::milliseconds reconnect_delay{200};
  std::chrono::milliseconds max_reconnect_delay{30'000};
  // Open orders of the account that are not ours, found while reconciling (oms/venue.hpp).
  oms::ForeignOrderPolicy foreign_orders = oms::ForeignOrderPolicy::kReport;
};

struct GatewayStats {
  std::uint64_t submitted = 0;
  std::uint64_t queue_full = 0;
  std::uint64_t orders_sent = 0;        // POST /api/v3/order actually written
  std::uint64_t ws_api_orders = 0;      // order.place frames written
  std::uint64_t ws_api_cancels = 0;     // order.cancel frames written
  std::uint64_t ws_api_unanswered = 0;  // WS API requests whose session dropped first
  std::uint64_t hot_writes = 0;         // written by the caller's thread on the order session
  std::uint64_t hot_committed = 0;      // of those, would block: finished by the I/O thread
  std::uint64_t hot_fallbacks = 0;      // order session busy or down: the queued write instead
  std::uint64_t order_session_connects = 0;
  std::uint64_t order_session_answers = 0;  // answers read on the order session
  bool order_session_open = false;          // the caller's thread may write on it now
  std::uint64_t session_refusals = 0;       // logon or subscription refused by the venue
  std::uint64_t requests = 0;
  std::uint64_t retries = 0;
  std::uint64_t time_resyncs = 0;
  std::uint64_t rate_waits = 0;       // waited for a window or a Retry-After
  std::uint64_t rate_limited = 0;     // 429 answers
  std::uint64_t banned = 0;           // 418 answers
  std::uint64_t malformed = 0;        // venue messages we could not read
  std::uint64_t stream_connects = 0;  // WS API sessions subscribed to user data
  std::uint64_t reconciliations = 0;
  std::uint64_t foreign_orders = 0;           // open orders found that are not ours (reported)
  std::uint64_t foreign_cancels = 0;          // of those, cancelled (ForeignOrderPolicy::kCancel)
  std::uint64_t foreign_cancels_refused = 0;  // ... whose cancel the venue refused
  std::uint64_t query_failures = 0;           // queries that got no answer
  std::int64_t time_offset_ms = 0;
  std::int64_t last_used_weight = 0;  // the IP's (every account of the hub), this window
};

class RestPool;
class IpWeightGate;

// What a gateway may share with others (hub.hpp): threads (a null member means a thread of
// its own) and the request weight of the host's IP (rate_gate.hpp; null: its own, from
// weight_limit and weight_window_ms).
struct GatewayThreads {
  net::IoThreads* io = nullptr;
  RestPool* rest = nullptr;
  std::shared_ptr<IpWeightGate> ip_weight;
};

class BinanceSpotGateway final : public oms::Venue {
 public:
  BinanceSpotGateway(GatewayConfig config, ApiCredentials credentials,
                     oms::VenueResponses& responses, const IngressClock& wall_clock,
                     GatewayThreads threads = {});
  ~BinanceSpotGateway() override;
  BinanceSpotGateway(const BinanceSpotGateway&) = delete;
  BinanceSpotGateway& operator=(const BinanceSpotGateway&) = delete;

  // Validates the URLs and starts the threads. An error names the bad setting.
  Expected<bool, std::string> start();
  void stop() noexcept;

  std::string_view name() const noexcept override { return "binance_spot"; }
  void submit(const OrderNew& order, Nanos now) noexcept override;
  void cancel(const OrderCancel& cancel, Nanos now) noexcept override;
  void query_order(BotId bot, InstrumentId instrument, SequenceNumber client_sequence,
                   Nanos now) noexcept override;
  void request_balances(AccountId account, Nanos now) noexcept override;
  // The account's open orders (ours kReconciled*, others oms::foreign_order). Recent trades
  // are not fetched: an order of ours the venue no longer lists is settled by query_order.
  void query_open_orders(AccountId account, Nanos now) noexcept override;

  GatewayStats stats() const noexcept;

  // For tests: the order session's next `count` try-locks fail, or writes would block
  // (net::DirectWsSession::inject).
  void inject_order_session_fault(net::DirectWsSession::Fault fault, int count) noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace be::binance
