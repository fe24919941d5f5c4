// The gateway's insides, shared by its three files (internal to be_binance):
//   gateway.cpp         the Venue calls, the REST worker's loop, deduplicated emitting
//   gateway_rest.cpp    signed requests, retries, rate limits, orders, reconciliation
//   gateway_stream.cpp  the user-data stream (listenKey, net::WsClient, keepalive)
//
// Thread-safety: as gateway.hpp says; members are annotated by the thread that owns them.
#pragma once

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
#include "net/url.hpp"
#include "net/ws_client.hpp"
#include "oms/order.hpp"
#include "oms/order_state_machine.hpp"
#include "oms/venues/binance/errors.hpp"
#include "oms/venues/binance/gateway.hpp"
#include "oms/venues/binance/messages.hpp"
#include "oms/venues/binance/rate_gate.hpp"
#include "oms/venues/binance/signing.hpp"

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
inline constexpr std::int64_t kWeightListenKey = 2;

struct Work {
  enum Kind : std::uint8_t { kNew, kCancel, kQuery, kBalances };
  Kind kind = kNew;
  OrderNew order{};
  OrderCancel cancel{};
  Nanos now = 0;
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

struct BinanceSpotGateway::Impl {
  Impl(GatewayConfig c, ApiCredentials creds, oms::VenueResponses& r, const IngressClock& w);

  GatewayConfig config;
  ApiCredentials credentials;
  oms::VenueResponses& responses;
  const IngressClock& wall;
  SymbolMap symbols;
  SpscRing<Work> ring;
  RateGate gate;
  net::Url rest_origin;  // set by start()

  std::atomic<bool> running{false};
  std::atomic<std::uint32_t> wake{0};
  std::atomic<bool> reconcile_wanted{false};
  std::atomic<std::uint64_t> stream_generation{0};
  std::atomic<std::int64_t> offset_ms{0};
  std::mutex sleep_mutex;
  std::condition_variable sleep_cv;
  std::thread worker;

  std::mutex track_mutex;
  std::map<TrackKey, Tracked> tracked;

  // The user stream (gateway_stream.cpp). The WebSocket client's I/O thread fetches the
  // listenKey (stream_http) and reads the events (stream_parser); `keepalive` renews the key.
  std::unique_ptr<net::HttpClient> stream_http;
  std::unique_ptr<MessageParser> stream_parser;
  std::unique_ptr<net::WsClient> user_stream;
  std::thread keepalive;
  std::mutex listen_key_mutex;
  std::string listen_key;  // guarded by listen_key_mutex

  struct Counters {
    std::atomic<std::uint64_t> submitted{0}, queue_full{0}, orders_sent{0}, requests{0}, retries{0},
        time_resyncs{0}, rate_waits{0}, rate_limited{0}, banned{0}, malformed{0},
        stream_connects{0}, reconciliations{0}, query_failures{0};
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

  void wake_worker() {
    wake.fetch_add(1, std::memory_order_release);
    wake.notify_one();
  }

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
  void worker_main();

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
  bool reconcile(net::HttpClient& http, MessageParser& parser, std::uint64_t generation);

  // ---- user stream (gateway_stream.cpp) ---------------------------------------------------
  // Starts the WebSocket client and the keepalive thread; an error names the bad setting.
  Expected<bool, std::string> start_user_stream();
  void stop_user_stream();
  Expected<std::string, std::string> fetch_listen_key();
  void on_stream_frame(const net::Frame& frame);
  void on_stream_status(const Event& e);
  void handle_stream_message(MessageParser& parser, std::string_view text);
  void keepalive_main();
};

}  // namespace be::binance
