// The only translation unit of be_sim that includes Beast/Asio (slow to compile).
#include "sim/sim_server.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <type_traits>

// GCC 12 at -O2 reports a "potential null pointer dereference" inside Asio's scheduler
// (a false positive in a system header, seen after inlining); silenced for Boost only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#pragma GCC diagnostic pop

namespace be::sim {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using SteadyClock = std::chrono::steady_clock;

namespace {

std::chrono::nanoseconds ns(Nanos n) {
  return std::chrono::nanoseconds(n);
}

std::string_view sv(beast::string_view s) {
  return {s.data(), s.size()};
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

class WsSession;

struct SimServer::Impl {
  Impl(SimConfig c, std::unique_ptr<MarketSource> s) : config(std::move(c)), source(std::move(s)) {}

  SimConfig config;
  std::unique_ptr<MarketSource> source;
  // Declared before the io_context: TLS streams still held by abandoned handlers are
  // destroyed with the context, and need their SSL_CTX alive until then.
  std::optional<ssl::context> ssl_ctx;
  asio::io_context ioc{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  tcp::acceptor acceptor{ioc};
  asio::steady_timer pump_timer{ioc};
  std::thread thread;
  std::atomic<std::uint16_t> bound_port{0};

  // Server-thread state.
  std::vector<std::shared_ptr<WsSession>> sessions;
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

  mutable std::mutex mu;
  mutable std::condition_variable cv;
  SimStats stats;

  template <class F>
  void update(F&& f) {
    {
      std::lock_guard lock(mu);
      f(stats);
    }
    cv.notify_all();
  }

  void do_accept();
  void kick() {
    if (pump_scheduled || stopping) return;
    pump_scheduled = true;
    asio::post(ioc, [this] { pump(); });
  }
  void schedule_at(SteadyClock::time_point when) {
    pump_scheduled = true;
    pump_timer.expires_at(when);
    pump_timer.async_wait([this](beast::error_code ec) {
      if (ec) {
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
  void add_session(const std::shared_ptr<WsSession>& s);
  void remove_session(const WsSession* s);
  void on_request(WsSession& s, std::string_view text);
  void apply(const Fault& f);
  void on_drained() {
    if (waiting_drain) {
      waiting_drain = false;
      kick();
    }
  }
  std::string stats_json() const;
  Expected<bool, std::string> configure_tls();
};

// A WebSocket session as the server logic sees it, whatever carries it (TCP or TLS).
class WsSession {
 public:
  WsSession(bool combined, std::vector<std::string> streams) : combined_(combined) {
    for (auto& s : streams)
      streams_.insert(std::move(s));
  }
  virtual ~WsSession() = default;
  WsSession(const WsSession&) = delete;
  WsSession& operator=(const WsSession&) = delete;

  bool combined() const { return combined_; }
  bool wants(const std::string& stream) const { return streams_.contains(stream); }
  std::set<std::string>& streams() { return streams_; }
  bool doomed = false;  // marked for removal during a broadcast

  virtual std::size_t queued() const = 0;
  virtual void send(Shared text) = 0;
  virtual void close_abrupt() = 0;

 private:
  std::set<std::string> streams_;
  bool combined_;
};

// `Next` is beast::tcp_stream (ws://) or TlsStream (wss://), already connected (and, for TLS,
// past its handshake) when the session takes it over.
template <class Next>
class WsSessionOn final : public WsSession, public std::enable_shared_from_this<WsSessionOn<Next>> {
 public:
  WsSessionOn(SimServer::Impl& server, Next&& next, bool combined, std::vector<std::string> streams)
      : WsSession(combined, std::move(streams)),
        server_(server),
        ws_(std::move(next)),
        ping_timer_(server.ioc) {}

  void run(http::request<http::string_body> req) {
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "botengine-sim"); }));
    ws_.read_message_max(kMaxControlBytes * 4);
    ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
      if (kind == websocket::frame_type::pong)
        server_.update([](SimStats& s) { ++s.pongs_received; });
      if (kind == websocket::frame_type::ping)
        server_.update([](SimStats& s) { ++s.pings_received; });
    });
    ws_.async_accept(req, [self = this->shared_from_this()](beast::error_code ec) {
      if (ec) return;
      self->server_.add_session(self);
      self->arm_ping();
      self->do_read();
    });
  }

  std::size_t queued() const override { return queue_.size(); }

  void send(Shared text) override {
    if (closed_) return;
    queue_.push_back(Out{std::move(text)});
    if (!writing_) do_write();
  }

  void close_abrupt() override {
    closed_ = true;
    ping_timer_.cancel();
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

 private:
  struct Out {
    Shared text;  // nullptr = a ping
  };

  void arm_ping() {
    ping_timer_.expires_after(ns(server_.config.ping_interval));
    ping_timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (ec || self->closed_) return;
      self->queue_.push_back(Out{nullptr});
      if (!self->writing_) self->do_write();
      self->server_.update([](SimStats& s) { ++s.pings_sent; });
      self->arm_ping();
    });
  }

  void do_read() {
    ws_.async_read(in_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec || self->closed_) return self->gone();
      const auto data = self->in_.cdata();
      self->server_.on_request(*self, {static_cast<const char*>(data.data()), data.size()});
      self->in_.consume(self->in_.size());
      self->do_read();
    });
  }

  void do_write() {
    writing_ = true;
    auto done = [self = this->shared_from_this()](beast::error_code ec, auto&&...) {
      self->on_write(ec);
    };
    if (!queue_.front().text) {
      ws_.async_ping({}, done);
    } else {
      ws_.text(true);
      ws_.async_write(asio::buffer(*queue_.front().text), done);
    }
  }

  void on_write(beast::error_code ec) {
    writing_ = false;
    queue_.pop_front();
    if (ec || closed_) return gone();
    if (!queue_.empty()) do_write();
    if (queue_.size() < 256) server_.on_drained();
  }

  void gone() {
    if (!closed_) close_abrupt();
    server_.remove_session(this);
  }

  SimServer::Impl& server_;
  websocket::stream<Next> ws_;
  beast::flat_buffer in_;
  asio::steady_timer ping_timer_;
  std::deque<Out> queue_;
  bool writing_ = false;
  bool closed_ = false;
};

namespace {

struct Route {
  bool ok = false;
  bool combined = false;
  std::vector<std::string> streams;
  std::string error;
};

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const auto at = s.find(sep);
    if (at != 0) out.emplace_back(s.substr(0, at));
    if (at == std::string_view::npos) break;
    s.remove_prefix(at + 1);
  }
  return out;
}

Route route_ws(std::string_view target, const MarketSource& source, std::size_t max_streams) {
  Route r;
  const auto q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
  if (path == "/ws" || path.starts_with("/ws/")) {
    r.streams = split(path.substr(3), '/');
  } else if (path == "/stream" || path == "/stream/") {
    r.combined = true;
    if (!query.empty()) {
      if (!query.starts_with("streams=")) {
        r.error = "unknown query; expected streams=<a>/<b>";
        return r;
      }
      r.streams = split(query.substr(8), '/');
    }
  } else {
    r.error = "unknown path; use /ws/<stream>, /ws, /stream?streams=a/b or /stream";
    return r;
  }
  if (r.streams.size() > max_streams) {
    r.error = "too many streams";
    return r;
  }
  for (const auto& s : r.streams) {
    if (!source.serves(s)) {
      r.error = "unknown stream '" + s + "'";
      return r;
    }
  }
  r.ok = true;
  return r;
}

// One HTTP exchange, or the upgrade that becomes a WsSessionOn<Stream>. With TLS the
// handshake comes first; plain HTTP on a TLS port fails that handshake and is counted.
template <class Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  template <class... TlsContext>
  HttpSession(SimServer::Impl& server, tcp::socket&& socket, TlsContext&... ctx)
      : server_(server), stream_(std::move(socket), ctx...) {}

  void run() {
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(10));
      stream_.async_handshake(
          ssl::stream_base::server,
          [self = this->shared_from_this()](beast::error_code ec) { self->on_tls_handshake(ec); });
    } else {
      read_request();
    }
  }

 private:
  void on_tls_handshake(beast::error_code ec) {
    if (ec) {
      server_.update([](SimStats& s) { ++s.tls_handshake_failures; });
      return;
    }
    const char* sni = SSL_get_servername(stream_.native_handle(), TLSEXT_NAMETYPE_host_name);
    server_.update([&](SimStats& s) {
      ++s.tls_handshakes;
      s.last_server_name = sni != nullptr ? sni : "";
    });
    read_request();
  }

  void read_request() {
    parser_.body_limit(kMaxControlBytes);
    parser_.header_limit(8192);
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(10));
    http::async_read(stream_, buffer_, parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       if (!ec) self->on_request();
                     });
  }

  void on_request() {
    auto req = parser_.release();
    const std::string_view target = sv(req.target());
    if (websocket::is_upgrade(req)) {
      Route r = route_ws(target, *server_.source, server_.config.max_streams_per_connection);
      if (!r.ok) return reject(http::status::bad_request, r.error, req.version());
      if (server_.sessions.size() >= server_.config.max_connections) {
        return reject(http::status::service_unavailable, "too many connections", req.version());
      }
      beast::get_lowest_layer(stream_).expires_never();
      auto ws = std::make_shared<WsSessionOn<Stream>>(server_, std::move(stream_), r.combined,
                                                      std::move(r.streams));
      ws->run(std::move(req));
      return;
    }
    server_.update([](SimStats& s) { ++s.http_requests; });
    const std::string_view path = target.substr(0, target.find('?'));
    if (path == "/sim/fault") {
      if (req.method() != http::verb::post) {
        return reject(http::status::method_not_allowed, "use POST", req.version());
      }
      auto fault = parse_fault(req.body());
      if (!fault) return reject(http::status::bad_request, fault.error(), req.version());
      server_.apply(*fault);
      std::string body = R"({"ok":true,"fault":")";
      body += to_string(fault->kind);
      body += "\"}";
      return respond(http::status::ok, std::move(body), req.version());
    }
    if (path == "/api/v3/depth") {
      if (req.method() != http::verb::get) {
        return reject(http::status::method_not_allowed, "use GET", req.version());
      }
      return depth(target, req.version());
    }
    if (path == "/sim/stats") {
      if (req.method() != http::verb::get) {
        return reject(http::status::method_not_allowed, "use GET", req.version());
      }
      return respond(http::status::ok, server_.stats_json(), req.version());
    }
    reject(http::status::not_found, "unknown path", req.version());
  }

  // GET /api/v3/depth?symbol=BTCUSDT[&limit=N]: Binance's REST snapshot (limit 1..5000,
  // default 100; this book has 10 levels a side).
  void depth(std::string_view target, unsigned version) {
    std::string symbol;
    std::size_t limit = 100;
    const auto q = target.find('?');
    for (const auto& kv : split(q == std::string_view::npos ? "" : target.substr(q + 1), '&')) {
      const std::string_view k = std::string_view(kv).substr(0, kv.find('='));
      const std::string_view v =
          kv.find('=') == std::string::npos ? "" : std::string_view(kv).substr(kv.find('=') + 1);
      if (k == "symbol") {
        symbol = to_lower(v);
      } else if (k == "limit") {
        const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), limit);
        if (ec != std::errc() || end != v.data() + v.size() || limit == 0 || limit > 5000) {
          return reject(http::status::bad_request, "limit must be 1..5000", version);
        }
      }
    }
    if (symbol.empty()) return reject(http::status::bad_request, "symbol is required", version);
    std::string body = server_.source->depth_snapshot(symbol, limit);
    if (body.empty()) return reject(http::status::not_found, "no book for " + symbol, version);
    respond(http::status::ok, std::move(body), version);
  }

  void reject(http::status status, std::string_view why, unsigned version) {
    server_.update([](SimStats& s) { ++s.rejected_requests; });
    std::string body =
        R"({"ok":false,"code":)" + std::to_string(static_cast<int>(status)) + R"(,"error":")";
    append_json_escaped(body, why);
    body += "\"}";
    respond(status, std::move(body), version);
  }

  void respond(http::status status, std::string body, unsigned version) {
    auto res = std::make_shared<http::response<http::string_body>>(status, version);
    res->set(http::field::server, "botengine-sim");
    res->set(http::field::content_type, "application/json");
    res->keep_alive(false);
    res->body() = std::move(body);
    res->body() += '\n';
    res->prepare_payload();
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res](beast::error_code, std::size_t) {
                        beast::error_code ignored;
                        beast::get_lowest_layer(self->stream_)
                            .socket()
                            .shutdown(tcp::socket::shutdown_both, ignored);
                      });
  }

  SimServer::Impl& server_;
  Stream stream_;
  beast::flat_buffer buffer_;
  http::request_parser<http::string_body> parser_;
};

}  // namespace

void SimServer::Impl::do_accept() {
  acceptor.async_accept(ioc, [this](beast::error_code ec, tcp::socket socket) {
    if (stopping) return;
    if (!ec) {
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      if (ssl_ctx) {
        std::make_shared<HttpSession<TlsStream>>(*this, std::move(socket), *ssl_ctx)->run();
      } else {
        std::make_shared<HttpSession<beast::tcp_stream>>(*this, std::move(socket))->run();
      }
    }
    do_accept();
  });
}

bool SimServer::Impl::any_subscription() const {
  return std::any_of(sessions.begin(), sessions.end(),
                     [](const auto& s) { return !s->streams().empty(); });
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
    if (config.speed > 0) {
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

void SimServer::Impl::broadcast(const MarketMessage& m) {
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
  for (auto& s : sessions) {
    if (!s->wants(m.stream)) continue;
    if (s->combined()) {
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
      s->send(combined);
    } else {
      if (!raw) raw = std::make_shared<const std::string>(m.payload);
      s->send(raw);
    }
    ++sent;
    if (config.speed > 0 && s->queued() > config.max_queue) {
      s->doomed = true;
      ++dropped;
    }
  }
  if (dropped > 0) {
    for (auto& s : sessions) {
      if (s->doomed) s->close_abrupt();
    }
    std::erase_if(sessions, [](const auto& s) { return s->doomed; });
  }
  update([&](SimStats& s) {
    s.frames_sent += sent;
    s.slow_clients_dropped += dropped;
    if (dropped) s.open_sessions = sessions.size();
  });
}

void SimServer::Impl::add_session(const std::shared_ptr<WsSession>& s) {
  if (stopping) {
    s->close_abrupt();
    return;
  }
  sessions.push_back(s);
  update([&](SimStats& st) {
    ++st.connections;
    st.open_sessions = sessions.size();
    st.subscriptions += s->streams().size();
  });
  if (!s->streams().empty()) kick();
}

void SimServer::Impl::remove_session(const WsSession* s) {
  const auto it =
      std::find_if(sessions.begin(), sessions.end(), [&](const auto& p) { return p.get() == s; });
  if (it == sessions.end()) return;
  const std::size_t n = (*it)->streams().size();
  sessions.erase(it);
  update([&](SimStats& st) {
    st.open_sessions = sessions.size();
    st.subscriptions -= n;
  });
}

void SimServer::Impl::on_request(WsSession& s, std::string_view text) {
  update([](SimStats& st) { ++st.control_requests; });
  auto fail = [&](ControlError e) {
    update([](SimStats& st) { ++st.rejected_requests; });
    s.send(std::make_shared<const std::string>(reply_error(e)));
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
      s.send(std::make_shared<const std::string>(reply_ok(req->id)));
      kick();
      return;
    }
    case ControlRequest::Method::kUnsubscribe: {
      std::size_t removed = 0;
      for (const auto& p : req->params)
        removed += s.streams().erase(p);
      update([&](SimStats& st) { st.subscriptions -= removed; });
      s.send(std::make_shared<const std::string>(reply_ok(req->id)));
      return;
    }
    case ControlRequest::Method::kList: {
      const std::vector<std::string> list(s.streams().begin(), s.streams().end());
      s.send(std::make_shared<const std::string>(reply_list(list, req->id)));
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
      for (auto& s : all)
        s->close_abrupt();
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
        for (auto& s : sessions)
          s->send(text);
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

Expected<bool, std::string> SimServer::Impl::configure_tls() {
  const bool files = !config.tls_certificate_file.empty() || !config.tls_private_key_file.empty();
  if (files) {
    if (config.tls_certificate_file.empty() || config.tls_private_key_file.empty()) {
      return Unexpected{std::string("TLS needs both a certificate file and a private key file")};
    }
    auto loaded = load_tls_identity(config.tls_certificate_file, config.tls_private_key_file);
    if (!loaded) return Unexpected{loaded.error()};
    config.tls = std::move(*loaded);
  }
  if (!config.tls) return false;
  ssl_ctx.emplace(ssl::context::tls_server);
  ssl_ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::single_dh_use);
  beast::error_code ec;
  ssl_ctx->use_certificate_chain(asio::buffer(config.tls->certificate_pem), ec);
  if (ec) return Unexpected{"TLS certificate: " + ec.message()};
  ssl_ctx->use_private_key(asio::buffer(config.tls->private_key_pem), ssl::context::pem, ec);
  if (ec) {
    return Unexpected{"TLS private key rejected (" + ec.message() +
                      "): it must be the private key of the certificate"};
  }
  if (SSL_CTX_check_private_key(ssl_ctx->native_handle()) != 1) {
    ERR_clear_error();
    return Unexpected{std::string("TLS private key does not match the certificate")};
  }
  return true;
}

std::string SimServer::Impl::stats_json() const {
  SimStats s;
  {
    std::lock_guard lock(mu);
    s = stats;
  }
  std::string out = "{";
  auto field = [&](std::string_view name, std::uint64_t v) {
    if (out.size() > 1) out += ',';
    out += '"';
    out += name;
    out += "\":";
    out += std::to_string(v);
  };
  field("connections", s.connections);
  field("open_sessions", s.open_sessions);
  field("http_requests", s.http_requests);
  field("rejected_requests", s.rejected_requests);
  field("control_requests", s.control_requests);
  field("subscriptions", s.subscriptions);
  field("market_messages", s.market_messages);
  field("frames_sent", s.frames_sent);
  field("pings_sent", s.pings_sent);
  field("pongs_received", s.pongs_received);
  field("pings_received", s.pings_received);
  field("faults", s.faults);
  field("slow_clients_dropped", s.slow_clients_dropped);
  field("depth_updates_withheld", s.depth_updates_withheld);
  field("tls_handshakes", s.tls_handshakes);
  field("tls_handshake_failures", s.tls_handshake_failures);
  out += s.source_exhausted ? R"(,"source_exhausted":true})" : R"(,"source_exhausted":false})";
  return out;
}

SimServer::SimServer(SimConfig config, std::unique_ptr<MarketSource> source)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(source))) {}

SimServer::~SimServer() {
  stop();
}

Expected<std::uint16_t, std::string> SimServer::start() {
  Impl& s = *impl_;
  if (s.thread.joinable()) return s.bound_port.load();
  if (!s.source) return Unexpected{std::string("no market source")};
  if (auto tls = s.configure_tls(); !tls) return Unexpected{tls.error()};
  beast::error_code ec;
  const auto address = asio::ip::make_address(s.config.bind_address, ec);
  if (ec) return Unexpected{"bad bind address '" + s.config.bind_address + "': " + ec.message()};
  if (!address.is_loopback() && !s.config.allow_remote) {
    return Unexpected{
        "refusing to bind non-loopback address " + s.config.bind_address +
        " (the simulator is for loopback; allow_remote, --allow-remote on the CLI, overrides)"};
  }
  const tcp::endpoint endpoint(address, s.config.port);
  auto fail = [&](std::string_view what) -> Expected<std::uint16_t, std::string> {
    beast::error_code ignored;
    s.acceptor.close(ignored);
    return Unexpected{std::string(what) + " " + endpoint.address().to_string() + ":" +
                      std::to_string(endpoint.port()) + ": " + ec.message()};
  };
  if (s.acceptor.open(endpoint.protocol(), ec)) return fail("cannot open");
  if (s.acceptor.set_option(asio::socket_base::reuse_address(true), ec)) return fail("cannot set");
  if (s.acceptor.bind(endpoint, ec)) return fail("cannot bind");
  if (s.acceptor.listen(asio::socket_base::max_listen_connections, ec))
    return fail("cannot listen");
  s.bound_port = s.acceptor.local_endpoint().port();
  s.work.emplace(s.ioc.get_executor());
  s.do_accept();
  if (!s.config.hold_until_subscribed) s.kick();
  s.thread = std::thread([&s] { s.ioc.run(); });
  return s.bound_port.load();
}

void SimServer::stop() {
  Impl& s = *impl_;
  if (!s.thread.joinable()) return;
  asio::post(s.ioc, [&s] {
    s.stopping = true;
    beast::error_code ignored;
    s.acceptor.close(ignored);
    s.pump_timer.cancel();
    for (auto& session : s.sessions)
      session->close_abrupt();
    s.sessions.clear();
    s.update([](SimStats& st) { st.open_sessions = 0; });
    s.work.reset();
    // In-flight HTTP exchanges may still hold timers; they are abandoned, not awaited.
    s.ioc.stop();
  });
  s.thread.join();
}

void SimServer::inject(const Fault& fault) {
  asio::post(impl_->ioc, [s = impl_.get(), fault] { s->apply(fault); });
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
  return impl_->bound_port.load();
}

}  // namespace be::sim
