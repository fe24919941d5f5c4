// The gateway's REST side: one signed request after the rate gate, idempotent retries, new
// orders that are never sent twice blindly, cancels, queries, balances and reconciliation.
#include <algorithm>

#include "oms/venues/binance/gateway_impl.hpp"

namespace be::binance {

// One request, after the rate gate. `params` gets recvWindow, timestamp and the signature
// when `is_signed`.
Reply BinanceSpotGateway::Impl::call(net::HttpClient& http, MessageParser& parser,
                                     std::string_view method, std::string_view path,
                                     QueryBuilder params, bool is_signed, std::int64_t weight,
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
    // HMAC hex or Ed25519 base64 (percent-encoded: '+', '/', '=') of the query as sent.
    query = params.str();
    query.append(query.empty() ? "signature=" : "&signature=");
    query.append(percent_encode(signer->sign(params.str())));
  } else {
    query = params.str();
  }
  if (!query.empty()) target.append("?").append(query);
  counters.requests.fetch_add(1, std::memory_order_relaxed);
  if (is_order) counters.orders_sent.fetch_add(1, std::memory_order_relaxed);
  // The key goes into the request's header buffer only.
  const net::HttpHeader api_key[] = {{"X-MBX-APIKEY", credentials.api_key.reveal()}};
  net::HttpRequest request;
  request.method = method;
  request.target = target;
  if (!credentials.api_key.empty()) request.headers = api_key;
  auto result = http.request(request);
  if (!result) {
    r.sent = false;
    r.stage = result.error().stage;
    r.mapped = {result.error().timeout ? VenueReason::kTimeout : VenueReason::kDisconnected,
                RetryClass::kOutcomeUnknown};
    return r;
  }
  r.sent = true;
  r.status = result.value().status;
  if (r.status == 429) counters.rate_limited.fetch_add(1, std::memory_order_relaxed);
  if (r.status == 418) counters.banned.fetch_add(1, std::memory_order_relaxed);
  if (r.status != 200) {
    ApiError api;
    if (parser.parse_error(result.value().body, api)) {
      r.code = api.code;
      r.msg = std::move(api.msg);
    }
    r.mapped = map_error(r.status, r.code, r.msg);
  }
  // The code says whose limit a 429 is: the account's orders (-1015) or the IP's weight.
  gate.observe(venue_ms(), result.value(), r.code.value_or(0));
  r.body = std::move(result.value().body);
  return r;
}

// The venue cannot have acted on a request that failed this way.
bool BinanceSpotGateway::Impl::not_processed(const Reply& r) {
  if (r.local_reject) return true;
  if (!r.sent) return r.stage != net::HttpStage::kRead;
  return r.mapped.retry == RetryClass::kBackOff || r.mapped.retry == RetryClass::kResyncTime;
}

bool BinanceSpotGateway::Impl::resync_time(net::HttpClient& http, MessageParser& parser) {
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
Reply BinanceSpotGateway::Impl::call_idempotent(net::HttpClient& http, MessageParser& parser,
                                                std::string_view method, std::string_view path,
                                                const QueryBuilder& params, bool is_signed,
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

QueryBuilder BinanceSpotGateway::Impl::order_params(const InstrumentDefined& def, BotId bot,
                                                    SequenceNumber seq,
                                                    std::string_view id_key) const {
  char id[oms::kClientOrderIdMaxChars];
  const std::size_t n = oms::format_client_order_id(oms::ClientOrderId{bot, seq}, id);
  QueryBuilder q;
  q.add("symbol", def.symbol_view()).add(id_key, std::string_view(id, n));
  return q;
}

// GET /api/v3/order by client id. nullopt: no answer at all.
std::optional<OrderUpdate> BinanceSpotGateway::Impl::query(net::HttpClient& http,
                                                           MessageParser& parser,
                                                           const InstrumentDefined& def, BotId bot,
                                                           SequenceNumber seq, Nanos& event_time) {
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

// The instrument a request names, or nothing after answering `refusal` (kUnknownInstrument).
const InstrumentDefined* BinanceSpotGateway::Impl::instrument_or_refuse(
    BotId bot, InstrumentId instrument, SequenceNumber seq, oms::OrderEvent refusal, Nanos now) {
  const InstrumentDefined* def = symbols.by_id(instrument);
  if (def == nullptr)
    emit(update_for(bot, instrument, seq, refusal, VenueReason::kUnknownInstrument), now);
  return def;
}

// Emits `u` (an acknowledgement or a cancel) with what the venue's order answer says: its
// order id, its time and, `with_executed`, the quantity executed. An answer that does not read
// leaves `u` as it is, at our estimate of the venue's clock; false then.
bool BinanceSpotGateway::Impl::emit_answered(MessageParser& parser, const std::string& body,
                                             OrderUpdate u, bool with_executed) {
  OrderSnapshot snap;
  Nanos t = venue_now();
  const bool read = parser.parse_order(body, snap);
  if (read) {
    u.venue_order_id = snap.order_id;
    if (with_executed) u.cumulative_quantity = snap.executed_quantity;
    if (snap.update_time != 0) t = snap.update_time;
  }
  emit_tracked(u, t);
  return read;
}

void BinanceSpotGateway::Impl::do_new(net::HttpClient& http, MessageParser& parser, const Work& w) {
  const OrderNew& o = w.order;
  const InstrumentDefined* def = instrument_or_refuse(o.bot, o.instrument, o.client_sequence,
                                                      oms::OrderEvent::kRejected, w.now);
  if (def == nullptr) return;
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
      const OrderUpdate ack = update_for(o.bot, o.instrument, o.client_sequence,
                                         oms::OrderEvent::kAccepted, VenueReason::kNone);
      if (!emit_answered(parser, r.body, ack, false)) {
        counters.malformed.fetch_add(1, std::memory_order_relaxed);
      }
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
  emit_tracked(update_for(o.bot, o.instrument, o.client_sequence, oms::OrderEvent::kRejected, last),
               venue_now());
}

void BinanceSpotGateway::Impl::do_cancel(net::HttpClient& http, MessageParser& parser,
                                         const Work& w) {
  const OrderCancel& c = w.cancel;
  const InstrumentDefined* def = instrument_or_refuse(c.bot, c.instrument, c.client_sequence,
                                                      oms::OrderEvent::kCancelRejected, w.now);
  if (def == nullptr) return;
  Reply r = call_idempotent(http, parser, "DELETE", "/api/v3/order",
                            order_params(*def, c.bot, c.client_sequence, "origClientOrderId"), true,
                            kWeightCancel);
  if (r.ok()) {
    emit_answered(parser, r.body,
                  update_for(c.bot, c.instrument, c.client_sequence, oms::OrderEvent::kCanceled,
                             VenueReason::kNone),
                  true);
    return;
  }
  emit(update_for(c.bot, c.instrument, c.client_sequence, oms::OrderEvent::kCancelRejected,
                  r.mapped.reason),
       venue_now());
}

void BinanceSpotGateway::Impl::do_query(net::HttpClient& http, MessageParser& parser,
                                        const Work& w) {
  const OrderCancel& c = w.cancel;  // bot, instrument, sequence of the order asked about
  const InstrumentDefined* def = instrument_or_refuse(c.bot, c.instrument, c.client_sequence,
                                                      oms::OrderEvent::kReconciledNotFound, w.now);
  if (def == nullptr) return;
  Nanos t = 0;
  auto found = query(http, parser, *def, c.bot, c.client_sequence, t);
  if (!found) return;
  if (found->event == ev(oms::OrderEvent::kReconciledNotFound) && w.cause != VenueReason::kNone) {
    found->reason = static_cast<std::uint16_t>(w.cause);
  }
  emit_tracked(*found, t);
}

bool BinanceSpotGateway::Impl::do_balances(net::HttpClient& http, MessageParser& parser) {
  Reply r =
      call_idempotent(http, parser, "GET", "/api/v3/account", QueryBuilder{}, true, kWeightAccount);
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

// The account's open orders at the venue into `all`, each reported: ours as kReconciled*,
// others as foreign orders. false: the venue did not answer every request.
bool BinanceSpotGateway::Impl::report_open_orders(net::HttpClient& http, MessageParser& parser,
                                                  std::vector<OrderSnapshot>& all) {
  std::vector<OrderSnapshot> open;
  bool complete = true;
  const auto& instruments = symbols.instruments();
  const bool per_symbol = static_cast<std::int64_t>(instruments.size()) * kWeightOpenOrdersSymbol <
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
    const Nanos t = snap.update_time != 0 ? snap.update_time : venue_now();
    if (!snap.ours) {
      // Not one of our client ids: reported (oms/venue.hpp), never adopted; cancelled only
      // when the account's config says so.
      counters.foreign_orders.fetch_add(1, std::memory_order_relaxed);
      emit(oms::foreign_order(config.account, snap.instrument, snap.side, snap.order_id, snap.price,
                              snap.orig_quantity, snap.executed_quantity),
           t);
      if (config.foreign_orders == oms::ForeignOrderPolicy::kCancel)
        cancel_foreign(http, parser, snap);
      continue;
    }
    emit_tracked(reconciled_update(snap, config.account), t);
  }
  return complete;
}

// DELETE /api/v3/order by the venue's order id (the foreign order's client id is not ours to
// name), retried as any cancel; the outcome goes in as a second foreign-order input.
void BinanceSpotGateway::Impl::cancel_foreign(net::HttpClient& http, MessageParser& parser,
                                              const OrderSnapshot& snap) {
  const InstrumentDefined* def = symbols.by_id(snap.instrument);
  if (def == nullptr) return;  // parse_open_orders keeps our instruments' orders only
  QueryBuilder q;
  q.add("symbol", def->symbol_view()).add("orderId", static_cast<std::int64_t>(snap.order_id));
  Reply r = call_idempotent(http, parser, "DELETE", "/api/v3/order", q, true, kWeightCancel);
  OrderUpdate u = oms::foreign_order(config.account, snap.instrument, snap.side, snap.order_id,
                                     snap.price, snap.orig_quantity, snap.executed_quantity);
  Nanos t = venue_now();
  OrderSnapshot answered;
  if (r.ok()) {
    u.event = ev(oms::OrderEvent::kCanceled);
    if (parser.parse_order(r.body, answered)) {
      u.cumulative_quantity = answered.executed_quantity;
      if (answered.update_time != 0) t = answered.update_time;
    }
    counters.foreign_cancels.fetch_add(1, std::memory_order_relaxed);
  } else {
    u.event = ev(oms::OrderEvent::kCancelRejected);
    u.reason = static_cast<std::uint16_t>(r.mapped.reason);
    counters.foreign_cancels_refused.fetch_add(1, std::memory_order_relaxed);
  }
  emit(u, t);
}

// Open orders, every order still open on our side, balances; then kConnected. false: the
// venue did not answer everything; the caller tries again later.
bool BinanceSpotGateway::Impl::reconcile(net::HttpClient& http, MessageParser& parser,
                                         std::uint64_t generation) {
  std::vector<OrderSnapshot> all;
  bool complete = report_open_orders(http, parser, all);
  // Orders we still think open but the venue does not list: ask about each by client id.
  std::vector<Tracked> pending;
  {
    std::lock_guard lock(track_mutex);
    for (const auto& entry : tracked) {
      const Tracked& t = entry.second;  // a reference, not a binding: clang 14 cannot capture one
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
    responses.order_channel(config.venue, config.account, ConnectivityState::kConnected,
                            venue_now());
  }
  return true;
}

}  // namespace be::binance
