#include "oms/venues/binance/gateway.hpp"

#include <algorithm>
#include <utility>

#include "oms/venues/binance/gateway_impl.hpp"

namespace be::binance {

namespace {

// The earlier of two RestPool::Queue::run answers (kIdle, 0, is "never").
Nanos earliest(Nanos a, Nanos b) {
  return a == 0 ? b : b == 0 ? a : std::min(a, b);
}

std::size_t round_up_pow2(std::size_t n) {
  std::size_t p = 1;
  while (p < n)
    p <<= 1;
  return p;
}

// An origin URL of the given scheme family with no path ("https://api.binance.com"; a
// trailing slash is allowed): targets are the gateway's own.
template <class Parse>
Expected<net::Url, std::string> origin_of(std::string_view url, Parse parse) {
  while (url.ends_with('/') && !url.ends_with("://"))
    url.remove_suffix(1);
  auto parsed = parse(url);
  if (!parsed) return parsed;
  if (parsed->target != "/") {
    return Unexpected("URL '" + std::string(url) + "' must not have a path");
  }
  return parsed;
}

}  // namespace

BinanceSpotGateway::Impl::Impl(GatewayConfig c, ApiCredentials creds, oms::VenueResponses& r,
                               const IngressClock& w, GatewayThreads threads)
    : config(std::move(c)),
      credentials(std::move(creds)),
      responses(r),
      wall(w),
      symbols(config.instruments, config.assets),
      ring(round_up_pow2(std::max<std::size_t>(config.queue_capacity, 2))),
      gate(threads.ip_weight != nullptr
               ? threads.ip_weight
               : std::make_shared<IpWeightGate>(config.weight_limit, config.weight_window_ms),
           config.order_limit_10s),
      pool(threads.rest),
      io_threads(threads.io),
      rest_parser(std::make_unique<MessageParser>(symbols)) {
  if (pool == nullptr) {
    own_pool = std::make_unique<RestPool>(1);
    pool = own_pool.get();
  }
}

// One keep-alive connection per thread that talks REST, each request bounded by
// request_timeout (resolve, connect, TLS, write and read together).
net::HttpClientOptions BinanceSpotGateway::Impl::http_options() const {
  net::HttpClientOptions o;
  o.timeout = config.request_timeout;
  o.user_agent = "botengine";
  o.max_response_body = 16u << 20;
  o.tls = config.tls;
  return o;
}

// Deduplicates what both threads may report (the REST ack and the stream's NEW, the cancel
// answer and the stream's CANCELED): each order is acknowledged and ended once.
void BinanceSpotGateway::Impl::emit_tracked(const OrderUpdate& u, Nanos event_time) {
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

void BinanceSpotGateway::Impl::prune() {
  std::lock_guard lock(track_mutex);
  if (tracked.size() < 65'536) return;
  std::erase_if(tracked, [](const auto& kv) { return kv.second.terminal_sent; });
}

OrderUpdate BinanceSpotGateway::Impl::update_for(BotId bot, InstrumentId instrument,
                                                 SequenceNumber seq, oms::OrderEvent e,
                                                 VenueReason reason) const {
  return oms::order_update(bot, seq, instrument, config.account, e,
                           static_cast<std::uint16_t>(reason));
}

void BinanceSpotGateway::Impl::do_work(net::HttpClient& http, MessageParser& parser,
                                       const Work& w) {
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
    case Work::kOpenOrders: {
      std::vector<OrderSnapshot> open;
      report_open_orders(http, parser, open);
      break;
    }
  }
}

// One step of the REST side, on a pool worker: the clock first (until the venue answers),
// then a due reconciliation, then up to kBatch queued requests (other accounts get their turn
// between steps). A failed reconciliation is retried reconnect_delay later; requests queued
// meanwhile still go.
Nanos BinanceSpotGateway::Impl::run(RestPool::Session& session) {
  constexpr int kBatch = 16;
  if (!running.load()) return kIdle;
  net::HttpClient& http = session.http(rest_origin, http_options());
  MessageParser& parser = *rest_parser;
  const Nanos retry_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(config.reconnect_delay).count();
  if (!time_synced) {
    if (!resync_time(http, parser)) return monotonic_now() + retry_ns;
    time_synced = true;
  }
  if (resync_wanted.exchange(false)) resync_time(http, parser);
  if (reconcile_wanted.exchange(false)) reconcile_pending = true, reconcile_at = 0;
  if (reconcile_pending && monotonic_now() >= reconcile_at) {
    if (reconcile(http, parser, stream_generation.load())) {
      reconcile_pending = false;
    } else {
      reconcile_at = monotonic_now() + retry_ns;
    }
    return monotonic_now();  // again at once: queued requests, or the next retry's time
  }
  const Nanos order_session_due = keep_order_session();
  Work w;
  for (int n = 0; n < kBatch; ++n) {
    if (!running.load() || !(ring.try_pop(w) || io_ring.try_pop(w) || order_ring.try_pop(w))) {
      return earliest(reconcile_pending ? reconcile_at : kIdle, order_session_due);
    }
    do_work(http, parser, w);
  }
  return monotonic_now();
}

BinanceSpotGateway::BinanceSpotGateway(GatewayConfig config, ApiCredentials credentials,
                                       oms::VenueResponses& responses,
                                       const IngressClock& wall_clock, GatewayThreads threads)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(credentials), responses, wall_clock,
                                   threads)) {}

BinanceSpotGateway::~BinanceSpotGateway() {
  stop();
}

Expected<bool, std::string> BinanceSpotGateway::start() {
  auto& s = *impl_;
  if (s.running.load()) return Unexpected(std::string("gateway already started"));
  auto rest = origin_of(s.config.rest_url, net::parse_http_url);
  if (!rest) return Unexpected("rest_url: " + rest.error());
  auto ws = net::parse_ws_url(s.config.ws_api_url);
  if (!ws) return Unexpected("ws_api_url: " + ws.error());
  if (s.credentials.api_key.empty() || s.credentials.secret.empty()) {
    return Unexpected(std::string("no API credentials"));
  }
  auto signer = RequestSigner::make(s.credentials.secret.reveal());
  if (!signer) return Unexpected("API secret: " + signer.error());
  s.signer.emplace(std::move(*signer));
  if (s.symbols.instruments().empty()) return Unexpected(std::string("no instruments"));
  s.rest_origin = std::move(*rest);
  s.running.store(true);
  s.wake_worker();  // the REST side's first step: the venue's clock
  if (auto stream = s.start_ws_api(); !stream) {
    stop();
    return stream;
  }
  return s.start_order_session();
}

void BinanceSpotGateway::stop() noexcept {
  auto& s = *impl_;
  if (!s.running.exchange(false)) return;
  { std::lock_guard lock(s.sleep_mutex); }
  s.sleep_cv.notify_all();
  s.pool->remove(s);  // returns once no worker runs it; it never runs again
  s.order_session.close();
  s.stop_ws_api();
}

// Hands one request to the REST worker: false (counted) when the ring is full or the gateway
// is not running. Non-blocking: a push and, only when the worker sleeps, a wake.
bool BinanceSpotGateway::Impl::enqueue(const Work& w) noexcept {
  if (!running.load(std::memory_order_relaxed) || !ring.try_push(w)) {
    counters.queue_full.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  wake_worker();
  return true;
}

// The answer to an order request enqueue() refused.
void BinanceSpotGateway::Impl::refuse_unqueued(BotId bot, InstrumentId instrument,
                                               SequenceNumber seq, oms::OrderEvent refusal,
                                               Nanos now) {
  emit(update_for(bot, instrument, seq, refusal,
                  running.load() ? VenueReason::kQueueFull : VenueReason::kNotRunning),
       now);
}

void BinanceSpotGateway::submit(const OrderNew& order, Nanos now) noexcept {
  auto& s = *impl_;
  s.counters.submitted.fetch_add(1, std::memory_order_relaxed);
  if (s.ws_submit(order)) return;
  if (!s.enqueue(Work{Work::kNew, order, {}, now})) {
    s.refuse_unqueued(order.bot, order.instrument, order.client_sequence,
                      oms::OrderEvent::kRejected, now);
  }
}

void BinanceSpotGateway::cancel(const OrderCancel& cancel, Nanos now) noexcept {
  auto& s = *impl_;
  if (s.ws_cancel(cancel)) return;
  if (!s.enqueue(Work{Work::kCancel, {}, cancel, now})) {
    s.refuse_unqueued(cancel.bot, cancel.instrument, cancel.client_sequence,
                      oms::OrderEvent::kCancelRejected, now);
  }
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
  s.enqueue(w);
}

void BinanceSpotGateway::request_balances(AccountId account, Nanos now) noexcept {
  auto& s = *impl_;
  if (account != s.config.account) return;  // another account's gateway answers it
  Work w;
  w.kind = Work::kBalances;
  w.now = now;
  s.enqueue(w);
}

void BinanceSpotGateway::query_open_orders(AccountId account, Nanos now) noexcept {
  auto& s = *impl_;
  if (account != s.config.account) return;
  Work w;
  w.kind = Work::kOpenOrders;
  w.now = now;
  s.enqueue(w);
}

GatewayStats BinanceSpotGateway::stats() const noexcept {
  const auto& c = impl_->counters;
  GatewayStats out;
  out.submitted = c.submitted.load();
  out.queue_full = c.queue_full.load();
  out.orders_sent = c.orders_sent.load();
  out.ws_api_orders = c.ws_api_orders.load();
  out.ws_api_cancels = c.ws_api_cancels.load();
  out.ws_api_unanswered = c.ws_api_unanswered.load();
  out.hot_writes = c.hot_writes.load();
  out.hot_committed = c.hot_committed.load();
  out.hot_fallbacks = c.hot_fallbacks.load();
  out.order_session_connects = c.order_session_connects.load();
  out.order_session_answers = c.order_session_answers.load();
  out.session_refusals = c.session_refusals.load();
  out.requests = c.requests.load();
  out.retries = c.retries.load();
  out.time_resyncs = c.time_resyncs.load();
  out.rate_waits = c.rate_waits.load();
  out.rate_limited = c.rate_limited.load();
  out.banned = c.banned.load();
  out.malformed = c.malformed.load();
  out.stream_connects = c.stream_connects.load();
  out.reconciliations = c.reconciliations.load();
  out.foreign_orders = c.foreign_orders.load();
  out.foreign_cancels = c.foreign_cancels.load();
  out.foreign_cancels_refused = c.foreign_cancels_refused.load();
  out.query_failures = c.query_failures.load();
  out.time_offset_ms = impl_->offset_ms.load();
  out.last_used_weight = impl_->gate.used();
  out.order_session_open = impl_->order_session.open();
  return out;
}

}  // namespace be::binance
