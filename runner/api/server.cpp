// The control API's transport: a Handler on the one server scaffold (net/server). This file
// maps the scaffold's requests, refusals and events onto the Router and ApiStats, and drives
// the /api/v1/stream WebSocket.
#include "runner/api/server.hpp"

#include <algorithm>
#include <optional>

#include "net/server/server.hpp"
#include "runner/api/json_writer.hpp"

namespace be::api {

namespace srv = net::server;

namespace {

// Close codes for dropped stream clients (RFC 6455 7.4): 1008 "policy violation" when the
// client reads too slowly for its queue, 4000 (application range) when it fell so far behind
// that the engine's buffer no longer holds its cursor; it may reconnect with ?since=.
constexpr std::uint16_t kCloseSlow = 1008;
constexpr std::uint16_t kCloseLost = 4000;

srv::Response to_wire(HttpResponse response) {
  srv::Response out{response.status,
                    std::move(response.content_type),
                    std::move(response.body),
                    {{"Cache-Control", "no-store"}}};
  if (response.retry_after_seconds > 0)
    out.headers.push_back({"Retry-After", std::to_string(response.retry_after_seconds)});
  return out;
}

}  // namespace

struct ApiServer::Impl final : srv::Handler {
  Impl(engine::ControlPlane& e, TokenStore t, ApiOptions o)
      : engine(e),
        tokens(std::move(t)),
        options(std::move(o)),
        router(
            engine, tokens,
            RouterOptions{options.rate_per_second, options.rate_burst, options.reports_dir,
                          64u << 20, options.static_assets, options.log,
                          options.audit_log_lines_per_second, options.noise_log_lines_per_second},
            stats),
        server(
            srv::ServerOptions{options.bind_address, options.port, std::max(1, options.io_threads),
                               options.max_connections, options.max_body_bytes,
                               options.max_header_bytes, options.idle_timeout, true, "botengine",
                               std::nullopt, std::chrono::milliseconds(10'000),
                               options.reserved_connections, options.reserve_idle_timeout},
            *this) {}

  engine::ControlPlane& engine;
  TokenStore tokens;
  ApiOptions options;
  ApiStats stats;
  Router router;
  bool started = false;
  srv::Server server;  // last: stopped and destroyed before what its callbacks use

  srv::Response handle(const srv::Request& req) override {
    const HttpRequest request{req.method, req.target, req.header("Authorization"), req.body};
    return to_wire(router.handle(request, std::chrono::steady_clock::now()));
  }

  void count_refusal(int status) {
    stats.requests.fetch_add(1, std::memory_order_relaxed);
    stats.count_status(status);
  }

  // A client refused for want of connections may come back once one is free: soon, since
  // idle connections time out and the reserve closes after each probe.
  static srv::Response busy(std::string_view detail) {
    HttpResponse busy = error_response(503, "unavailable", detail);
    busy.retry_after_seconds = 1;
    return to_wire(std::move(busy));
  }

  std::optional<srv::Response> refuse(const srv::Refused& refused) override {
    switch (refused.why) {
      case srv::Refusal::kTooManyConnections:
        stats.connections_rejected.fetch_add(1, std::memory_order_relaxed);
        return busy(refused.detail);
      case srv::Refusal::kReservedOnly:
        stats.connections_rejected.fetch_add(1, std::memory_order_relaxed);
        stats.reserve_refused.fetch_add(1, std::memory_order_relaxed);
        count_refusal(503);
        return busy(refused.detail);
      case srv::Refusal::kBodyTooLarge:
      case srv::Refusal::kHeaderTooLarge:
        stats.too_large.fetch_add(1, std::memory_order_relaxed);
        count_refusal(refused.status);
        return to_wire(error_response(refused.status, "too_large", refused.detail));
      case srv::Refusal::kMalformed: {
        stats.count_malformed(refused.violation);
        count_refusal(refused.status);
        const std::string message = "malformed HTTP (" +
                                    std::string(name_of(srv::kViolationNames, refused.violation)) +
                                    "): " + std::string(refused.detail);
        router.log(LogBudget::kNoise, message, std::chrono::steady_clock::now());
        const std::string_view code = refused.status == 505   ? "http_version_not_supported"
                                      : refused.status == 426 ? "upgrade_required"
                                                              : "bad_request";
        return to_wire(error_response(refused.status, code, message));
      }
    }
    return std::nullopt;
  }

  // The reserve: probes (one request each) and admins; health is what it is kept for.
  srv::ReserveUse reserve_use(const srv::Request& req) override {
    const User* user = router.user_of(req.header("Authorization"));
    srv::ReserveUse use = srv::ReserveUse::kRefuse;
    if (user != nullptr && user->admin) {
      use = srv::ReserveUse::kKeep;
    } else if (req.method == "GET" &&
               (req.path() == "/api/v1/health" || req.path() == "/metrics")) {
      use = srv::ReserveUse::kOnce;
    }
    if (use != srv::ReserveUse::kRefuse) {
      stats.reserve_admitted.fetch_add(1, std::memory_order_relaxed);
    }
    return use;
  }

  srv::Upgrade upgrade(const srv::Request& req) override;

  void on_event(srv::Event event, std::string_view detail) override {
    switch (event) {
      case srv::Event::kAccepted:
        stats.connections_accepted.fetch_add(1, std::memory_order_relaxed);
        return;
      case srv::Event::kAcceptFailed:
        router.log(LogBudget::kNoise, "accept failed: " + std::string(detail),
                   std::chrono::steady_clock::now());
        return;
      case srv::Event::kOpened:
        stats.connections_open.fetch_add(1, std::memory_order_acq_rel);
        return;
      case srv::Event::kClosed:
        stats.connections_open.fetch_sub(1, std::memory_order_acq_rel);
        return;
      case srv::Event::kIdleTimeout:
        stats.idle_timeouts.fetch_add(1, std::memory_order_relaxed);
        return;
      case srv::Event::kTlsHandshake:
      case srv::Event::kTlsHandshakeFailed:
        return;  // the API serves plain HTTP
    }
  }
};

namespace {

// StreamSession: every ws_poll_interval, ControlPlane::stream_since(cursor) -> filter by owner
// -> the WebSocket's send queue, bounded here by ws_queue_messages. A client whose queue is
// full, or whose cursor fell out of the engine's buffer, is dropped; nothing waits for it.
class StreamSession final : public srv::WsHandler {
 public:
  StreamSession(ApiServer::Impl& server, const User& user, std::optional<std::uint64_t> since)
      : server_(server), user_(user), since_(since) {}

  ~StreamSession() override {
    if (accepted_) server_.stats.ws_open.fetch_sub(1, std::memory_order_relaxed);
  }

  void on_open(const std::shared_ptr<srv::WebSocket>& ws) override {
    accepted_ = true;
    server_.stats.ws_accepted.fetch_add(1, std::memory_order_relaxed);
    server_.stats.ws_open.fetch_add(1, std::memory_order_relaxed);
    cursor_ = since_ ? *since_ : server_.engine.stream_head();
    JsonWriter hello;
    hello.begin_object()
        .field("type", "hello")
        .field("user", user_.name)
        .field("admin", user_.admin)
        .field("cursor", cursor_)
        .end_object();
    ws->send(std::move(hello).str());
    poll(*ws);
    ws->start_ticker(server_.options.ws_poll_interval);
  }

  void on_tick(srv::WebSocket& ws) override { poll(ws); }
  void on_sent(srv::WebSocket&) override {
    server_.stats.ws_messages.fetch_add(1, std::memory_order_relaxed);
  }

 private:
  void poll(srv::WebSocket& ws) {
    if (dropped_) return;
    const std::size_t queued = ws.queued();
    const std::size_t room =
        server_.options.ws_queue_messages > queued ? server_.options.ws_queue_messages - queued : 0;
    if (room == 0) {
      if (server_.engine.stream_head() > cursor_) {
        drop(ws, kCloseSlow, "client too slow", server_.stats.ws_dropped_slow);
        // The client is not reading, so a close frame would only queue behind the stuck
        // write: the connection is cut instead, and the pending write fails.
        ws.close_abrupt();
      }
      return;
    }
    bool lost = false;
    auto items = server_.engine.stream_since(cursor_, std::min<std::size_t>(room, 1024), lost);
    if (lost) {
      drop(ws, kCloseLost, "fell behind the stream buffer", server_.stats.ws_dropped_lost);
      ws.close(kCloseLost, "fell behind the stream buffer");
      return;
    }
    std::shared_ptr<const engine::ReadModel> model;
    for (auto& item : items) {
      cursor_ = item.cursor;
      if (!visible(item, model)) continue;
      ws.send(std::move(item.json));
    }
  }

  bool visible(const engine::StreamItem& item, std::shared_ptr<const engine::ReadModel>& model) {
    if (item.bot == kNoBot || user_.admin) return true;
    if (model == nullptr) model = server_.engine.read_model();
    const engine::BotView* bot = model != nullptr ? model->find(item.bot) : nullptr;
    return bot != nullptr && bot->owner == user_.id;
  }

  void drop(srv::WebSocket&, std::uint16_t, std::string_view reason,
            std::atomic<std::uint64_t>& counter) {
    dropped_ = true;
    counter.fetch_add(1, std::memory_order_relaxed);
    server_.router.log(LogBudget::kNoise,
                       "user=" + user_.name + " stream dropped: " + std::string(reason),
                       std::chrono::steady_clock::now());
  }

  ApiServer::Impl& server_;
  User user_;
  std::optional<std::uint64_t> since_;
  std::uint64_t cursor_ = 0;
  bool accepted_ = false;
  bool dropped_ = false;
};

}  // namespace

srv::Upgrade ApiServer::Impl::upgrade(const srv::Request& req) {
  srv::Upgrade answer;
  if (req.path() != "/api/v1/stream") {
    count_refusal(404);
    answer.refusal =
        to_wire(error_response(404, "not_found", "WebSocket is served on /api/v1/stream"));
    return answer;
  }
  const HttpRequest request{req.method, req.target, req.header("Authorization"), {}};
  auto auth = router.authorize_stream(request, std::chrono::steady_clock::now());
  if (auth.refusal) {
    answer.refusal = to_wire(std::move(*auth.refusal));
    return answer;
  }
  answer.handler = std::make_shared<StreamSession>(*this, *auth.user, auth.since);
  answer.options.handshake_timeout = std::chrono::seconds(5);
  answer.options.idle_timeout = options.idle_timeout;
  answer.options.keep_alive_pings = true;  // a ping at half the idle time: quiet is not dead
  answer.options.read_message_max = 4096;  // clients only send control frames
  answer.options.send_buffer_bytes = options.ws_send_buffer_bytes;
  return answer;
}

ApiServer::ApiServer(engine::ControlPlane& engine, TokenStore tokens, ApiOptions options)
    : impl_(std::make_unique<Impl>(engine, std::move(tokens), std::move(options))) {}

ApiServer::~ApiServer() {
  stop();
}

Expected<std::uint16_t, std::string> ApiServer::start() {
  if (impl_->started) return Unexpected(std::string("the API server was started already"));
  auto port = impl_->server.start();
  if (port) impl_->started = true;
  return port;
}

void ApiServer::stop(std::chrono::milliseconds grace) {
  impl_->server.stop(grace);
}

std::uint16_t ApiServer::port() const noexcept {
  return impl_->server.port();
}

const ApiStats& ApiServer::stats() const noexcept {
  return impl_->stats;
}

}  // namespace be::api
