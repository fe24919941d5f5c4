// The gateway's user-data stream on net::WsClient: each connection opens
// <ws_url>/ws/<listenKey> with a listenKey fetched just before it (POST
// /api/v3/userDataStream, on the client's I/O thread), reconnects with backoff (reconnect_delay
// doubling to max_reconnect_delay, no jitter), and a thread of its own renews the key (PUT)
// every keepalive_interval. A (re)connection asks the worker to reconcile; a drop reports
// kDisconnected at once.
#include "oms/venues/binance/gateway_impl.hpp"

namespace be::binance {

Expected<bool, std::string> BinanceSpotGateway::Impl::start_user_stream() {
  stream_http = std::make_unique<net::HttpClient>(rest_origin, http_options());
  stream_parser = std::make_unique<MessageParser>(symbols);
  net::WsClientConfig wc;
  wc.url = config.ws_url;
  wc.venue = config.venue;
  wc.connect_target = [this] { return fetch_listen_key(); };
  wc.backoff.initial =
      std::chrono::duration_cast<std::chrono::nanoseconds>(config.reconnect_delay).count();
  wc.backoff.cap =
      std::chrono::duration_cast<std::chrono::nanoseconds>(config.max_reconnect_delay).count();
  wc.backoff.multiplier = 2.0;
  wc.backoff.jitter = 0.0;
  wc.connect_timeout =
      std::chrono::duration_cast<std::chrono::nanoseconds>(config.request_timeout).count();
  wc.max_message_bytes = 1u << 20;
  net::WsClientHandlers handlers;
  handlers.on_frame = [this](const net::Frame& f) { on_stream_frame(f); };
  handlers.on_status = [this](const Event& e) { on_stream_status(e); };
  user_stream = std::make_unique<net::WsClient>(std::move(wc), std::move(handlers), &wall);
  std::string error;
  if (!user_stream->start(&error)) return Unexpected("ws_url: " + error);
  keepalive = std::thread([this] { keepalive_main(); });
  return true;
}

void BinanceSpotGateway::Impl::stop_user_stream() {
  if (user_stream) user_stream->stop();  // no handler runs after this
  if (keepalive.joinable()) keepalive.join();
}

// On the WebSocket client's I/O thread, before every connection attempt.
Expected<std::string, std::string> BinanceSpotGateway::Impl::fetch_listen_key() {
  Reply r = call_idempotent(*stream_http, *stream_parser, "POST", "/api/v3/userDataStream",
                            QueryBuilder{}, false, kWeightListenKey);
  std::string key;
  if (!r.ok() || !stream_parser->parse_listen_key(r.body, key)) {
    return Unexpected(r.sent ? "no listenKey (HTTP " + std::to_string(r.status) + ")"
                             : std::string("no listenKey (no answer)"));
  }
  {
    std::lock_guard lock(listen_key_mutex);
    listen_key = key;
  }
  return "/ws/" + key;
}

void BinanceSpotGateway::Impl::on_stream_frame(const net::Frame& frame) {
  // The venue ends the session: a new listenKey and a new connection (and a reconciliation).
  if (frame.payload.find("\"listenKeyExpired\"") != std::string_view::npos) {
    user_stream->reconnect("listenKeyExpired");
    return;
  }
  handle_stream_message(*stream_parser, frame.payload);
}

void BinanceSpotGateway::Impl::on_stream_status(const Event& e) {
  const Connectivity& c = e.as<Connectivity>();
  if (c.state == ConnectivityState::kConnected) {
    counters.stream_connects.fetch_add(1, std::memory_order_relaxed);
    stream_generation.fetch_add(1);
    // kConnected is reported by the reconciliation, once the venue has answered everything.
    reconcile_wanted.store(true);
    wake_worker();
  } else if (c.state == ConnectivityState::kDisconnected && running.load()) {
    stream_generation.fetch_add(1);
    responses.connectivity(config.venue, ConnectivityState::kDisconnected, venue_now());
  }
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

void BinanceSpotGateway::Impl::keepalive_main() {
  net::HttpClient http(rest_origin, http_options());
  MessageParser parser(symbols);
  while (pause(config.keepalive_interval)) {
    std::string key;
    {
      std::lock_guard lock(listen_key_mutex);
      key = listen_key;
    }
    if (key.empty() || !user_stream->connected()) continue;
    QueryBuilder q;
    q.add("listenKey", key);
    call_idempotent(http, parser, "PUT", "/api/v3/userDataStream", q, false, kWeightListenKey);
  }
}

}  // namespace be::binance
