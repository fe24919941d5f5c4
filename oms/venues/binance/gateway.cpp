#include "oms/venues/binance/gateway.hpp"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "core/spsc_ring.hpp"
#include "oms/venues/binance/errors.hpp"
#include "oms/venues/binance/messages.hpp"
#include "oms/venues/binance/signing.hpp"
#include "oms/venues/binance/transport.hpp"
#include "oms/order.hpp"
#include "oms/order_state_machine.hpp"

namespace be::binance {

namespace {

constexpr Nanos kMillis = 1'000'000;

struct Work {
  enum Kind : std::uint8_t { kNew, kCancel, kQuery, kBalances };
  Kind kind = kNew;
  OrderNew order{};
  OrderCancel cancel{};
  Nanos now = 0;
};

std::size_t round_up_pow2(std::size_t n) {
  std::size_t p = 1;
  while (p < n)
    p <<= 1;
  return p;
}

std::uint8_t ev(oms::OrderEvent e) {
  return static_cast<std::uint8_t>(e);
}

// Binance's weights for the endpoints we call (spot API documentation).
constexpr std::int64_t kWeightOrder = 1;
constexpr std::int64_t kWeightCancel = 1;
constexpr std::int64_t kWeightQuery = 4;
constexpr std::int64_t kWeightOpenOrdersSymbol = 6;
constexpr std::int64_t kWeightOpenOrdersAll = 80;
constexpr std::int64_t kWeightAccount = 20;
constexpr std::int64_t kWeightTime = 1;
constexpr std::int64_t kWeightListenKey = 2;

// Request-weight and order-count windows, as the venue counts them (calendar-aligned on the
// venue's clock), shared by both threads.
class RateGate {
 public:
  RateGate(std::int64_t weight_limit, std::int64_t window_ms, std::int64_t order_limit_10s)
      : weight_limit_(weight_limit), window_ms_(window_ms), order_limit_(order_limit_10s) {}

  // How long to wait before a request of `weight` may go (0: now). Counts it when 0.
  std::int64_t reserve(std::int64_t now_ms, std::int64_t weight, bool is_order) {
    std::lock_guard lock(mutex_);
    if (now_ms < blocked_until_ms_) return blocked_until_ms_ - now_ms;
    roll(now_ms);
    // A request heavier than the whole limit still goes, alone, in a fresh window.
    if (used_ + weight > weight_limit_ && used_ > 0) return (window_ + 1) * window_ms_ - now_ms;
    if (is_order && orders_ + 1 > order_limit_) return (order_window_ + 1) * 10'000 - now_ms;
    used_ += weight;
    if (is_order) ++orders_;
    return 0;
  }

  void observe(std::int64_t now_ms, const HttpResult& r) {
    std::lock_guard lock(mutex_);
    roll(now_ms);
    // The venue's count is the truth; ours only covers requests it has not answered yet.
    if (r.used_weight_1m) used_ = std::max(used_, *r.used_weight_1m);
    if (r.order_count_10s) orders_ = std::max(orders_, *r.order_count_10s);
    if (r.status == 429 || r.status == 418) {
      const std::int64_t seconds = r.retry_after_s.value_or(r.status == 418 ? 120 : 1);
      blocked_until_ms_ = std::max(blocked_until_ms_, now_ms + seconds * 1000);
    }
  }

  std::int64_t used() const {
    std::lock_guard lock(mutex_);
    return used_;
  }

 private:
  void roll(std::int64_t now_ms) {
    const std::int64_t w = now_ms / window_ms_;
    if (w != window_) window_ = w, used_ = 0;
    const std::int64_t o = now_ms / 10'000;
    if (o != order_window_) order_window_ = o, orders_ = 0;
  }

  mutable std::mutex mutex_;
  const std::int64_t weight_limit_;
  const std::int64_t window_ms_;
  const std::int64_t order_limit_;
  std::int64_t window_ = -1, used_ = 0;
  std::int64_t order_window_ = -1, orders_ = 0;
  std::int64_t blocked_until_ms_ = 0;
};

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
  TransportStage stage = TransportStage::kConnect;
  bool local_reject = false;  // never left: rate wait too long, stopping
  int status = 0;
  std::string body;
  std::optional<int> code;
  std::string msg;
  MappedError mapped{VenueReason::kNone, RetryClass::kFinal};
  bool ok() const { return sent && status == 200; }
};

}  // namespace

struct BinanceSpotGateway::Impl {
  GatewayConfig config;
  ApiCredentials credentials;
  oms::VenueResponses& responses;
  const IngressClock& wall;
  SymbolMap symbols;
  SpscRing<Work> ring;
  RateGate gate;
  Endpoint rest_endpoint;
  Endpoint ws_endpoint;

  std::atomic<bool> running{false};
  std::atomic<std::uint32_t> wake{0};
  std::atomic<bool> reconcile_wanted{false};
  std::atomic<std::uint64_t> stream_generation{0};
  std::atomic<std::int64_t> offset_ms{0};
  std::mutex sleep_mutex;
  std::condition_variable sleep_cv;
  std::thread worker;
  std::thread stream;

  std::mutex track_mutex;
  std::map<TrackKey, Tracked> tracked;

  struct Counters {
    std::atomic<std::uint64_t> submitted{0}, queue_full{0}, orders_sent{0}, requests{0}, retries{0},
        time_resyncs{0}, rate_waits{0}, rate_limited{0}, banned{0}, malformed{0},
        stream_connects{0}, reconciliations{0}, query_failures{0};
  } counters;

  Impl(GatewayConfig c, ApiCredentials creds, oms::VenueResponses& r, const IngressClock& w)
      : config(std::move(c)),
        credentials(std::move(creds)),
        responses(r),
        wall(w),
        symbols(config.instruments, config.assets),
        ring(round_up_pow2(std::max<std::size_t>(config.queue_capacity, 2))),
        gate(config.weight_limit, std::max<std::int64_t>(config.weight_window_ms, 1),
             config.order_limit_10s) {}

  // ---- time ---------------------------------------------------------------------------------
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

  // ---- emitting -----------------------------------------------------------------------------
  void emit(const OrderUpdate& u, Nanos event_time) { responses.respond(u, event_time, 0); }

  // Deduplicates what both threads may report (the REST ack and the stream's NEW, the cancel
  // answer and the stream's CANCELED): each order is acknowledged and ended once.
  void emit_tracked(const OrderUpdate& u, Nanos event_time) {
    const auto e = static_cast<oms::OrderEvent>(u.event);
    {
      std::lock_guard lock(track_mutex);
      auto& t = tracked[TrackKey{index_of(u.bot), u.client_sequence}];
      t.bot = u.bot;
      t.instrument = u.instrument;
      t.sequence = u.client_sequence;
      if (e == oms::OrderEvent::kAccepted) {
        if (t.accepted_sent || t.terminal_sent) return;
        t.accepted_sent = true;
      }
      const bool terminal =
          e == oms::OrderEvent::kFill || e == oms::OrderEvent::kCanceled ||
          e == oms::OrderEvent::kRejected || e == oms::OrderEvent::kExpired ||
          e == oms::OrderEvent::kReconciledFilled || e == oms::OrderEvent::kReconciledCanceled ||
          e == oms::OrderEvent::kReconciledExpired || e == oms::OrderEvent::kReconciledNotFound;
      if (terminal) {
        if (t.terminal_sent && e != oms::OrderEvent::kFill) return;
        t.terminal_sent = true;
      }
      if (e == oms::OrderEvent::kReconciledNew || e == oms::OrderEvent::kReconciledPartial) {
        t.accepted_sent = true;
      }
    }
    emit(u, event_time);
    prune();
  }

  void prune() {
    std::lock_guard lock(track_mutex);
    if (tracked.size() < 65'536) return;
    std::erase_if(tracked, [](const auto& kv) { return kv.second.terminal_sent; });
  }

  OrderUpdate update_for(BotId bot, InstrumentId instrument, SequenceNumber seq, oms::OrderEvent e,
                         VenueReason reason) const {
    OrderUpdate u;
    u.bot = bot;
    u.instrument = instrument;
    u.client_sequence = seq;
    u.account = config.account;
    u.event = ev(e);
    u.reason = static_cast<std::uint16_t>(reason);
    return u;
  }

  // ---- REST -----------------------------------------------------------------------------------
  // One request, after the rate gate. `params` gets recvWindow, timestamp and the signature
  // when `is_signed`.
  Reply call(HttpClient& http, MessageParser& parser, std::string_view method,
             std::string_view path, QueryBuilder params, bool is_signed, std::int64_t weight,
             bool is_order) {
    Reply r;
    for (;;) {
      const std::int64_t wait_ms = gate.reserve(venue_ms(), weight, is_order);
      if (wait_ms <= 0) break;
      if (wait_ms > config.max_rate_wait.count()) {
        r.local_reject = true;
        r.mapped = {VenueReason::kLocalRateLimit, RetryClass::kFinal};
        return r;
      }
      counters.rate_waits.fetch_add(1, std::memory_order_relaxed);
      if (!pause(std::chrono::milliseconds(wait_ms))) {
        r.local_reject = true;
        r.mapped = {VenueReason::kNotRunning, RetryClass::kFinal};
        return r;
      }
    }
    std::string target(path);
    std::string query;
    if (is_signed) {
      params.add("recvWindow", config.recv_window_ms).add("timestamp", venue_ms());
      query = params.signed_query(credentials.secret.reveal());
    } else {
      query = params.str();
    }
    if (!query.empty()) target.append("?").append(query);
    counters.requests.fetch_add(1, std::memory_order_relaxed);
    if (is_order) counters.orders_sent.fetch_add(1, std::memory_order_relaxed);
    auto result = http.request(method, target, credentials.api_key.reveal());
    if (!result) {
      r.sent = false;
      r.stage = result.error().stage;
      r.mapped = {result.error().timeout ? VenueReason::kTimeout : VenueReason::kDisconnected,
                  RetryClass::kOutcomeUnknown};
      return r;
    }
    r.sent = true;
    r.status = result.value().status;
    gate.observe(venue_ms(), result.value());
    if (r.status == 429) counters.rate_limited.fetch_add(1, std::memory_order_relaxed);
    if (r.status == 418) counters.banned.fetch_add(1, std::memory_order_relaxed);
    r.body = std::move(result.value().body);
    if (r.status != 200) {
      ApiError api;
      if (parser.parse_error(r.body, api)) {
        r.code = api.code;
        r.msg = std::move(api.msg);
      }
      r.mapped = map_error(r.status, r.code, r.msg);
    }
    return r;
  }

  // The venue cannot have acted on a request that failed this way.
  static bool not_processed(const Reply& r) {
    if (r.local_reject) return true;
    if (!r.sent) return r.stage != TransportStage::kRead;
    return r.mapped.retry == RetryClass::kBackOff || r.mapped.retry == RetryClass::kResyncTime;
  }

  bool resync_time(HttpClient& http, MessageParser& parser) {
    const std::int64_t before = local_ms();
    Reply r = call(http, parser, "GET", "/api/v3/time", QueryBuilder{}, false, kWeightTime, false);
    const std::int64_t after = local_ms();
    std::int64_t server = 0;
    if (!r.ok() || !parser.parse_server_time(r.body, server)) return false;
    offset_ms.store(server - (before + after) / 2, std::memory_order_relaxed);
    counters.time_resyncs.fetch_add(1, std::memory_order_relaxed);
    return true;
  }

  // Idempotent requests: retried on transport failures, 5xx, rate limits and clock skew.
  Reply call_idempotent(HttpClient& http, MessageParser& parser, std::string_view method,
                        std::string_view path, const QueryBuilder& params, bool is_signed,
                        std::int64_t weight) {
    Reply r;
    for (int attempt = 0; attempt < config.max_attempts && running.load(); ++attempt) {
      if (attempt > 0) counters.retries.fetch_add(1, std::memory_order_relaxed);
      r = call(http, parser, method, path, params, is_signed, weight, false);
      if (r.ok() || r.local_reject) return r;
      if (r.sent && r.mapped.retry == RetryClass::kFinal) return r;
      if (r.mapped.retry == RetryClass::kResyncTime) {
        resync_time(http, parser);
      } else if (r.mapped.retry == RetryClass::kOutcomeUnknown) {
        if (!pause(config.retry_delay * (1 << std::min(attempt, 6)))) return r;
      }
      // kBackOff: the gate holds the next call until Retry-After has passed.
    }
    return r;
  }

  QueryBuilder order_params(const InstrumentDefined& def, BotId bot, SequenceNumber seq,
                            std::string_view id_key) const {
    char id[oms::kClientOrderIdMaxChars];
    const std::size_t n = oms::format_client_order_id(oms::ClientOrderId{bot, seq}, id);
    QueryBuilder q;
    q.add("symbol", def.symbol_view()).add(id_key, std::string_view(id, n));
    return q;
  }

  // GET /api/v3/order by client id. nullopt: no answer at all.
  std::optional<OrderUpdate> query(HttpClient& http, MessageParser& parser,
                                   const InstrumentDefined& def, BotId bot, SequenceNumber seq,
                                   Nanos& event_time) {
    Reply r = call_idempotent(http, parser, "GET", "/api/v3/order",
                              order_params(def, bot, seq, "origClientOrderId"), true, kWeightQuery);
    event_time = venue_now();
    if (r.ok()) {
      OrderSnapshot snap;
      if (parser.parse_order(r.body, snap) && snap.ours) {
        if (snap.update_time != 0) event_time = snap.update_time;
        return reconciled_update(snap, config.account);
      }
      counters.malformed.fetch_add(1, std::memory_order_relaxed);
      return std::nullopt;
    }
    if (r.sent && r.mapped.reason == VenueReason::kUnknownOrder) {
      return update_for(bot, def.instrument, seq, oms::OrderEvent::kReconciledNotFound,
                        VenueReason::kUnknownOrder);
    }
    counters.query_failures.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }

  void do_new(HttpClient& http, MessageParser& parser, const Work& w) {
    const OrderNew& o = w.order;
    const InstrumentDefined* def = symbols.by_id(o.instrument);
    if (def == nullptr) {
      emit(update_for(o.bot, o.instrument, o.client_sequence, oms::OrderEvent::kRejected,
                      VenueReason::kUnknownInstrument),
           w.now);
      return;
    }
    {
      std::lock_guard lock(track_mutex);
      tracked[TrackKey{index_of(o.bot), o.client_sequence}] =
          Tracked{o.bot, o.instrument, o.client_sequence, false, false};
    }
    QueryBuilder q = order_params(*def, o.bot, o.client_sequence, "newClientOrderId");
    q.add("side", o.side == Side::kBuy ? "BUY" : "SELL");
    const bool market = o.order_type == static_cast<std::uint8_t>(OrderType::kMarket);
    const bool post_only = (o.flags & OrderIntent::kPostOnly) != 0;
    if (market) {
      q.add("type", "MARKET");
    } else if (post_only) {
      q.add("type", "LIMIT_MAKER");
    } else {
      q.add("type", "LIMIT");
      const auto tif = static_cast<TimeInForce>(o.time_in_force);
      q.add("timeInForce", tif == TimeInForce::kIoc   ? "IOC"
                           : tif == TimeInForce::kFok ? "FOK"
                                                      : "GTC");
    }
    q.add_decimal("quantity", o.quantity, def->qty_scale);
    if (!market) q.add_decimal("price", o.price, def->price_scale);
    q.add("newOrderRespType", "ACK");  // fills arrive on the user stream, in one place

    VenueReason last = VenueReason::kOther;
    for (int attempt = 0; attempt < config.max_attempts && running.load(); ++attempt) {
      if (attempt > 0) counters.retries.fetch_add(1, std::memory_order_relaxed);
      Reply r = call(http, parser, "POST", "/api/v3/order", q, true, kWeightOrder, true);
      if (r.ok()) {
        OrderSnapshot ack;
        OrderUpdate u = update_for(o.bot, o.instrument, o.client_sequence,
                                   oms::OrderEvent::kAccepted, VenueReason::kNone);
        Nanos t = venue_now();
        if (parser.parse_order(r.body, ack)) {
          u.venue_order_id = ack.order_id;
          if (ack.update_time != 0) t = ack.update_time;
        } else {
          counters.malformed.fetch_add(1, std::memory_order_relaxed);
        }
        emit_tracked(u, t);
        return;
      }
      last = r.mapped.reason;
      // "Duplicate order sent.": the venue has this client id already (an earlier attempt
      // landed); what it holds is the answer.
      const bool duplicate = r.sent && r.mapped.reason == VenueReason::kDuplicateOrder;
      if (r.local_reject || (r.sent && r.mapped.retry == RetryClass::kFinal && !duplicate)) break;
      if (r.mapped.retry == RetryClass::kResyncTime) resync_time(http, parser);
      // Never resend blindly: ask the venue about this client id first.
      Nanos t = 0;
      auto found = query(http, parser, *def, o.bot, o.client_sequence, t);
      if (!found) {
        // No answer either: the order's fate is open until the next reconciliation.
        emit(update_for(o.bot, o.instrument, o.client_sequence, oms::OrderEvent::kConnectionLost,
                        last),
             venue_now());
        return;
      }
      const bool missing = found->event == ev(oms::OrderEvent::kReconciledNotFound);
      if (!missing) {
        emit_tracked(*found, t);
        return;
      }
      if (!not_processed(r)) {
        found->reason = static_cast<std::uint16_t>(last);
        emit_tracked(*found, t);
        return;
      }
      // The venue refused it before processing and does not have it: sending again with the
      // same client id is safe (a duplicate would be refused as such).
    }
    emit_tracked(
        update_for(o.bot, o.instrument, o.client_sequence, oms::OrderEvent::kRejected, last),
        venue_now());
  }

  void do_cancel(HttpClient& http, MessageParser& parser, const Work& w) {
    const OrderCancel& c = w.cancel;
    const InstrumentDefined* def = symbols.by_id(c.instrument);
    if (def == nullptr) {
      emit(update_for(c.bot, c.instrument, c.client_sequence, oms::OrderEvent::kCancelRejected,
                      VenueReason::kUnknownInstrument),
           w.now);
      return;
    }
    Reply r = call_idempotent(http, parser, "DELETE", "/api/v3/order",
                              order_params(*def, c.bot, c.client_sequence, "origClientOrderId"),
                              true, kWeightCancel);
    if (r.ok()) {
      OrderSnapshot snap;
      OrderUpdate u = update_for(c.bot, c.instrument, c.client_sequence, oms::OrderEvent::kCanceled,
                                 VenueReason::kNone);
      Nanos t = venue_now();
      if (parser.parse_order(r.body, snap)) {
        u.venue_order_id = snap.order_id;
        u.cumulative_quantity = snap.executed_quantity;
        if (snap.update_time != 0) t = snap.update_time;
      }
      emit_tracked(u, t);
      return;
    }
    emit(update_for(c.bot, c.instrument, c.client_sequence, oms::OrderEvent::kCancelRejected,
                    r.mapped.reason),
         venue_now());
  }

  void do_query(HttpClient& http, MessageParser& parser, const Work& w) {
    const OrderCancel& c = w.cancel;  // bot, instrument, sequence of the order asked about
    const InstrumentDefined* def = symbols.by_id(c.instrument);
    if (def == nullptr) {
      emit(update_for(c.bot, c.instrument, c.client_sequence, oms::OrderEvent::kReconciledNotFound,
                      VenueReason::kUnknownInstrument),
           w.now);
      return;
    }
    Nanos t = 0;
    if (auto found = query(http, parser, *def, c.bot, c.client_sequence, t))
      emit_tracked(*found, t);
  }

  bool do_balances(HttpClient& http, MessageParser& parser) {
    Reply r = call_idempotent(http, parser, "GET", "/api/v3/account", QueryBuilder{}, true,
                              kWeightAccount);
    std::vector<BalanceUpdate> balances;
    if (!r.ok() || !parser.parse_account(r.body, config.account, balances)) {
      if (r.ok()) counters.malformed.fetch_add(1, std::memory_order_relaxed);
      counters.query_failures.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    const Nanos t = venue_now();
    for (const auto& b : balances)
      responses.respond(b, t, 0);
    return true;
  }

  // Open orders, every order still open on our side, balances; then kConnected. false: the
  // venue did not answer everything; the caller tries again later.
  bool reconcile(HttpClient& http, MessageParser& parser, std::uint64_t generation) {
    std::vector<OrderSnapshot> open;
    std::vector<OrderSnapshot> all;
    bool complete = true;
    const auto& instruments = symbols.instruments();
    const bool per_symbol =
        static_cast<std::int64_t>(instruments.size()) * kWeightOpenOrdersSymbol <
        kWeightOpenOrdersAll;
    const auto fetch = [&](QueryBuilder q, std::int64_t weight) {
      Reply r = call_idempotent(http, parser, "GET", "/api/v3/openOrders", q, true, weight);
      if (!r.ok() || !parser.parse_open_orders(r.body, open)) {
        complete = false;
        return;
      }
      all.insert(all.end(), open.begin(), open.end());
    };
    if (per_symbol) {
      for (const auto& def : instruments) {
        QueryBuilder q;
        q.add("symbol", def.symbol_view());
        fetch(q, kWeightOpenOrdersSymbol);
      }
    } else {
      fetch(QueryBuilder{}, kWeightOpenOrdersAll);
    }
    for (const auto& snap : all) {
      if (!snap.ours) continue;
      emit_tracked(reconciled_update(snap, config.account),
                   snap.update_time != 0 ? snap.update_time : venue_now());
    }
    // Orders we still think open but the venue does not list: ask about each by client id.
    std::vector<Tracked> pending;
    {
      std::lock_guard lock(track_mutex);
      for (const auto& [key, t] : tracked) {
        if (t.terminal_sent) continue;
        const bool listed = std::any_of(all.begin(), all.end(), [&](const OrderSnapshot& s) {
          return s.ours && s.client.bot == t.bot && s.client.sequence == t.sequence;
        });
        if (!listed) pending.push_back(t);
      }
    }
    if (complete) {
      for (const auto& t : pending) {
        const InstrumentDefined* def = symbols.by_id(t.instrument);
        if (def == nullptr) continue;
        Nanos when = 0;
        if (auto found = query(http, parser, *def, t.bot, t.sequence, when)) {
          emit_tracked(*found, when);
        } else {
          complete = false;
        }
      }
    }
    complete = do_balances(http, parser) && complete;
    counters.reconciliations.fetch_add(1, std::memory_order_relaxed);
    // Connectivity stays down until the venue has answered everything.
    if (!complete) return false;
    if (generation == stream_generation.load()) {
      responses.connectivity(config.venue, ConnectivityState::kConnected, venue_now());
    }
    return true;
  }

  void worker_main() {
    HttpClient http(rest_endpoint, config.request_timeout);
    MessageParser parser(symbols);
    while (running.load() && !resync_time(http, parser)) {
      if (!pause(config.reconnect_delay)) return;
    }
    Work w;
    bool reconcile_pending = false;
    Nanos reconcile_at = 0;
    const Nanos retry_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(config.reconnect_delay).count();
    while (running.load()) {
      const std::uint32_t seen = wake.load(std::memory_order_acquire);
      if (reconcile_wanted.exchange(false)) reconcile_pending = true, reconcile_at = 0;
      if (reconcile_pending && monotonic_now() >= reconcile_at) {
        // A failed reconciliation is retried later; orders queued meanwhile still go.
        if (reconcile(http, parser, stream_generation.load())) {
          reconcile_pending = false;
        } else {
          reconcile_at = monotonic_now() + retry_ns;
        }
        continue;
      }
      if (ring.try_pop(w)) {
        switch (w.kind) {
          case Work::kNew:
            do_new(http, parser, w);
            break;
          case Work::kCancel:
            do_cancel(http, parser, w);
            break;
          case Work::kQuery:
            do_query(http, parser, w);
            break;
          case Work::kBalances:
            do_balances(http, parser);
            break;
        }
        continue;
      }
      if (reconcile_pending) {
        pause(std::min<std::chrono::milliseconds>(config.reconnect_delay,
                                                  std::chrono::milliseconds(50)));
        continue;
      }
      wake.wait(seen, std::memory_order_acquire);
    }
  }

  // ---- user stream ----------------------------------------------------------------------------
  void handle_stream_message(MessageParser& parser, std::string_view text) {
    switch (parser.parse_user(text, config.account)) {
      case MessageParser::UserKind::kExecutionReport: {
        const ExecutionReport& r = parser.execution();
        if (auto u = to_order_update(r, config.account)) {
          emit_tracked(*u, r.transaction_time != 0 ? r.transaction_time : r.event_time);
        }
        break;
      }
      case MessageParser::UserKind::kAccountPosition:
        for (const auto& b : parser.balances())
          responses.respond(b, parser.event_time(), 0);
        break;
      case MessageParser::UserKind::kIgnored:
        break;
      case MessageParser::UserKind::kMalformed:
        counters.malformed.fetch_add(1, std::memory_order_relaxed);
        break;
    }
  }

  void stream_main() {
    HttpClient http(rest_endpoint, config.request_timeout);
    MessageParser parser(symbols);
    WsClient ws(ws_endpoint, config.request_timeout);
    auto delay = config.reconnect_delay;
    bool was_connected = false;
    std::string message;
    std::string error;
    while (running.load()) {
      Reply r = call_idempotent(http, parser, "POST", "/api/v3/userDataStream", QueryBuilder{},
                                false, kWeightListenKey);
      std::string listen_key;
      const bool have_key = r.ok() && parser.parse_listen_key(r.body, listen_key);
      if (!have_key || !ws.connect("/ws/" + listen_key)) {
        if (!pause(delay)) break;
        delay = std::min(delay * 2, config.max_reconnect_delay);
        continue;
      }
      delay = config.reconnect_delay;
      counters.stream_connects.fetch_add(1, std::memory_order_relaxed);
      stream_generation.fetch_add(1);
      reconcile_wanted.store(true);
      wake_worker();
      was_connected = true;
      Nanos next_keepalive =
          monotonic_now() +
          std::chrono::duration_cast<std::chrono::nanoseconds>(config.keepalive_interval).count();
      while (running.load()) {
        const auto status = ws.read(message, config.stream_poll, error);
        if (status == WsClient::ReadStatus::kClosed) break;
        if (status == WsClient::ReadStatus::kMessage) {
          if (message.find("\"listenKeyExpired\"") != std::string::npos) break;
          handle_stream_message(parser, message);
        }
        if (monotonic_now() >= next_keepalive) {
          QueryBuilder q;
          q.add("listenKey", listen_key);
          call_idempotent(http, parser, "PUT", "/api/v3/userDataStream", q, false,
                          kWeightListenKey);
          next_keepalive = monotonic_now() + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                 config.keepalive_interval)
                                                 .count();
        }
      }
      ws.close();
      if (was_connected && running.load()) {
        stream_generation.fetch_add(1);
        responses.connectivity(config.venue, ConnectivityState::kDisconnected, venue_now());
        was_connected = false;
        if (!pause(delay)) break;
      }
    }
  }
};

BinanceSpotGateway::BinanceSpotGateway(GatewayConfig config, ApiCredentials credentials,
                                       oms::VenueResponses& responses,
                                       const IngressClock& wall_clock)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(credentials), responses,
                                   wall_clock)) {}

BinanceSpotGateway::~BinanceSpotGateway() {
  stop();
}

Expected<bool, std::string> BinanceSpotGateway::start() {
  auto& s = *impl_;
  if (s.running.load()) return Unexpected(std::string("gateway already started"));
  auto rest = parse_endpoint(s.config.rest_url);
  if (!rest) return Unexpected("rest_url: " + rest.error());
  auto ws = parse_endpoint(s.config.ws_url);
  if (!ws) return Unexpected("ws_url: " + ws.error());
  if (s.credentials.api_key.empty() || s.credentials.secret.empty()) {
    return Unexpected(std::string("no API credentials"));
  }
  if (s.symbols.instruments().empty()) return Unexpected(std::string("no instruments"));
  s.rest_endpoint = rest.value();
  s.ws_endpoint = ws.value();
  s.running.store(true);
  s.worker = std::thread([&s] { s.worker_main(); });
  s.stream = std::thread([&s] { s.stream_main(); });
  return true;
}

void BinanceSpotGateway::stop() noexcept {
  auto& s = *impl_;
  if (!s.running.exchange(false)) return;
  { std::lock_guard lock(s.sleep_mutex); }
  s.sleep_cv.notify_all();
  s.wake_worker();
  if (s.worker.joinable()) s.worker.join();
  if (s.stream.joinable()) s.stream.join();
}

void BinanceSpotGateway::submit(const OrderNew& order, Nanos now) noexcept {
  auto& s = *impl_;
  s.counters.submitted.fetch_add(1, std::memory_order_relaxed);
  Work w;
  w.kind = Work::kNew;
  w.order = order;
  w.now = now;
  if (!s.running.load(std::memory_order_relaxed) || !s.ring.try_push(w)) {
    s.counters.queue_full.fetch_add(1, std::memory_order_relaxed);
    s.emit(
        s.update_for(order.bot, order.instrument, order.client_sequence, oms::OrderEvent::kRejected,
                     s.running.load() ? VenueReason::kQueueFull : VenueReason::kNotRunning),
        now);
    return;
  }
  s.wake_worker();
}

void BinanceSpotGateway::cancel(const OrderCancel& cancel, Nanos now) noexcept {
  auto& s = *impl_;
  Work w;
  w.kind = Work::kCancel;
  w.cancel = cancel;
  w.now = now;
  if (!s.running.load(std::memory_order_relaxed) || !s.ring.try_push(w)) {
    s.counters.queue_full.fetch_add(1, std::memory_order_relaxed);
    s.emit(s.update_for(cancel.bot, cancel.instrument, cancel.client_sequence,
                        oms::OrderEvent::kCancelRejected,
                        s.running.load() ? VenueReason::kQueueFull : VenueReason::kNotRunning),
           now);
    return;
  }
  s.wake_worker();
}

void BinanceSpotGateway::query_order(BotId bot, InstrumentId instrument,
                                     SequenceNumber client_sequence, Nanos now) noexcept {
  auto& s = *impl_;
  Work w;
  w.kind = Work::kQuery;
  w.cancel.bot = bot;
  w.cancel.instrument = instrument;
  w.cancel.client_sequence = client_sequence;
  w.cancel.account = s.config.account;
  w.now = now;
  // A query that cannot be queued is answered by the next reconciliation instead.
  if (!s.running.load(std::memory_order_relaxed) || !s.ring.try_push(w)) {
    s.counters.queue_full.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  s.wake_worker();
}

void BinanceSpotGateway::request_balances(AccountId account, Nanos now) noexcept {
  auto& s = *impl_;
  if (account != s.config.account) return;  // another account's gateway answers it
  Work w;
  w.kind = Work::kBalances;
  w.now = now;
  if (!s.running.load(std::memory_order_relaxed) || !s.ring.try_push(w)) {
    s.counters.queue_full.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  s.wake_worker();
}

GatewayStats BinanceSpotGateway::stats() const noexcept {
  const auto& c = impl_->counters;
  GatewayStats out;
  out.submitted = c.submitted.load();
  out.queue_full = c.queue_full.load();
  out.orders_sent = c.orders_sent.load();
  out.requests = c.requests.load();
  out.retries = c.retries.load();
  out.time_resyncs = c.time_resyncs.load();
  out.rate_waits = c.rate_waits.load();
  out.rate_limited = c.rate_limited.load();
  out.banned = c.banned.load();
  out.malformed = c.malformed.load();
  out.stream_connects = c.stream_connects.load();
  out.reconciliations = c.reconciliations.load();
  out.query_failures = c.query_failures.load();
  out.time_offset_ms = impl_->offset_ms.load();
  out.last_used_weight = impl_->gate.used();
  return out;
}

}  // namespace be::binance
