// The simulator's logic on the one server scaffold (net/server): sessions and their
// subscriptions, the paced market pump, faults. Sockets, TLS and HTTP framing are the
// scaffold's; request shapes are routes.hpp's.
#include "sim/sim_server.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "core/clock.hpp"
#include "net/server/server.hpp"
#include "sim/routes.hpp"
#include "sim/ticker_stream.hpp"

namespace be::sim {

namespace srv = net::server;
using SteadyClock = std::chrono::steady_clock;

namespace {

std::chrono::nanoseconds ns(Nanos n) {
  return std::chrono::nanoseconds(n);
}

// Three shapes of broken frame, all valid UTF-8 (an invalid UTF-8 text frame is a protocol
// error that closes the connection, which is the `drop` fault's job, not this one's).
constexpr std::string_view kMalformed[] = {
    R"({"stream":"btcusdt@trade","data":{"e":"trade","E":17)",  // truncated
    "this is not json",                                         // garbage
    R"({"stream":"btcusdt@trade","data":{"e":"trade","p":}})",  // braces fine, JSON not
};

bool is_depth_stream(std::string_view stream) {
  return stream.ends_with("@depth@100ms") || stream.ends_with("@depth");
}

using Shared = std::shared_ptr<const std::string>;

}  // namespace

class SimSession;

// The server's single I/O thread runs every callback, the pump and the faults, so the state
// below needs no lock; only `stats` is read from other threads.
struct SimServer::Impl final : srv::Handler {
  Impl(SimConfig c, std::unique_ptr<MarketSource> s) : config(std::move(c)), source(std::move(s)) {}

  SimConfig config;
  std::unique_ptr<MarketSource> source;

  mutable std::mutex mu;
  mutable std::condition_variable cv;
  SimStats stats;

  std::optional<srv::Server> server;
  std::optional<srv::Timer> pump_timer;  // after the server: destroyed first
  // Server-thread state.
  std::vector<std::shared_ptr<srv::WebSocket>> sessions;
  bool running = false;
  bool stopping = false;
  bool market_started = false;
  SteadyClock::time_point origin{};
  Nanos first_event = 0;
  MarketMessage pending;
  bool have_pending = false;
  bool pump_scheduled = false;
  bool waiting_drain = false;
  SteadyClock::time_point stall_until{};
  std::map<std::string, std::uint32_t, std::less<>> skip_depth;  // symbol -> updates to withhold
  std::uint32_t skip_any_depth = 0;

  template <class F>
  void update(F&& f) {
    {
      std::lock_guard lock(mu);
      f(stats);
    }
    cv.notify_all();
  }

  // ---- the scaffold's Handler ----
  srv::Response handle(const srv::Request& req) override;
  srv::Upgrade upgrade(const srv::Request& req) override;
  void on_event(srv::Event event, std::string_view detail) override {
    if (event == srv::Event::kTlsHandshake) {
      update([&](SimStats& s) {
        ++s.tls_handshakes;
        s.last_server_name = std::string(detail);
      });
    } else if (event == srv::Event::kTlsHandshakeFailed) {
      update([](SimStats& s) { ++s.tls_handshake_failures; });
    }
  }
  srv::Response reject(int status, std::string_view why) {
    update([](SimStats& s) { ++s.rejected_requests; });
    std::string body = R"({"ok":false,"code":)" + std::to_string(status) + R"(,"error":")";
    append_json_escaped(body, why);
    body += "\"}";
    return respond(status, std::move(body));
  }
  static srv::Response respond(int status, std::string body) {
    body += '\n';
    return srv::Response{status, "application/json", std::move(body), {}, true};
  }

  void kick() {
    if (pump_scheduled || stopping) return;
    pump_scheduled = true;
    server->post([this] { pump(); });
  }
  void schedule_at(SteadyClock::time_point when) {
    pump_scheduled = true;
    pump_timer->at(when, [this](bool fired) {
      if (!fired) {
        pump_scheduled = false;
        return;
      }
      pump();
    });
  }
  bool any_subscription() const;
  bool backpressured() const;
  void pump();
  void broadcast(const MarketMessage& m);
  void feed_venue(const MarketMessage& m);
  void add_session(const std::shared_ptr<srv::WebSocket>& ws);
  void remove_session(const srv::WebSocket* ws);
  void on_request(srv::WebSocket& ws, SimSession& s, std::string_view text);
  void apply(const Fault& f);
  void on_drained() {
    if (waiting_drain) {
      waiting_drain = false;
      kick();
    }
  }
  Expected<bool, std::string> load_tls_files();
};

// One client's subscriptions; the scaffold's WebSocket carries it (TCP or TLS).
class SimSession final : public srv::WsHandler {
 public:
  SimSession(SimServer::Impl& server, bool combined, std::vector<std::string> streams)
      : server_(server), combined_(combined), streams_(streams.begin(), streams.end()) {}

  bool combined() const { return combined_; }
  bool wants(const std::string& stream) const { return streams_.contains(stream); }
  std::set<std::string>& streams() { return streams_; }
  bool doomed = false;  // marked for removal during a broadcast

  void on_open(const std::shared_ptr<srv::WebSocket>& ws) override {
    server_.add_session(ws);
    ws->start_ticker(ns(server_.config.ping_interval));
  }
  void on_tick(srv::WebSocket& ws) override {
    ws.ping();
    server_.update([](SimStats& s) { ++s.pings_sent; });
  }
  void on_message(srv::WebSocket& ws, std::string_view text) override {
    server_.on_request(ws, *this, text);
  }
  void on_control(srv::WebSocket&, bool ping) override {
    if (ping) {
      server_.update([](SimStats& s) { ++s.pings_received; });
    } else {
      server_.update([](SimStats& s) { ++s.pongs_received; });
    }
  }
  void on_sent(srv::WebSocket& ws) override {
    if (ws.queued() < 256) server_.on_drained();
  }
  void on_closed(srv::WebSocket& ws) override { server_.remove_session(&ws); }

 private:
  SimServer::Impl& server_;
  bool combined_;
  std::set<std::string> streams_;
};

namespace {

SimSession& state(const std::shared_ptr<srv::WebSocket>& ws) {
  return static_cast<SimSession&>(ws->handler());
}

}  // namespace

srv::Upgrade SimServer::Impl::upgrade(const srv::Request& req) {
  if (config.venue != nullptr && config.venue->serves_upgrade(req.target)) {
    return config.venue->handler().upgrade(req);
  }
  srv::Upgrade answer;
  WsRoute r = route_ws(req.target, *source, config.max_streams_per_connection);
  if (!r.ok) {
    answer.refusal = reject(400, r.error);
  } else if (sessions.size() >= config.max_connections) {
    answer.refusal = reject(503, "too many connections");
  } else {
    answer.handler = std::make_shared<SimSession>(*this, r.combined, std::move(r.streams));
    answer.options.read_message_max = kMaxControlBytes * 4;
  }
  return answer;
}

srv::Response SimServer::Impl::handle(const srv::Request& req) {
  update([](SimStats& s) { ++s.http_requests; });
  const std::string_view path = req.path();
  if (path == "/sim/fault") {
    if (req.method != "POST") return reject(405, "use POST");
    auto fault = parse_fault(req.body);
    if (!fault) return reject(400, fault.error());
    apply(*fault);
    std::string body = R"({"ok":true,"fault":")";
    body += to_string(fault->kind);
    body += "\"}";
    return respond(200, std::move(body));
  }
  if (path == "/api/v3/depth") {
    if (req.method != "GET") return reject(405, "use GET");
    const auto query = parse_depth_query(req.query());
    if (!query) return reject(400, query.error());
    std::string body = source->depth_snapshot(query->symbol, query->limit);
    if (body.empty()) return reject(404, "no book for " + query->symbol);
    return respond(200, std::move(body));
  }
  if (path == "/sim/stats") {
    if (req.method != "GET") return reject(405, "use GET");
    SimStats copy;
    {
      std::lock_guard lock(mu);
      copy = stats;
    }
    return respond(200, stats_json(copy));
  }
  if (config.venue != nullptr && config.venue->serves_path(path)) {
    return config.venue->handler().handle(req);
  }
  return reject(404, "unknown path");
}

bool SimServer::Impl::any_subscription() const {
  return std::any_of(sessions.begin(), sessions.end(),
                     [](const auto& s) { return !state(s).streams().empty(); });
}

bool SimServer::Impl::backpressured() const {
  return std::any_of(sessions.begin(), sessions.end(),
                     [](const auto& s) { return s->queued() > 1024; });
}

void SimServer::Impl::pump() {
  pump_scheduled = false;
  if (stopping) return;
  const auto now = SteadyClock::now();
  if (now < stall_until) return schedule_at(stall_until);
  // Nothing to pace against yet, or (at full speed) nobody to deliver to: idle until a
  // subscription kicks the pump, instead of burning a core.
  if ((!market_started && config.hold_until_subscribed) || config.speed <= 0) {
    if (!any_subscription()) return;
  }
  std::uint64_t taken = 0;
  for (int i = 0; i < 256; ++i) {
    if (!have_pending) {
      if (!source->next(pending)) {
        update([&](SimStats& s) {
          s.market_messages += taken;
          s.source_exhausted = true;
        });
        return;
      }
      ++taken;
      have_pending = true;
      if (!market_started) {
        market_started = true;
        origin = now;
        first_event = pending.event_time;
      }
    }
    if (config.pace_on_wall_clock) {
      const Nanos early = pending.event_time - wall_now();
      if (early > 0) {
        update([&](SimStats& s) { s.market_messages += taken; });
        return schedule_at(SteadyClock::now() + ns(early));
      }
    } else if (config.speed > 0) {
      const auto due =
          origin + std::chrono::duration_cast<SteadyClock::duration>(ns(static_cast<Nanos>(
                       static_cast<double>(pending.event_time - first_event) / config.speed)));
      if (due > now) {
        update([&](SimStats& s) { s.market_messages += taken; });
        return schedule_at(due);
      }
    } else if (backpressured()) {
      waiting_drain = true;
      update([&](SimStats& s) { s.market_messages += taken; });
      return;
    }
    broadcast(pending);
    have_pending = false;
  }
  update([&](SimStats& s) { s.market_messages += taken; });
  kick();  // yield to the network between batches
}

// The venue sees the market as clients do: when it is delivered, not when it is generated.
// Trades come from @trade, or from @aggTrade for a symbol without @trade (captures often
// hold only aggregates), never from both: a trade's quantity fills resting orders once.
void SimServer::Impl::feed_venue(const MarketMessage& m) {
  auto symbol = symbol_of(m.stream, "@trade");
  if (const auto aggregated = symbol_of(m.stream, "@aggTrade");
      !aggregated.empty() && !source->serves(std::string(aggregated) + "@trade")) {
    symbol = aggregated;
  }
  if (!symbol.empty()) {
    const auto price = decimal_field(m.payload, "p");
    const auto qty = decimal_field(m.payload, "q");
    if (price && qty) config.venue->on_trade(to_upper(symbol), *price, *qty);
  } else if (const auto quoted = symbol_of(m.stream, "@bookTicker"); !quoted.empty()) {
    const auto bid = decimal_field(m.payload, "b");
    const auto ask = decimal_field(m.payload, "a");
    if (bid && ask) config.venue->on_quote(to_upper(quoted), *bid, *ask);
  }
}

void SimServer::Impl::broadcast(const MarketMessage& m) {
  if (config.venue != nullptr) feed_venue(m);
  if (is_depth_stream(m.stream)) {
    const std::string_view symbol = std::string_view(m.stream).substr(0, m.stream.find('@'));
    const auto it = skip_depth.find(symbol);
    if (skip_any_depth > 0 || (it != skip_depth.end() && it->second > 0)) {
      if (skip_any_depth > 0) {
        --skip_any_depth;
      } else {
        --it->second;
      }
      update([](SimStats& s) { ++s.depth_updates_withheld; });
      return;
    }
  }
  Shared raw, combined;
  std::uint64_t sent = 0, dropped = 0;
  const Nanos writing_at = config.on_broadcast ? wall_now() : 0;
  for (auto& ws : sessions) {
    SimSession& s = state(ws);
    if (!s.wants(m.stream)) continue;
    if (s.combined()) {
      if (!combined) {
        auto text = std::make_shared<std::string>();
        text->reserve(m.stream.size() + m.payload.size() + 24);
        *text += R"({"stream":")";
        *text += m.stream;
        *text += R"(","data":)";
        *text += m.payload;
        *text += '}';
        combined = std::move(text);
      }
      ws->send(combined);
    } else {
      if (!raw) raw = std::make_shared<const std::string>(m.payload);
      ws->send(raw);
    }
    ++sent;
    if (config.speed > 0 && ws->queued() > config.max_queue) {
      s.doomed = true;
      ++dropped;
    }
  }
  if (dropped > 0) {
    for (auto& ws : sessions) {
      if (state(ws).doomed) ws->close_abrupt();
    }
    std::erase_if(sessions, [](const auto& ws) { return state(ws).doomed; });
  }
  if (config.on_broadcast) config.on_broadcast(m, sent, writing_at);
  update([&](SimStats& s) {
    s.frames_sent += sent;
    s.slow_clients_dropped += dropped;
    if (dropped) s.open_sessions = sessions.size();
  });
}

void SimServer::Impl::add_session(const std::shared_ptr<srv::WebSocket>& ws) {
  if (stopping) {
    ws->close_abrupt();
    return;
  }
  sessions.push_back(ws);
  const std::size_t streams = state(ws).streams().size();
  update([&](SimStats& st) {
    ++st.connections;
    st.open_sessions = sessions.size();
    st.subscriptions += streams;
  });
  if (streams > 0) kick();
}

void SimServer::Impl::remove_session(const srv::WebSocket* ws) {
  const auto it =
      std::find_if(sessions.begin(), sessions.end(), [&](const auto& p) { return p.get() == ws; });
  if (it == sessions.end()) return;
  const std::size_t n = state(*it).streams().size();
  sessions.erase(it);
  update([&](SimStats& st) {
    st.open_sessions = sessions.size();
    st.subscriptions -= n;
  });
}

void SimServer::Impl::on_request(srv::WebSocket& ws, SimSession& s, std::string_view text) {
  update([](SimStats& st) { ++st.control_requests; });
  auto fail = [&](ControlError e) {
    update([](SimStats& st) { ++st.rejected_requests; });
    ws.send(reply_error(e));
  };
  auto req = parse_control_request(text);
  if (!req) return fail(req.error());
  switch (req->method) {
    case ControlRequest::Method::kSubscribe: {
      for (const auto& p : req->params) {
        if (!source->serves(p)) {
          std::string msg = "Invalid request: unknown stream `";
          append_json_escaped(msg, std::string_view(p).substr(0, 64));
          msg += '`';
          return fail(ControlError{2, std::move(msg), req->id});
        }
      }
      if (s.streams().size() + req->params.size() > config.max_streams_per_connection) {
        return fail(ControlError{2, "Invalid request: too many streams", req->id});
      }
      std::size_t added = 0;
      for (auto& p : req->params)
        added += s.streams().insert(std::move(p)).second ? 1 : 0;
      update([&](SimStats& st) { st.subscriptions += added; });
      ws.send(reply_ok(req->id));
      kick();
      return;
    }
    case ControlRequest::Method::kUnsubscribe: {
      std::size_t removed = 0;
      for (const auto& p : req->params)
        removed += s.streams().erase(p);
      update([&](SimStats& st) { st.subscriptions -= removed; });
      ws.send(reply_ok(req->id));
      return;
    }
    case ControlRequest::Method::kList: {
      const std::vector<std::string> list(s.streams().begin(), s.streams().end());
      ws.send(reply_list(list, req->id));
      return;
    }
  }
}

void SimServer::Impl::apply(const Fault& f) {
  update([](SimStats& st) { ++st.faults; });
  switch (f.kind) {
    case Fault::Kind::kDrop: {
      auto all = std::move(sessions);
      sessions.clear();
      for (auto& ws : all)
        ws->close_abrupt();
      update([](SimStats& st) {
        st.open_sessions = 0;
        st.subscriptions = 0;
      });
      return;
    }
    case Fault::Kind::kStall: {
      const auto now = SteadyClock::now();
      const auto until = std::max(stall_until, now) + ns(f.duration);
      // Shift the pacing origin so the market resumes where it paused instead of bursting.
      if (market_started && config.speed > 0) origin += until - std::max(stall_until, now);
      stall_until = until;
      return;
    }
    case Fault::Kind::kMalformed: {
      for (std::uint32_t i = 0; i < f.count; ++i) {
        const std::string_view bad = kMalformed[i % std::size(kMalformed)];
        auto text = std::make_shared<const std::string>(bad);
        for (auto& ws : sessions)
          ws->send(text);
      }
      return;
    }
    case Fault::Kind::kSkipSequence: {
      if (f.symbol.empty()) {
        skip_any_depth += f.count;
      } else {
        skip_depth[f.symbol] += f.count;
      }
      return;
    }
  }
}

Expected<bool, std::string> SimServer::Impl::load_tls_files() {
  const bool files = !config.tls_certificate_file.empty() || !config.tls_private_key_file.empty();
  if (!files) return false;
  if (config.tls_certificate_file.empty() || config.tls_private_key_file.empty()) {
    return Unexpected{std::string("TLS needs both a certificate file and a private key file")};
  }
  auto loaded = load_tls_identity(config.tls_certificate_file, config.tls_private_key_file);
  if (!loaded) return Unexpected{loaded.error()};
  config.tls = std::move(*loaded);
  return true;
}

SimServer::SimServer(SimConfig config, std::unique_ptr<MarketSource> source)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(source))) {}

SimServer::~SimServer() {
  stop();
}

Expected<std::uint16_t, std::string> SimServer::start() {
  Impl& s = *impl_;
  if (s.running) return s.server->port();
  if (!s.source) return Unexpected{std::string("no market source")};
  if (auto tls = s.load_tls_files(); !tls) return Unexpected{tls.error()};
  if (!s.config.allow_remote && !srv::is_loopback_address(s.config.bind_address)) {
    return Unexpected{
        "refusing to bind non-loopback address " + s.config.bind_address +
        " (the simulator is for loopback; allow_remote, --allow-remote on the CLI, overrides)"};
  }
  srv::ServerOptions options;
  options.bind_address = s.config.bind_address;
  options.port = s.config.port;
  options.io_threads = 1;  // the pump, the faults and every session share one thread
  options.max_body_bytes = kMaxControlBytes;
  options.max_header_bytes = 8192;
  options.idle_timeout = std::chrono::seconds(10);
  // One HTTP exchange per connection, unless a venue serves REST (clients reuse them).
  options.keep_alive = s.config.venue != nullptr;
  options.server_header = "botengine-sim";
  options.tls = s.config.tls;
  s.pump_timer.reset();
  s.server.emplace(std::move(options), s);
  s.stopping = false;
  s.pump_timer.emplace(*s.server);
  auto port = s.server->start();
  if (!port) return port;
  s.running = true;
  if (!s.config.hold_until_subscribed) s.server->post([&s] { s.kick(); });
  return port;
}

void SimServer::stop() {
  Impl& s = *impl_;
  if (!s.running) return;
  s.running = false;
  s.server->post([&s] {
    s.stopping = true;
    s.pump_timer->cancel();
    for (auto& ws : s.sessions)
      ws->close_abrupt();
    s.sessions.clear();
    s.update([](SimStats& st) { st.open_sessions = 0; });
  });
  // In-flight HTTP exchanges close after their answer; anything still open after the grace
  // is abandoned, not awaited.
  s.server->stop(std::chrono::milliseconds(1000));
}

void SimServer::inject(const Fault& fault) {
  if (!impl_->server) return;
  impl_->server->post([s = impl_.get(), fault] { s->apply(fault); });
}

SimStats SimServer::stats() const {
  std::lock_guard lock(impl_->mu);
  return impl_->stats;
}

bool SimServer::wait_for(const std::function<bool(const SimStats&)>& pred, Nanos timeout) const {
  std::unique_lock lock(impl_->mu);
  return impl_->cv.wait_for(lock, ns(timeout), [&] { return pred(impl_->stats); });
}

std::uint16_t SimServer::port() const noexcept {
  return impl_->server ? impl_->server->port() : 0;
}

}  // namespace be::sim
