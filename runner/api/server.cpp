// The only translation unit of be_api that includes Beast/Asio (slow to compile).
#include "runner/api/server.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

// GCC 12 at -O2 reports a "potential null pointer dereference" inside Asio's scheduler
// (a false positive in a system header, seen after inlining); silenced for Boost only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#pragma GCC diagnostic pop

#include "runner/api/json_writer.hpp"

namespace be::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

std::string_view sv(beast::string_view s) {
  return {s.data(), s.size()};
}

// Close codes for dropped stream clients (RFC 6455 7.4): 1008 "policy violation" when the
// client reads too slowly for its queue, 4000 (application range) when it fell so far behind
// that the engine's buffer no longer holds its cursor; it may reconnect with ?since=.
constexpr std::uint16_t kCloseSlow = 1008;
constexpr std::uint16_t kCloseLost = 4000;

}  // namespace

// Something stop() can close: an HTTP session or a stream session.
struct Closable {
  virtual ~Closable() = default;
  virtual void shutdown() = 0;  // posts to the session's strand
};

struct ApiServer::Impl {
  Impl(engine::ControlPlane& e, TokenStore t, ApiOptions o)
      : engine(e),
        tokens(std::move(t)),
        options(std::move(o)),
        router(engine, tokens,
               RouterOptions{options.rate_per_second, options.rate_burst, options.reports_dir,
                             64u << 20, options.static_assets, options.log, 20.0},
               stats),
        ioc(std::max(1, options.io_threads)) {}

  engine::ControlPlane& engine;
  TokenStore tokens;
  ApiOptions options;
  ApiStats stats;
  Router router;

  std::mutex sessions_mutex;
  std::condition_variable all_closed;
  std::vector<std::weak_ptr<Closable>> sessions;
  std::atomic<bool> stopping{false};
  std::atomic<std::uint16_t> bound_port{0};
  bool started = false;
  bool stopped = false;

  // Destroyed before the members above (declared after them), so handlers that die with the
  // io_context still find the router and stats alive.
  asio::io_context ioc;
  tcp::acceptor acceptor{asio::make_strand(ioc)};
  std::vector<std::thread> threads;

  void track(const std::shared_ptr<Closable>& s) {
    std::lock_guard lock(sessions_mutex);
    std::erase_if(sessions, [](const auto& w) { return w.expired(); });
    sessions.push_back(s);
  }
  void connection_closed() {
    if (stats.connections_open.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard lock(sessions_mutex);
      all_closed.notify_all();
    }
  }
  void do_accept();
};

namespace {

// One open TCP connection, counted from accept to close whichever session holds it.
class ConnectionSlot {
 public:
  explicit ConnectionSlot(ApiServer::Impl* server) : server_(server) {
    server_->stats.connections_open.fetch_add(1, std::memory_order_acq_rel);
  }
  ~ConnectionSlot() { server_->connection_closed(); }
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;

 private:
  ApiServer::Impl* server_;
};

class StreamSession : public Closable, public std::enable_shared_from_this<StreamSession> {
 public:
  StreamSession(ApiServer::Impl& server, beast::tcp_stream&& stream,
                std::unique_ptr<ConnectionSlot> slot, const User& user,
                std::optional<std::uint64_t> since)
      : server_(server),
        ws_(std::move(stream)),
        slot_(std::move(slot)),
        user_(user),
        since_(since),
        timer_(ws_.get_executor()) {}

  void run(http::request<http::string_body> request) {
    beast::get_lowest_layer(ws_).expires_never();  // the websocket's own timeouts take over
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = std::chrono::seconds(5);
    timeouts.idle_timeout = server_.options.idle_timeout;
    timeouts.keep_alive_pings = true;  // a ping at half the idle time: quiet is not dead
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& r) { r.set(http::field::server, "botengine"); }));
    ws_.read_message_max(4096);  // clients only send control frames
    if (server_.options.ws_send_buffer_bytes > 0) {
      beast::error_code ignored;
      beast::get_lowest_layer(ws_).socket().set_option(
          asio::socket_base::send_buffer_size(server_.options.ws_send_buffer_bytes), ignored);
    }
    ws_.async_accept(request,
                     beast::bind_front_handler(&StreamSession::on_accept, shared_from_this()));
  }

  ~StreamSession() override {
    if (accepted_) server_.stats.ws_open.fetch_sub(1, std::memory_order_relaxed);
  }

  void shutdown() override {
    asio::post(ws_.get_executor(), [self = shared_from_this()] {
      self->close(websocket::close_code::going_away, "server stopping", false);
    });
  }

 private:
  void on_accept(beast::error_code ec) {
    if (ec) return;
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
    queue_.push_back(std::move(hello).str());
    write_next();
    read_next();
    poll();
  }

  // Reading keeps control frames (ping, pong, close) flowing; data from the client is ignored.
  void read_next() {
    ws_.async_read(in_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->in_.clear();
      if (ec) {
        self->closing_ = true;
        self->timer_.cancel();
        return;
      }
      self->read_next();
    });
  }

  void poll() {
    if (closing_) return;
    std::size_t room = server_.options.ws_queue_messages > queue_.size()
                           ? server_.options.ws_queue_messages - queue_.size()
                           : 0;
    if (room == 0) {
      if (server_.engine.stream_head() > cursor_) return drop_slow();
    } else {
      bool lost = false;
      auto items = server_.engine.stream_since(cursor_, std::min<std::size_t>(room, 1024), lost);
      if (lost) {
        return drop(kCloseLost, "fell behind the stream buffer", server_.stats.ws_dropped_lost,
                    false);
      }
      std::shared_ptr<const engine::ReadModel> model;
      for (auto& item : items) {
        cursor_ = item.cursor;
        if (!visible(item, model)) continue;
        queue_.push_back(std::move(item.json));
      }
      write_next();
    }
    timer_.expires_after(server_.options.ws_poll_interval);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->poll();
    });
  }

  bool visible(const engine::StreamItem& item, std::shared_ptr<const engine::ReadModel>& model) {
    if (item.bot == kNoBot || user_.admin) return true;
    if (model == nullptr) model = server_.engine.read_model();
    const engine::BotView* bot = model != nullptr ? model->find(item.bot) : nullptr;
    return bot != nullptr && bot->owner == user_.id;
  }

  void write_next() {
    if (writing_ || queue_.empty() || closing_) return;
    writing_ = true;
    ws_.text(true);
    ws_.async_write(
        asio::buffer(queue_.front()),
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
  }

  void on_write(beast::error_code ec) {
    writing_ = false;
    if (ec) {
      closing_ = true;
      timer_.cancel();
      return;
    }
    queue_.pop_front();
    server_.stats.ws_messages.fetch_add(1, std::memory_order_relaxed);
    if (pending_close_) return send_close(*pending_close_);
    write_next();
  }

  void drop_slow() { drop(kCloseSlow, "client too slow", server_.stats.ws_dropped_slow, true); }

  void drop(std::uint16_t code, std::string_view reason, std::atomic<std::uint64_t>& counter,
            bool cut) {
    counter.fetch_add(1, std::memory_order_relaxed);
    server_.router.log("user=" + user_.name + " stream dropped: " + std::string(reason),
                       std::chrono::steady_clock::now());
    close(code, reason, cut);
  }

  // `cut`: the client is not reading, so a close frame would only queue behind the stuck
  // write; the connection is closed instead, and the pending write fails.
  void close(std::uint16_t code, std::string_view reason, bool cut) {
    if (closing_) return;
    closing_ = true;
    timer_.cancel();
    if (cut || !accepted_) {
      beast::error_code ignored;
      beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
      beast::get_lowest_layer(ws_).socket().close(ignored);
      return;
    }
    websocket::close_reason why(static_cast<websocket::close_code>(code), std::string(reason));
    if (writing_) {
      // The message in flight must finish (its buffer is queue_.front()); the close follows.
      queue_.erase(queue_.begin() + 1, queue_.end());
      pending_close_ = why;
      return;
    }
    queue_.clear();
    send_close(why);
  }

  void send_close(websocket::close_reason why) {
    pending_close_.reset();
    queue_.clear();
    ws_.async_close(why, [self = shared_from_this()](beast::error_code) {});
  }

  ApiServer::Impl& server_;
  websocket::stream<beast::tcp_stream> ws_;
  std::unique_ptr<ConnectionSlot> slot_;
  User user_;
  std::optional<std::uint64_t> since_;
  asio::steady_timer timer_;
  beast::flat_buffer in_;
  std::deque<std::string> queue_;
  std::uint64_t cursor_ = 0;
  std::optional<websocket::close_reason> pending_close_;
  bool writing_ = false;
  bool closing_ = false;
  bool accepted_ = false;
};

class HttpSession : public Closable, public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(ApiServer::Impl& server, tcp::socket&& socket, bool refuse)
      : server_(server),
        stream_(std::move(socket)),
        slot_(std::make_unique<ConnectionSlot>(&server)),
        refuse_(refuse) {}

  void run() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&HttpSession::start, shared_from_this()));
  }

  void shutdown() override {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      // Between requests: close now. Mid-request: the answer goes out, then the connection
      // closes (keep-alive is off once stopping is set).
      if (!self->busy_) self->close();
    });
  }

 private:
  void start() {
    if (refuse_) {
      server_.stats.connections_rejected.fetch_add(1, std::memory_order_relaxed);
      return respond(error_response(503, "unavailable", "too many connections"), false);
    }
    read_next();
  }

  void read_next() {
    if (server_.stopping.load(std::memory_order_acquire)) return close();
    parser_.emplace();
    parser_->body_limit(server_.options.max_body_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(server_.options.max_header_bytes));
    stream_.expires_after(server_.options.idle_timeout);
    busy_ = false;
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    busy_ = true;
    if (ec == http::error::end_of_stream) return close();
    if (ec == beast::error::timeout) {
      server_.stats.idle_timeouts.fetch_add(1, std::memory_order_relaxed);
      return close();
    }
    if (ec == http::error::body_limit) {
      server_.stats.too_large.fetch_add(1, std::memory_order_relaxed);
      count_refusal(413);
      return respond(error_response(413, "too_large",
                                    "the request body is over " +
                                        std::to_string(server_.options.max_body_bytes) + " bytes"),
                     false);
    }
    if (ec == http::error::header_limit) {
      server_.stats.too_large.fetch_add(1, std::memory_order_relaxed);
      count_refusal(431);
      return respond(error_response(431, "too_large", "the request header is too large"), false);
    }
    if (ec && ec.category() != http::make_error_code(http::error::bad_target).category()) {
      // Socket trouble or a close from our side (stop): nobody to answer.
      return close();
    }
    if (ec) {
      server_.stats.malformed.fetch_add(1, std::memory_order_relaxed);
      count_refusal(400);
      server_.router.log("malformed HTTP: " + ec.message(), std::chrono::steady_clock::now());
      return respond(error_response(400, "bad_request", "malformed HTTP: " + ec.message()), false);
    }
    auto& req = parser_->get();
    if (websocket::is_upgrade(req)) return upgrade();
    const HttpRequest request{sv(req.method_string()), sv(req.target()),
                              sv(req[http::field::authorization]), req.body()};
    HttpResponse response = server_.router.handle(request, std::chrono::steady_clock::now());
    respond(std::move(response), req.keep_alive());
  }

  void count_refusal(int status) {
    server_.stats.requests.fetch_add(1, std::memory_order_relaxed);
    server_.stats.count_status(status);
  }

  void upgrade() {
    auto req = parser_->release();
    const std::string_view target = sv(req.target());
    if (target.substr(0, target.find('?')) != "/api/v1/stream") {
      count_refusal(404);
      return respond(error_response(404, "not_found", "WebSocket is served on /api/v1/stream"),
                     false);
    }
    const HttpRequest request{
        sv(req.method_string()), target, sv(req[http::field::authorization]), {}};
    auto auth = server_.router.authorize_stream(request, std::chrono::steady_clock::now());
    if (auth.refusal) return respond(std::move(*auth.refusal), false);
    auto session = std::make_shared<StreamSession>(server_, std::move(stream_), std::move(slot_),
                                                   *auth.user, auth.since);
    server_.track(session);
    session->run(std::move(req));
  }

  void respond(HttpResponse response, bool keep_alive) {
    keep_alive = keep_alive && !server_.stopping.load(std::memory_order_acquire);
    auto& res = response_.emplace();
    res.version(11);
    res.result(static_cast<unsigned>(response.status));
    res.set(http::field::server, "botengine");
    res.set(http::field::content_type, response.content_type);
    res.set(http::field::cache_control, "no-store");
    if (response.retry_after_seconds > 0)
      res.set(http::field::retry_after, std::to_string(response.retry_after_seconds));
    res.body() = std::move(response.body);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    stream_.expires_after(server_.options.idle_timeout);
    http::async_write(stream_, res,
                      [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                        if (ec || !keep_alive) return self->close();
                        self->read_next();
                      });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  ApiServer::Impl& server_;
  beast::tcp_stream stream_;
  std::unique_ptr<ConnectionSlot> slot_;
  bool refuse_;
  bool busy_ = true;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
};

}  // namespace

void ApiServer::Impl::do_accept() {
  acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || stopping.load()) return;
      router.log("accept failed: " + ec.message(), std::chrono::steady_clock::now());
    } else {
      stats.connections_accepted.fetch_add(1, std::memory_order_relaxed);
      const bool refuse = static_cast<std::size_t>(std::max<std::int64_t>(
                              0, stats.connections_open.load())) >= options.max_connections;
      auto session = std::make_shared<HttpSession>(*this, std::move(socket), refuse);
      track(session);
      session->run();
    }
    if (!stopping.load()) do_accept();
  });
}

ApiServer::ApiServer(engine::ControlPlane& engine, TokenStore tokens, ApiOptions options)
    : impl_(std::make_unique<Impl>(engine, std::move(tokens), std::move(options))) {}

ApiServer::~ApiServer() {
  stop();
}

Expected<std::uint16_t, std::string> ApiServer::start() {
  Impl& s = *impl_;
  if (s.started) return Unexpected(std::string("the API server was started already"));
  beast::error_code ec;
  const auto address = asio::ip::make_address(s.options.bind_address, ec);
  if (ec) return Unexpected("bad bind address `" + s.options.bind_address + "`: " + ec.message());
  const tcp::endpoint endpoint(address, s.options.port);
  const auto fail = [&](std::string_view what) {
    return Unexpected("cannot " + std::string(what) + " " + s.options.bind_address + ":" +
                      std::to_string(s.options.port) + ": " + ec.message());
  };
  s.acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail("open");
  s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  s.acceptor.bind(endpoint, ec);
  if (ec) return fail("bind");
  s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen on");
  s.bound_port = s.acceptor.local_endpoint().port();
  s.started = true;
  s.do_accept();
  for (int i = 0; i < std::max(1, s.options.io_threads); ++i)
    s.threads.emplace_back([&s] { s.ioc.run(); });
  return s.bound_port.load();
}

void ApiServer::stop(std::chrono::milliseconds grace) {
  Impl& s = *impl_;
  if (!s.started || s.stopped) return;
  s.stopped = true;
  s.stopping.store(true, std::memory_order_release);
  asio::post(s.acceptor.get_executor(), [&s] {
    beast::error_code ignored;
    s.acceptor.close(ignored);
  });
  std::vector<std::shared_ptr<Closable>> live;
  {
    std::lock_guard lock(s.sessions_mutex);
    for (auto& w : s.sessions)
      if (auto p = w.lock()) live.push_back(std::move(p));
    s.sessions.clear();
  }
  for (auto& p : live)
    p->shutdown();
  live.clear();
  {
    std::unique_lock lock(s.sessions_mutex);
    s.all_closed.wait_for(lock, grace, [&s] { return s.stats.connections_open.load() <= 0; });
  }
  s.ioc.stop();
  for (auto& t : s.threads)
    t.join();
  s.threads.clear();
}

std::uint16_t ApiServer::port() const noexcept {
  return impl_->bound_port.load();
}

const ApiStats& ApiServer::stats() const noexcept {
  return impl_->stats;
}

}  // namespace be::api
