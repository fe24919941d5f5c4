// The gateway's insides, shared by its three files (internal to be_binance):
//   gateway.cpp         the Venue calls, the REST worker's loop, deduplicated emitting
//   gateway_rest.cpp    signed requests, retries, rate limits, orders, reconciliation
//   gateway_ws_api.cpp  the WebSocket API session: logon, the user-data subscription, order
//                       entry and its answers (net::WsClient)
//
// Thread-safety: as gateway.hpp says; members are annotated by the thread that owns them.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "core/spsc_ring.hpp"
#include "net/http_client.hpp"
#include "net/io_threads.hpp"
#include "net/url.hpp"
#include "net/ws_client.hpp"
#include "oms/order.hpp"
#include "oms/order_state_machine.hpp"
#include "oms/venues/binance/errors.hpp"
#include "oms/venues/binance/gateway.hpp"
#include "oms/venues/binance/messages.hpp"
#include "oms/venues/binance/rate_gate.hpp"
#include "oms/venues/binance/rest_pool.hpp"
#include "oms/venues/binance/signing.hpp"
#include "oms/venues/binance/ws_api.hpp"

namespace be::binance {

inline constexpr Nanos kMillis = 1'000'000;

// Binance's weights for the endpoints we call (spot API documentation).
inline constexpr std::int64_t kWeightOrder = 1;
inline constexpr std::int64_t kWeightCancel = 1;
inline constexpr std::int64_t kWeightQuery = 4;
inline constexpr std::int64_t kWeightOpenOrdersSymbol = 6;
inline constexpr std::int64_t kWeightOpenOrdersAll = 80;
inline constexpr std::int64_t kWeightAccount = 20;
inline constexpr std::int64_t kWeightTime = 1;
inline constexpr std::int64_t kWeightSession = 2;  // session.logon, userDataStream.subscribe*

struct Work {
  enum Kind : std::uint8_t { kNew, kCancel, kQuery, kBalances, kOpenOrders };
  Kind kind = kNew;
  OrderNew order{};
  OrderCancel cancel{};
  Nanos now = 0;
  // kQuery after a WebSocket API request whose outcome is unknown: why, reported with a
  // kReconciledNotFound (as REST's own ambiguous failures are).
  VenueReason cause = VenueReason::kNone;
};

inline std::uint8_t ev(oms::OrderEvent e) {
  return static_cast<std::uint8_t>(e);
}

struct Tracked {
  BotId bot = kNoBot;
  InstrumentId instrument = kNoInstrument;
  SequenceNumber sequence = 0;
  bool accepted_sent = false;
  bool terminal_sent = false;
};

using TrackKey = std::pair<std::uint32_t, SequenceNumber>;

// A WebSocket API order request awaiting its answer, in a fixed table indexed by request id.
// The order manager's thread fills a free slot and publishes its id (release); the I/O thread
// takes it with a compare-exchange of the id to 0, on the answer or when the session drops.
struct PendingRequest {
  std::atomic<std::uint64_t> id{0};  // 0: free
  // 1: written on the order session (its answer comes there; its close settles it), set
  // under the session's lock before the write; 0: the user-data session's.
  std::atomic<std::uint8_t> on_order_session{0};
  bool is_cancel = false;
  OrderNew order{};      // order.place
  OrderCancel cancel{};  // order.cancel
};
inline constexpr std::size_t kPendingSlots = 1024;  // a power of two

// One signed or plain REST answer, with the error mapped.
struct Reply {
  bool sent = false;  // false: a transport failure (see stage)
  net::HttpStage stage = net::HttpStage::kConnect;
  bool local_reject = false;  // never left: rate wait too long, stopping
  int status = 0;
  std::string body;
  std::optional<int> code;
  std::string msg;
  MappedError mapped{VenueReason::kNone, RetryClass::kFinal};
  bool ok() const { return sent && status == 200; }
};

// The gateway's REST side is a RestPool::Queue: run() is what a dedicated worker thread's loop
// did, a step at a time, on whichever pool worker takes it (never two at once).
struct BinanceSpotGateway::Impl final : RestPool::Queue {
  Impl(GatewayConfig c, ApiCredentials creds, oms::VenueResponses& r, const IngressClock& w,
       GatewayThreads threads);

  GatewayConfig config;
  ApiCredentials credentials;
  oms::VenueResponses& responses;
  const IngressClock& wall;
  SymbolMap symbols;
  SpscRing<Work> ring;
  RateGate gate;
  net::Url rest_origin;  // set by start()

  // Threads: the hub's, or the gateway's own (a pool of one worker, the client's own thread).
  std::unique_ptr<RestPool> own_pool;
  RestPool* pool = nullptr;
  net::IoThreads* io_threads = nullptr;  // nullptr: the WebSocket client's own thread

  std::atomic<bool> running{false};
  std::atomic<bool> reconcile_wanted{false};
  std::atomic<std::uint64_t> stream_generation{0};
  std::atomic<std::int64_t> offset_ms{0};
  std::mutex sleep_mutex;
  std::condition_variable sleep_cv;

  // The REST side's own state: touched only inside run() (one pool worker at a time).
  std::unique_ptr<MessageParser> rest_parser;
  bool time_synced = false;
  bool reconcile_pending = false;
  Nanos reconcile_at = 0;

  std::mutex track_mutex;
  std::map<TrackKey, Tracked> tracked;

  // The WebSocket API session (gateway_ws_api.cpp). `signer` signs REST and WS API requests
  // the way the key was made (HMAC or Ed25519). The I/O thread owns ws_parser and
  // control_frame; the order manager's thread owns order_frame.
  std::optional<RequestSigner> signer;
  std::unique_ptr<MessageParser> ws_parser;
  std::unique_ptr<net::WsClient> ws_api;
  std::atomic<bool> ws_ready{false};  // logged on (Ed25519) and subscribed to user data
  std::atomic<std::uint64_t> next_request_id{1};
  std::uint64_t logon_id = 0, subscribe_id = 0;  // I/O thread
  WsApiRequest control_frame;                    // I/O thread
  WsApiRequest order_frame;                      // the order manager's thread
  std::array<PendingRequest, kPendingSlots> in_flight;
  // Work the I/O thread hands the REST worker (the Venue's ring has one producer already).
  SpscRing<Work> io_ring{256};

  // The order session (gateway.hpp "The hot thread's write"): written by the order manager's
  // thread, read on order_io's thread (order_parser, order_ring), (re)opened by the REST side
  // (order_retry_at, order_backoff). own_io outlives order_session.
  std::unique_ptr<net::IoThreads> own_io;
  net::IoThreads* order_io = nullptr;
  net::DirectWsSession order_session;
  // Started and not yet reported closed (the REST side's test for opening it; open() turns
  // true a moment after start, once its I/O thread has it).
  std::atomic<bool> order_session_started{false};
  std::unique_ptr<MessageParser> order_parser;
  SpscRing<Work> order_ring{256};
  WsApiRequest order_logon;  // the REST side's
  Nanos order_retry_at = 0;
  Nanos order_backoff = 0;
  std::atomic<bool> resync_wanted{false};

  struct Counters {
    std::atomic<std::uint64_t> submitted{0}, queue_full{0}, orders_sent{0}, requests{0}, retries{0},
        time_resyncs{0}, rate_waits{0}, rate_limited{0}, banned{0}, malformed{0},
        stream_connects{0}, reconciliations{0}, query_failures{0}, ws_api_orders{0},
        ws_api_cancels{0}, ws_api_unanswered{0}, session_refusals{0}, foreign_orders{0},
        hot_writes{0}, hot_committed{0}, hot_fallbacks{0}, order_session_connects{0},
        order_session_answers{0}, foreign_cancels{0}, foreign_cancels_refused{0};
  } counters;

  // ---- time -------------------------------------------------------------------------------
  std::int64_t local_ms() const { return wall.now() / kMillis; }
  std::int64_t venue_ms() const { return local_ms() + offset_ms.load(std::memory_order_relaxed); }
  Nanos venue_now() const { return venue_ms() * kMillis; }

  // Sleeps on the I/O thread; returns false when the gateway is stopping.
  bool pause(std::chrono::milliseconds d) {
    std::unique_lock lock(sleep_mutex);
    sleep_cv.wait_for(lock, d, [this] { return !running.load(); });
    return running.load();
  }

  void wake_worker() { pool->wake(*this); }

  net::HttpClientOptions http_options() const;

  // ---- the caller's side (gateway.cpp) ----------------------------------------------------
  bool enqueue(const Work& w) noexcept;
  void refuse_unqueued(BotId bot, InstrumentId instrument, SequenceNumber seq,
                       oms::OrderEvent refusal, Nanos now);

  // ---- emitting (gateway.cpp) -------------------------------------------------------------
  void emit(const OrderUpdate& u, Nanos event_time) { responses.respond(u, event_time, 0); }
  void emit_tracked(const OrderUpdate& u, Nanos event_time);
  void prune();
  OrderUpdate update_for(BotId bot, InstrumentId instrument, SequenceNumber seq, oms::OrderEvent e,
                         VenueReason reason) const;
  Nanos run(RestPool::Session& session) override;  // the REST side's step (gateway.cpp)
  void do_work(net::HttpClient& http, MessageParser& parser, const Work& w);

  // ---- REST (gateway_rest.cpp) ------------------------------------------------------------
  Reply call(net::HttpClient& http, MessageParser& parser, std::string_view method,
             std::string_view path, QueryBuilder params, bool is_signed, std::int64_t weight,
             bool is_order);
  static bool not_processed(const Reply& r);
  bool resync_time(net::HttpClient& http, MessageParser& parser);
  Reply call_idempotent(net::HttpClient& http, MessageParser& parser, std::string_view method,
                        std::string_view path, const QueryBuilder& params, bool is_signed,
                        std::int64_t weight);
  QueryBuilder order_params(const InstrumentDefined& def, BotId bot, SequenceNumber seq,
                            std::string_view id_key) const;
  std::optional<OrderUpdate> query(net::HttpClient& http, MessageParser& parser,
                                   const InstrumentDefined& def, BotId bot, SequenceNumber seq,
                                   Nanos& event_time);
  const InstrumentDefined* instrument_or_refuse(BotId bot, InstrumentId instrument,
                                                SequenceNumber seq, oms::OrderEvent refusal,
                                                Nanos now);
  bool emit_answered(MessageParser& parser, const std::string& body, OrderUpdate u,
                     bool with_executed);
  void do_new(net::HttpClient& http, MessageParser& parser, const Work& w);
  void do_cancel(net::HttpClient& http, MessageParser& parser, const Work& w);
  void do_query(net::HttpClient& http, MessageParser& parser, const Work& w);
  bool do_balances(net::HttpClient& http, MessageParser& parser);
  bool report_open_orders(net::HttpClient& http, MessageParser& parser,
                          std::vector<OrderSnapshot>& all);
  // ForeignOrderPolicy::kCancel: cancels one foreign order by its venue id and reports how.
  void cancel_foreign(net::HttpClient& http, MessageParser& parser, const OrderSnapshot& snap);
  bool reconcile(net::HttpClient& http, MessageParser& parser, std::uint64_t generation);

  // ---- WebSocket API (gateway_ws_api.cpp) ------------------------------------------------
  // Starts the session's client; an error names the bad setting.
  Expected<bool, std::string> start_ws_api();
  void stop_ws_api();
  // The order manager's side: true when the request went out over the WS API; false: the
  // caller sends it over REST instead (session down, rate wait, table full, write refused).
  bool ws_submit(const OrderNew& order);
  bool ws_cancel(const OrderCancel& cancel);
  PendingRequest* begin_ws_request(const PendingRequest& request, std::string_view method,
                                   std::string_view id_key, const InstrumentDefined*& def);
  bool end_ws_request(PendingRequest& slot, std::atomic<std::uint64_t>& sent);
  bool write_frame(std::string_view frame);  // the user-data session's queued write
  bool write_order(PendingRequest& slot, std::string_view frame);  // hot, else queued
  void add_auth(WsApiRequest& r);  // timestamp, recvWindow and, for HMAC, apiKey
  void on_ws_frame(const net::Frame& frame);
  void on_ws_status(const Event& e);
  void on_answer(const WsApiAnswer& answer);
  void on_session_answer(const WsApiAnswer& answer, bool logon);
  void on_order_answer(const PendingRequest& request, const WsApiAnswer& answer,
                       SpscRing<Work>& to_rest);
  void take_order_answer(const WsApiAnswer& answer, SpscRing<Work>& to_rest);
  void observe_rate_limits(const WsApiAnswer& answer);
  // From an I/O thread, each with its own ring (single producer).
  void hand_to_rest(const Work& w, SpscRing<Work>& to_rest);
  // Every request of that session still waiting for its answer goes to REST.
  void sweep_unanswered(bool of_order_session, SpscRing<Work>& to_rest);

  // ---- the order session (gateway_order_session.cpp) -------------------------------------
  Expected<bool, std::string> start_order_session();
  // The REST side's step: opens the order session when it should be and is not; returns
  // when to try again (RestPool::Queue::kIdle: nothing to do).
  Nanos keep_order_session();
  void on_order_session_text(std::string_view text);
  void on_order_session_closed(std::string_view why);
  void handle_stream_message(MessageParser& parser, std::string_view text);
};

}  // namespace be::binance
