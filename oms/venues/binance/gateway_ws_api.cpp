// The gateway's WebSocket API session on net::WsClient (gateway.hpp): on every connection,
// session.logon (Ed25519) then userDataStream.subscribe, or userDataStream.subscribe.signature
// (HMAC); order.place/order.cancel built on the order manager's thread; answers, rateLimits
// and user-data events read on the client's I/O thread. A connection asks the REST worker to
// reconcile once subscribed; a drop reports kDisconnected at once and hands every unanswered
// request to REST (a query for an order, the cancel again for a cancel).
#include "oms/venues/binance/gateway_impl.hpp"

namespace be::binance {

namespace {

std::string_view side_text(Side side) {
  return side == Side::kBuy ? "BUY" : "SELL";
}

}  // namespace

Expected<bool, std::string> BinanceSpotGateway::Impl::start_ws_api() {
  ws_parser = std::make_unique<MessageParser>(symbols);
  net::WsClientConfig wc;
  wc.url = config.ws_api_url;
  wc.venue = config.venue;
  wc.backoff.initial =
      std::chrono::duration_cast<std::chrono::nanoseconds>(config.reconnect_delay).count();
  wc.backoff.cap =
      std::chrono::duration_cast<std::chrono::nanoseconds>(config.max_reconnect_delay).count();
  wc.backoff.multiplier = 2.0;
  wc.backoff.jitter = 0.0;
  wc.connect_timeout =
      std::chrono::duration_cast<std::chrono::nanoseconds>(config.request_timeout).count();
  wc.max_message_bytes = 1u << 20;
  // Binance answers every request: none within request_timeout means a stale session.
  wc.raw_answer_timeout =
      std::chrono::duration_cast<std::chrono::nanoseconds>(config.request_timeout).count();
  wc.idle_timeout =
      std::chrono::duration_cast<std::chrono::nanoseconds>(config.idle_timeout).count();
  wc.verify_peer = config.tls.verify_peer;
  wc.ca_file = config.tls.ca_file;
  wc.ca_pem = config.tls.ca_pem;
  net::WsClientHandlers handlers;
  handlers.on_frame = [this](const net::Frame& f) { on_ws_frame(f); };
  handlers.on_status = [this](const Event& e) { on_ws_status(e); };
  ws_api = std::make_unique<net::WsClient>(std::move(wc), std::move(handlers), &wall, io_threads);
  std::string error;
  if (!ws_api->start(&error)) return Unexpected("ws_api_url: " + error);
  return true;
}

void BinanceSpotGateway::Impl::stop_ws_api() {
  if (ws_api) ws_api->stop();  // no handler runs after this
}

// timestamp and recvWindow always; apiKey (and, in finish(), the signature) unless the
// session is logged on with an Ed25519 key, which signs nothing after session.logon.
void BinanceSpotGateway::Impl::add_auth(WsApiRequest& r) {
  r.integer("timestamp", venue_ms()).integer("recvWindow", config.recv_window_ms);
  if (signer->kind() == RequestSigner::Kind::kHmac) r.text("apiKey", credentials.api_key.reveal());
}

bool BinanceSpotGateway::Impl::write_frame(std::string_view frame) {
  return !frame.empty() && ws_api->send_raw(std::string(frame));
}

// The hot thread's write (gateway.hpp): on the order session when its try-lock is taken, the
// slot marked as that session's first (its close settles it); else the user-data session's
// queued write. A frame the order session took is sent once, whatever the write's outcome
// (written, committed to the I/O thread, or failed with the connection: then its fate is
// unknown and the session's close hands it to REST to ask about).
bool BinanceSpotGateway::Impl::write_order(PendingRequest& slot, std::string_view frame) {
  if (frame.empty()) return false;
  if (order_io != nullptr && order_session.try_acquire()) {
    slot.on_order_session.store(1, std::memory_order_relaxed);
    const auto written = order_session.write_text_locked(frame);
    if (written == net::DirectWsSession::Write::kTooLarge) {
      slot.on_order_session.store(0, std::memory_order_relaxed);
    }
    order_session.release();
    if (written == net::DirectWsSession::Write::kCommitted) {
      counters.hot_committed.fetch_add(1, std::memory_order_relaxed);
    }
    if (written != net::DirectWsSession::Write::kTooLarge) {
      counters.hot_writes.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
  }
  slot.on_order_session.store(0, std::memory_order_relaxed);
  if (order_io != nullptr) counters.hot_fallbacks.fetch_add(1, std::memory_order_relaxed);
  return write_frame(frame);
}

// The common start of order.place and order.cancel: the session is up, the instrument known,
// the rate gate lets it go now and a slot is free. Then the slot holds `request` under a new
// id and order_frame is begun with the symbol and the client id (under `id_key`). nullptr:
// the caller sends over REST instead.
PendingRequest* BinanceSpotGateway::Impl::begin_ws_request(const PendingRequest& request,
                                                           std::string_view method,
                                                           std::string_view id_key,
                                                           const InstrumentDefined*& def) {
  if (config.order_entry != GatewayConfig::OrderEntry::kWebSocketApi ||
      !ws_ready.load(std::memory_order_acquire)) {
    return nullptr;
  }
  const OrderCancel& c = request.cancel;  // bot, instrument, sequence (filled for both kinds)
  def = symbols.by_id(c.instrument);
  const std::int64_t weight = request.is_cancel ? kWeightCancel : kWeightOrder;
  if (def == nullptr || gate.reserve(venue_ms(), weight, !request.is_cancel) != 0) return nullptr;
  const std::uint64_t id = next_request_id.fetch_add(1, std::memory_order_relaxed);
  PendingRequest& slot = in_flight[id & (kPendingSlots - 1)];
  if (slot.id.load(std::memory_order_acquire) != 0) return nullptr;
  slot.is_cancel = request.is_cancel;
  slot.order = request.order;
  slot.cancel = request.cancel;
  slot.on_order_session.store(0, std::memory_order_relaxed);
  slot.id.store(id, std::memory_order_release);
  char client[oms::kClientOrderIdMaxChars];
  const std::size_t n =
      oms::format_client_order_id(oms::ClientOrderId{c.bot, c.client_sequence}, client);
  order_frame.begin(id, method);
  order_frame.text("symbol", def->symbol_view()).text(id_key, std::string_view(client, n));
  return &slot;
}

// Signs (HMAC) and writes order_frame. Not written: the slot goes back unless the I/O thread
// already took it (a drop sweeping the table), in which case REST settles the request (asks
// about an order instead of sending it); true then, as if sent.
bool BinanceSpotGateway::Impl::end_ws_request(PendingRequest& slot,
                                              std::atomic<std::uint64_t>& sent) {
  add_auth(order_frame);
  const bool sign = signer->kind() == RequestSigner::Kind::kHmac;
  if (write_order(slot, order_frame.finish(sign ? &*signer : nullptr))) {
    sent.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  std::uint64_t expected = slot.id.load(std::memory_order_acquire);
  return expected == 0 || !slot.id.compare_exchange_strong(expected, 0, std::memory_order_acq_rel);
}

bool BinanceSpotGateway::Impl::ws_submit(const OrderNew& o) {
  PendingRequest request;
  request.order = o;
  request.cancel = OrderCancel{o.bot, o.instrument, o.client_sequence, o.account};
  const InstrumentDefined* def = nullptr;
  PendingRequest* slot = begin_ws_request(request, "order.place", "newClientOrderId", def);
  if (slot == nullptr) return false;
  WsApiRequest& r = order_frame;
  r.text("side", side_text(o.side)).text("newOrderRespType", "ACK");
  const bool market = o.order_type == static_cast<std::uint8_t>(OrderType::kMarket);
  if (market) {
    r.text("type", "MARKET");
  } else if ((o.flags & OrderIntent::kPostOnly) != 0) {
    r.text("type", "LIMIT_MAKER");
  } else {
    const auto tif = static_cast<TimeInForce>(o.time_in_force);
    r.text("type", "LIMIT")
        .text("timeInForce", tif == TimeInForce::kIoc   ? "IOC"
                             : tif == TimeInForce::kFok ? "FOK"
                                                        : "GTC");
  }
  r.decimal("quantity", o.quantity, def->qty_scale);
  if (!market) r.decimal("price", o.price, def->price_scale);
  return end_ws_request(*slot, counters.ws_api_orders);
}

bool BinanceSpotGateway::Impl::ws_cancel(const OrderCancel& c) {
  PendingRequest request;
  request.is_cancel = true;
  request.cancel = c;
  const InstrumentDefined* def = nullptr;
  PendingRequest* slot = begin_ws_request(request, "order.cancel", "origClientOrderId", def);
  return slot != nullptr && end_ws_request(*slot, counters.ws_api_cancels);
}

void BinanceSpotGateway::Impl::hand_to_rest(const Work& w, SpscRing<Work>& to_rest) {
  if (!to_rest.try_push(w)) {
    // Never dropped silently: the next reconciliation settles what REST could not be told.
    counters.queue_full.fetch_add(1, std::memory_order_relaxed);
    reconcile_wanted.store(true);
  }
  wake_worker();
}

void BinanceSpotGateway::Impl::on_ws_status(const Event& e) {
  const Connectivity& c = e.as<Connectivity>();
  if (c.state == ConnectivityState::kConnected) {
    WsApiRequest& r = control_frame;
    const std::uint64_t id = next_request_id.fetch_add(1, std::memory_order_relaxed);
    const bool logon = signer->kind() == RequestSigner::Kind::kEd25519;
    (logon ? logon_id : subscribe_id) = id;
    r.begin(id, logon ? "session.logon" : "userDataStream.subscribe.signature");
    r.text("apiKey", credentials.api_key.reveal());
    r.integer("timestamp", venue_ms()).integer("recvWindow", config.recv_window_ms);
    gate.reserve(venue_ms(), kWeightSession, false);  // counted; a session cannot wait
    write_frame(r.finish(&*signer));
    return;
  }
  if (c.state != ConnectivityState::kDisconnected) return;
  ws_ready.store(false, std::memory_order_release);
  logon_id = subscribe_id = 0;
  if (!running.load()) return;
  stream_generation.fetch_add(1);
  responses.order_channel(config.venue, config.account, ConnectivityState::kDisconnected,
                          venue_now());
  sweep_unanswered(false, io_ring);
}

// A session's requests whose answers will never come: REST settles them (asks about an
// order, never resends it; sends a cancel again: idempotent by client id).
void BinanceSpotGateway::Impl::sweep_unanswered(bool of_order_session, SpscRing<Work>& to_rest) {
  for (PendingRequest& slot : in_flight) {
    std::uint64_t id = slot.id.load(std::memory_order_acquire);
    if (id == 0 ||
        (slot.on_order_session.load(std::memory_order_relaxed) != 0) != of_order_session) {
      continue;
    }
    const bool is_cancel = slot.is_cancel;
    const OrderNew order = slot.order;
    const OrderCancel cancel = slot.cancel;
    if (!slot.id.compare_exchange_strong(id, 0, std::memory_order_acq_rel)) continue;
    counters.ws_api_unanswered.fetch_add(1, std::memory_order_relaxed);
    Work w;
    w.now = venue_now();
    if (is_cancel) {
      w.kind = Work::kCancel;
      w.cancel = cancel;
    } else {
      w.kind = Work::kQuery;  // the order's fate is open: ask, never resend
      w.cancel = OrderCancel{order.bot, order.instrument, order.client_sequence, order.account};
      w.cause = VenueReason::kDisconnected;
    }
    hand_to_rest(w, to_rest);
  }
}

void BinanceSpotGateway::Impl::on_ws_frame(const net::Frame& frame) {
  WsApiAnswer answer;
  switch (ws_parser->parse_ws_api(frame.payload, answer)) {
    case MessageParser::WsKind::kEvent:
      handle_stream_message(*ws_parser, frame.payload);
      break;
    case MessageParser::WsKind::kAnswer:
      on_answer(answer);
      break;
    case MessageParser::WsKind::kMalformed:
      counters.malformed.fetch_add(1, std::memory_order_relaxed);
      break;
  }
}

void BinanceSpotGateway::Impl::observe_rate_limits(const WsApiAnswer& a) {
  std::optional<std::int64_t> weight, orders, weight_limit, order_limit;
  for (std::size_t i = 0; i < a.rate_limit_count; ++i) {
    const WsRateLimit& l = a.rate_limits[i];
    if (l.type == WsRateLimit::Type::kRequestWeight && l.interval_ms == gate.window_ms()) {
      weight = l.count, weight_limit = l.limit;
    } else if (l.type == WsRateLimit::Type::kOrders && l.interval_ms == 10'000) {
      orders = l.count, order_limit = l.limit;
    }
  }
  gate.cap_limits(weight_limit, order_limit);
  // retryAfter is a venue time; our estimate of the venue's clock is only as good as the
  // offset measured from GET /api/v3/time, so wait a margin longer rather than go early.
  constexpr std::int64_t kRetryAfterMarginMs = 100;
  gate.observe_counts(venue_ms(), a.status, a.error.code, weight, orders,
                      a.retry_after_ms > 0
                          ? std::optional<std::int64_t>(a.retry_after_ms + kRetryAfterMarginMs)
                          : std::nullopt);
  if (a.status == 429) counters.rate_limited.fetch_add(1, std::memory_order_relaxed);
  if (a.status == 418) counters.banned.fetch_add(1, std::memory_order_relaxed);
}

void BinanceSpotGateway::Impl::on_answer(const WsApiAnswer& a) {
  observe_rate_limits(a);
  if (a.id != 0 && (a.id == logon_id || a.id == subscribe_id)) {
    on_session_answer(a, a.id == logon_id);
    return;
  }
  take_order_answer(a, io_ring);
}

// An order request's answer, on the I/O thread of the session it was written on: its slot is
// taken (once: a sweep may have taken it first) and the answer mapped.
void BinanceSpotGateway::Impl::take_order_answer(const WsApiAnswer& a, SpscRing<Work>& to_rest) {
  PendingRequest& slot = in_flight[a.id & (kPendingSlots - 1)];
  std::uint64_t id = a.id;
  if (id == 0 || slot.id.load(std::memory_order_acquire) != id) return;  // swept or unknown
  PendingRequest request;
  request.is_cancel = slot.is_cancel;
  request.order = slot.order;
  request.cancel = slot.cancel;
  if (!slot.id.compare_exchange_strong(id, 0, std::memory_order_acq_rel)) return;
  on_order_answer(request, a, to_rest);
}

void BinanceSpotGateway::Impl::on_session_answer(const WsApiAnswer& a, bool logon) {
  if (a.status != 200) {
    counters.session_refusals.fetch_add(1, std::memory_order_relaxed);
    const MappedError m = map_error(a.status, a.error.code, a.error.msg);
    // A clock the venue refuses: measure it again; then, as after a rate limit or a server
    // error, a new session on the backoff schedule. A final refusal (a bad key or signature)
    // leaves the session down: orders go over REST, which reports why they are refused.
    if (m.retry != RetryClass::kFinal) {
      if (m.retry == RetryClass::kResyncTime) {
        resync_wanted.store(true);
        wake_worker();
      }
      ws_api->reconnect(m.retry == RetryClass::kResyncTime ? "clock skew"
                        : m.retry == RetryClass::kBackOff  ? "rate limited"
                                                           : "server error");
    }
    return;
  }
  if (logon) {
    logon_id = 0;
    WsApiRequest& r = control_frame;
    subscribe_id = next_request_id.fetch_add(1, std::memory_order_relaxed);
    r.begin(subscribe_id, "userDataStream.subscribe");
    gate.reserve(venue_ms(), kWeightSession, false);
    write_frame(r.finish(nullptr));
    return;
  }
  subscribe_id = 0;
  counters.stream_connects.fetch_add(1, std::memory_order_relaxed);
  stream_generation.fetch_add(1);
  ws_ready.store(true, std::memory_order_release);
  // kConnected is reported by the reconciliation, once the venue has answered everything.
  reconcile_wanted.store(true);
  wake_worker();
}

void BinanceSpotGateway::Impl::on_order_answer(const PendingRequest& request, const WsApiAnswer& a,
                                               SpscRing<Work>& to_rest) {
  Work w;
  w.now = venue_now();
  if (!request.is_cancel) {
    const OrderNew& o = request.order;
    if (a.status == 200) {
      OrderUpdate ack = update_for(o.bot, o.instrument, o.client_sequence,
                                   oms::OrderEvent::kAccepted, VenueReason::kNone);
      Nanos t = venue_now();
      if (a.has_order) {
        ack.venue_order_id = a.order.order_id;
        if (a.order.update_time != 0) t = a.order.update_time;
      } else {
        counters.malformed.fetch_add(1, std::memory_order_relaxed);
      }
      emit_tracked(ack, t);
      return;
    }
    const MappedError m = map_error(a.status, a.error.code, a.error.msg);
    const bool duplicate = m.reason == VenueReason::kDuplicateOrder;
    if (m.retry == RetryClass::kFinal && !duplicate) {
      emit_tracked(
          update_for(o.bot, o.instrument, o.client_sequence, oms::OrderEvent::kRejected, m.reason),
          venue_now());
      return;
    }
    // Not processed (rate limit, clock): REST sends it, waiting or resyncing as it must, and
    // asks the venue first. Unknown outcome (5xx) or a duplicate: REST asks the venue.
    const bool not_processed =
        m.retry == RetryClass::kBackOff || m.retry == RetryClass::kResyncTime;
    if (not_processed) {
      w.kind = Work::kNew;
      w.order = o;
    } else {
      w.kind = Work::kQuery;
      w.cancel = OrderCancel{o.bot, o.instrument, o.client_sequence, o.account};
      w.cause = m.reason;
    }
    if (m.retry == RetryClass::kResyncTime) resync_wanted.store(true);
    hand_to_rest(w, to_rest);
    return;
  }
  const OrderCancel& c = request.cancel;
  if (a.status == 200) {
    OrderUpdate u = update_for(c.bot, c.instrument, c.client_sequence, oms::OrderEvent::kCanceled,
                               VenueReason::kNone);
    Nanos t = venue_now();
    if (a.has_order) {
      u.venue_order_id = a.order.order_id;
      u.cumulative_quantity = a.order.executed_quantity;
      if (a.order.update_time != 0) t = a.order.update_time;
    }
    emit_tracked(u, t);
    return;
  }
  const MappedError m = map_error(a.status, a.error.code, a.error.msg);
  if (m.retry == RetryClass::kFinal) {
    emit(update_for(c.bot, c.instrument, c.client_sequence, oms::OrderEvent::kCancelRejected,
                    m.reason),
         venue_now());
    return;
  }
  if (m.retry == RetryClass::kResyncTime) resync_wanted.store(true);
  w.kind = Work::kCancel;  // idempotent by client id: REST retries it
  w.cancel = c;
  hand_to_rest(w, to_rest);
}

void BinanceSpotGateway::Impl::handle_stream_message(MessageParser& parser, std::string_view text) {
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

}  // namespace be::binance
