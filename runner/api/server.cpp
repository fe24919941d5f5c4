// The control API's transport: a Handler on the one server scaffold (net/server). This file
// maps the scaffold's requests, refusals and events onto the Router and ApiStats, and drives
// the /api/v1/stream WebSocket.
#include "runner/api/server.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

#include "net/server/server.hpp"
#include "runner/api/json_writer.hpp"

namespace be::api {

namespace srv = net::server;

namespace {

// Close code for a dropped stream client (RFC 6455 7.4): 1008 "policy violation" when the
// client reads too slowly for its queue; it may reconnect with ?since=.
constexpr std::uint16_t kCloseSlow = 1008;

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
        router(engine, tokens,
               RouterOptions{
                   options.rate_per_second, options.rate_burst, options.reports_dir, 64u << 20,
                   options.static_assets, options.log, options.audit_log_lines_per_second,
                   options.noise_log_lines_per_second, options.store_key, options.find_key,
                   options.tls.has_value() || srv::is_loopback_address(options.bind_address),
                   options.backtests},
               stats),
        server(srv::ServerOptions{options.bind_address, options.port,
                                  std::max(1, options.io_threads), options.max_connections,
                                  options.max_body_bytes, options.max_header_bytes,
                                  options.idle_timeout, true, "botengine", options.tls,
                                  std::chrono::milliseconds(10'000), options.reserved_connections,
                                  options.reserve_idle_timeout, ThreadRole::kApi, ""},
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
    const auto user = router.user_of(req.header("Authorization"));
    srv::ReserveUse use = srv::ReserveUse::kRefuse;
    if (user && user->admin) {
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
// -> the WebSocket's send queue, bounded here by ws_queue_messages. The cursor is the journal
// seq of the last item looked at, so a client resumes from the seq of the last message it saw
// (docs/API.md, "Event stream"). A client whose queue is full is dropped; one whose cursor fell
// behind what the engine holds is told so (a resync message) and carried on from first_seq.
class StreamSession final : public srv::WsHandler {
 public:
  StreamSession(ApiServer::Impl& server, const User& user, Router::StreamAuth subset)
      : server_(server), user_(user), since_(subset.since), subset_(std::move(subset)) {}

  ~StreamSession() override {
    if (accepted_) server_.stats.ws_open.fetch_sub(1, std::memory_order_relaxed);
  }

  void on_open(const std::shared_ptr<srv::WebSocket>& ws) override {
    accepted_ = true;
    server_.stats.ws_accepted.fetch_add(1, std::memory_order_relaxed);
    server_.stats.ws_open.fetch_add(1, std::memory_order_relaxed);
    engine::StreamWindow window = server_.engine.stream_window();
    cursor_ = since_ ? *since_ : window.head_seq;
    // The catch-up (what the buffer holds up to the head at connect) carries only the newest
    // price per instrument; later prices flow as they come.
    catch_up_through_ = window.head_seq;
    latest_prices_ = std::move(window.latest_prices);
    ws->send(hello(window));
    poll(*ws);
    ws->start_ticker(server_.options.ws_poll_interval);
  }

  void on_tick(srv::WebSocket& ws) override { poll(ws); }
  void on_sent(srv::WebSocket&) override {
    server_.stats.ws_messages.fetch_add(1, std::memory_order_relaxed);
  }

 private:
  // What this stream covers: everything for an admin; market events and the user's own bots
  // (those owned at connect are listed; bots created later join) for a user.
  std::string hello(const engine::StreamWindow& window) const {
    JsonWriter out;
    out.begin_object()
        .field("type", "hello")
        .field("user", user_.name)
        .field("admin", user_.admin)
        .field("covers", user_.admin ? "all" : "market_and_own_bots");
    if (!user_.admin) {
      out.key("bots").begin_array();
      if (const auto model = server_.engine.read_model()) {
        for (const engine::BotView& b : model->bots)
          if (b.owner == user_.id) out.integer(index_of(b.id));
      }
      out.end_array();
    }
    out.key("since");
    if (since_) {
      out.integer(*since_);
    } else {
      out.null();
    }
    out.field("first_seq", window.first_seq).field("head_seq", window.head_seq).end_object();
    return std::move(out).str();
  }

  void poll(srv::WebSocket& ws) {
    if (dropped_) return;
    const std::size_t queued = ws.queued();
    const std::size_t room =
        server_.options.ws_queue_messages > queued ? server_.options.ws_queue_messages - queued : 0;
    if (room == 0) {
      if (server_.engine.stream_window().head_seq > cursor_) {
        drop(ws, kCloseSlow, "client too slow", server_.stats.ws_dropped_slow);
        // The client is not reading, so a close frame would only queue behind the stuck
        // write: the connection is cut instead, and the pending write fails.
        ws.close_abrupt();
      }
      return;
    }
    engine::StreamBatch batch =
        server_.engine.stream_since(cursor_, std::min<std::size_t>(room, 1024));
    if (batch.resync) {
      // The events after the cursor are gone (the buffer moved on, or the runner restarted):
      // said once, then the stream goes on from first_seq; the client re-reads state via REST.
      // (One message past the queue's bound at most.)
      server_.stats.ws_resyncs.fetch_add(1, std::memory_order_relaxed);
      server_.router.log(LogBudget::kNoise,
                         "user=" + user_.name + " stream resync: since " + std::to_string(cursor_) +
                             " < first_seq " + std::to_string(batch.window.first_seq) + " - 1",
                         std::chrono::steady_clock::now());
      JsonWriter resync;
      resync.begin_object()
          .field("type", "resync")
          .field("since", cursor_)
          .field("first_seq", batch.window.first_seq)
          .field("head_seq", batch.window.head_seq)
          .end_object();
      ws.send(std::move(resync).str());
      cursor_ = batch.window.first_seq - 1;
    }
    for (auto& item : batch.items) {
      cursor_ = item.seq;
      if (!visible(item) || !wanted(item) || superseded_price(item)) continue;
      ws.send(std::move(item.json));
    }
  }

  bool visible(const engine::StreamItem& item) const {
    if (user_.admin) return true;
    if (item.bot != kNoBot) return item.owner == user_.id;
    // An engine-wide event about an account (its kill switch, its balances) is its owner's.
    const auto account = account_of(item.json);
    if (!account) return true;
    const auto model = server_.engine.read_model();
    const engine::AccountView* a = model ? model->find_account(AccountId{*account}) : nullptr;
    return a != nullptr && a->owner == user_.id;
  }

  // The subset the client asked for (?bots= ?symbols= ?types=): each list given must hold.
  bool wanted(const engine::StreamItem& item) const {
    if (!subset_.bots.empty() &&
        !std::binary_search(subset_.bots.begin(), subset_.bots.end(), item.bot))
      return false;
    const auto in = [&](const std::vector<std::string>& list, std::string_view key) {
      if (list.empty()) return true;
      const auto value = string_field(item.json, key);
      return value && std::find(list.begin(), list.end(), *value) != list.end();
    };
    return in(subset_.types, "\"type\":\"") && in(subset_.symbols, "\"symbol\":\"");
  }

  // The first `key` (`"name":"`) string value of a stream event (no escapes: types and
  // symbols are plain), if it has one.
  static std::optional<std::string_view> string_field(std::string_view json, std::string_view key) {
    const std::size_t at = json.find(key);
    if (at == std::string_view::npos) return std::nullopt;
    const std::size_t begin = at + key.size();
    const std::size_t end = json.find('"', begin);
    if (end == std::string_view::npos) return std::nullopt;
    return json.substr(begin, end - begin);
  }

  // The top-level "account":N of a stream event, if it has one.
  static std::optional<std::uint32_t> account_of(std::string_view json) {
    constexpr std::string_view kKey = "\"account\":";
    const std::size_t at = json.find(kKey);
    if (at == std::string_view::npos) return std::nullopt;
    std::uint32_t id = 0;
    const char* begin = json.data() + at + kKey.size();
    const auto parsed = std::from_chars(begin, json.data() + json.size(), id);
    // A value that is not a number is treated as naming an account nobody owns: hidden.
    return parsed.ec == std::errc{} ? id : 0xFFFF'FFFFu;
  }

  bool superseded_price(const engine::StreamItem& item) const {
    return item.price_instrument != engine::StreamItem::kNotAPrice &&
           item.seq <= catch_up_through_ &&
           !std::binary_search(latest_prices_.begin(), latest_prices_.end(), item.seq);
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
  std::optional<SequenceNumber> since_;
  Router::StreamAuth subset_;  // its bots (sorted), symbols and types
  SequenceNumber cursor_ = 0;
  SequenceNumber catch_up_through_ = 0;
  std::vector<SequenceNumber> latest_prices_;  // ascending
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
  // A seq the stream never reached comes from another deployment (or a journal-less run
  // that restarted): refused, so the client does not wait for it.
  if (auth.since) {
    const SequenceNumber head = engine.stream_window().head_seq;
    if (*auth.since > head) {
      count_refusal(400);
      answer.refusal =
          to_wire(error_response(400, "bad_request",
                                 "since " + std::to_string(*auth.since) +
                                     " is beyond the stream's head_seq " + std::to_string(head)));
      return answer;
    }
  }
  const User user = *auth.user;
  answer.handler = std::make_shared<StreamSession>(*this, user, std::move(auth));
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
