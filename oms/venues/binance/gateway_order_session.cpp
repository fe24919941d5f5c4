// The gateway's order session (gateway.hpp "The hot thread's write"; docs/BINANCE.md "Order
// entry from the hot thread"): a second WebSocket API connection that the order manager's
// thread writes orders and cancels on itself (net::DirectWsSession). The REST side opens it
// once the user-data session is subscribed (blocking connect, TLS, upgrade, and with an
// Ed25519 key session.logon, all bounded by request_timeout), then hands it to an I/O thread
// that reads its answers. On a close its unanswered requests go to REST as after a drop of
// the user-data session, and the REST side opens it again on the reconnect schedule.
#include "oms/venues/binance/gateway_impl.hpp"

namespace be::binance {

Expected<bool, std::string> BinanceSpotGateway::Impl::start_order_session() {
  if (!config.hot_order_session || config.order_entry != GatewayConfig::OrderEntry::kWebSocketApi) {
    return true;
  }
  order_parser = std::make_unique<MessageParser>(symbols);
  if (io_threads == nullptr) own_io = std::make_unique<net::IoThreads>(1);
  order_io = io_threads != nullptr ? io_threads : own_io.get();
  return true;
}

Nanos BinanceSpotGateway::Impl::keep_order_session() {
  if (order_io == nullptr || order_session_started.load(std::memory_order_acquire) ||
      !ws_ready.load(std::memory_order_acquire)) {
    return RestPool::Queue::kIdle;
  }
  const Nanos now = monotonic_now();
  if (now < order_retry_at) return order_retry_at;
  const auto to_ns = [](std::chrono::milliseconds d) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  };
  const auto failed = [&] {
    order_backoff = order_backoff == 0
                        ? to_ns(config.reconnect_delay)
                        : std::min(order_backoff * 2, to_ns(config.max_reconnect_delay));
    order_retry_at = monotonic_now() + order_backoff;
    return order_retry_at;
  };
  net::DirectWsConfig dc;
  dc.url = config.ws_api_url;
  dc.tls = config.tls;
  dc.timeout = to_ns(config.request_timeout);
  std::string error;  // names a step, never a key (nothing secret is in it)
  if (!order_session.connect(dc, &error)) return failed();
  if (signer->kind() == RequestSigner::Kind::kEd25519) {
    // session.logon on this connection too: its requests then carry no signature.
    WsApiRequest& r = order_logon;
    r.begin(next_request_id.fetch_add(1, std::memory_order_relaxed), "session.logon");
    r.text("apiKey", credentials.api_key.reveal());
    r.integer("timestamp", venue_ms()).integer("recvWindow", config.recv_window_ms);
    gate.reserve(venue_ms(), kWeightSession, false);
    std::string answer_text;
    WsApiAnswer answer;
    if (!order_session.exchange(r.finish(&*signer), answer_text, &error) ||
        rest_parser->parse_ws_api(answer_text, answer) != MessageParser::WsKind::kAnswer) {
      order_session.close();
      return failed();
    }
    observe_rate_limits(answer);
    if (answer.status != 200) {
      counters.session_refusals.fetch_add(1, std::memory_order_relaxed);
      if (map_error(answer.status, answer.error.code, answer.error.msg).retry ==
          RetryClass::kResyncTime) {
        resync_wanted.store(true);
      }
      order_session.close();
      return failed();
    }
  }
  net::DirectWsHandlers handlers;
  handlers.on_text = [this](std::string_view text) { on_order_session_text(text); };
  handlers.on_closed = [this](std::string_view why) { on_order_session_closed(why); };
  order_session_started.store(true, std::memory_order_release);
  order_session.start(*order_io, std::move(handlers));
  order_backoff = 0;
  counters.order_session_connects.fetch_add(1, std::memory_order_relaxed);
  return RestPool::Queue::kIdle;
}

void BinanceSpotGateway::Impl::on_order_session_text(std::string_view text) {
  WsApiAnswer answer;
  switch (order_parser->parse_ws_api(text, answer)) {
    case MessageParser::WsKind::kAnswer:
      observe_rate_limits(answer);
      take_order_answer(answer, order_ring);
      counters.order_session_answers.fetch_add(1, std::memory_order_relaxed);
      break;
    case MessageParser::WsKind::kEvent:  // no subscription here: nothing to take
      break;
    case MessageParser::WsKind::kMalformed:
      counters.malformed.fetch_add(1, std::memory_order_relaxed);
      break;
  }
}

void BinanceSpotGateway::Impl::on_order_session_closed(std::string_view why) {
  order_session_started.store(false, std::memory_order_release);
  sweep_unanswered(true, order_ring);
  // The venue stopped answering this account's orders: its user-data session, on the same
  // link, is as suspect (its pongs may still come), so it is renewed and reconciled too, as
  // if a request of its own had gone unanswered.
  if (why == net::kNoAnswerReason && running.load()) {
    ws_api->reconnect("the order session's requests went unanswered");
  }
  if (running.load())
    wake_worker();  // the REST side opens it again (and settles what the sweep handed it)
}

void BinanceSpotGateway::inject_order_session_fault(net::DirectWsSession::Fault fault,
                                                    int count) noexcept {
  impl_->order_session.inject(fault, count);
}

}  // namespace be::binance
