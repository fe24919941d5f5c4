// The only translation unit of be_net_server that includes Beast/Asio (slow to compile).
#include "net/server/server.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <type_traits>

#include "net/detail/asio.hpp"

namespace be::net::server {

// asio, beast, http, websocket, ssl, tcp: the one set of aliases of net/.
using namespace be::net::detail;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

namespace {

std::string_view sv(beast::string_view s) {
  return {s.data(), s.size()};
}

// Something stop() can close: an HTTP session or a WebSocket.
struct Closable {
  virtual ~Closable() = default;
  virtual void shutdown() = 0;  // posts to the connection's executor
};

}  // namespace

std::string_view Request::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (beast::iequals(beast::string_view(key.data(), key.size()),
                       beast::string_view(name.data(), name.size()))) {
      return value;
    }
  }
  return {};
}

Upgrade Handler::upgrade(const Request& /*request*/) {
  Upgrade answer;
  answer.refusal = Response{404, "application/json", R"({"error":"no WebSocket here"})", {}, true};
  return answer;
}

bool is_loopback_address(std::string_view address) {
  beast::error_code ec;
  const auto parsed = asio::ip::make_address(std::string(address), ec);
  return !ec && parsed.is_loopback();
}

struct Server::Impl {
  Impl(ServerOptions o, Handler& h)
      : options(std::move(o)), handler(h), ioc(std::max(1, options.io_threads)) {}

  ServerOptions options;
  Handler& handler;

  std::mutex sessions_mutex;
  std::condition_variable all_closed;
  std::vector<std::weak_ptr<Closable>> sessions;
  std::atomic<std::int64_t> open{0};
  std::atomic<bool> stopping{false};
  std::atomic<std::uint16_t> bound_port{0};
  bool started = false;
  bool stopped = false;

  // Declared before the io_context: TLS streams still held by abandoned handlers are
  // destroyed with the context, and need their SSL_CTX alive until then.
  std::optional<ssl::context> ssl_ctx;
  asio::io_context ioc;
  tcp::acceptor acceptor{asio::make_strand(ioc)};
  std::vector<std::thread> threads;

  // One thread: the context itself, so that work the owner posts and every connection share
  // one sequence (and a send from a callback runs inline). More threads: a strand each.
  asio::any_io_executor connection_executor() {
    if (options.io_threads <= 1) return ioc.get_executor();
    return asio::make_strand(ioc);
  }

  void track(const std::shared_ptr<Closable>& s) {
    std::lock_guard lock(sessions_mutex);
    std::erase_if(sessions, [](const auto& w) { return w.expired(); });
    sessions.push_back(s);
  }
  void connection_closed() {
    if (open.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard lock(sessions_mutex);
      all_closed.notify_all();
    }
  }
  void do_accept();
  Expected<bool, std::string> configure_tls();
};

namespace {

// One open TCP connection, counted from accept to close whichever session holds it.
class ConnectionSlot {
 public:
  explicit ConnectionSlot(Server::Impl& server) : server_(server) {
    server_.open.fetch_add(1, std::memory_order_acq_rel);
    server_.handler.on_event(Event::kOpened, {});
  }
  ~ConnectionSlot() {
    server_.handler.on_event(Event::kClosed, {});
    server_.connection_closed();
  }
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;

 private:
  Server::Impl& server_;
};

Request view_of(const http::request<http::string_body>& req) {
  Request request{sv(req.method_string()), sv(req.target()), req.body(), {}, req.keep_alive()};
  for (const auto& field : req)
    request.headers.emplace_back(sv(field.name_string()), sv(field.value()));
  return request;
}

// `Next` is beast::tcp_stream (ws://) or TlsStream (wss://), connected (and past its TLS
// handshake) when the WebSocket takes it over from the HTTP session.
template <class Next>
class WsSessionOn final : public WebSocket,
                          public Closable,
                          public std::enable_shared_from_this<WsSessionOn<Next>> {
 public:
  WsSessionOn(Server::Impl& server, Next&& next, std::unique_ptr<ConnectionSlot> slot,
              std::shared_ptr<WsHandler> handler, const WsOptions& options)
      : server_(server),
        ws_(std::move(next)),
        slot_(std::move(slot)),
        handler_(std::move(handler)),
        ticker_(ws_.get_executor()) {
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = options.handshake_timeout;
    timeouts.idle_timeout =
        options.idle_timeout.count() > 0
            ? std::chrono::duration_cast<std::chrono::nanoseconds>(options.idle_timeout)
            : websocket::stream_base::none();
    timeouts.keep_alive_pings = options.keep_alive_pings;
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator(
        [name = server.options.server_header](websocket::response_type& res) {
          res.set(http::field::server, name);
        }));
    ws_.read_message_max(options.read_message_max);
    if (options.send_buffer_bytes > 0) {
      beast::error_code ignored;
      beast::get_lowest_layer(ws_).socket().set_option(
          asio::socket_base::send_buffer_size(options.send_buffer_bytes), ignored);
    }
    ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
      if (kind == websocket::frame_type::ping) handler_->on_control(*this, true);
      if (kind == websocket::frame_type::pong) handler_->on_control(*this, false);
    });
  }

  void run(http::request<http::string_body> request) {
    beast::get_lowest_layer(ws_).expires_never();  // the websocket's own timeouts take over
    handler_->on_start(this->shared_from_this());
    ws_.async_accept(
        request, [self = this->shared_from_this()](beast::error_code ec) { self->on_accept(ec); });
  }

  void send(std::shared_ptr<const std::string> text) override {
    asio::dispatch(ws_.get_executor(), [self = this->shared_from_this(), text = std::move(text)] {
      self->enqueue(std::move(text));
    });
  }
  void ping() override {
    asio::dispatch(ws_.get_executor(),
                   [self = this->shared_from_this()] { self->enqueue(nullptr); });
  }
  void close(std::uint16_t code, std::string reason) override {
    asio::dispatch(ws_.get_executor(),
                   [self = this->shared_from_this(), code, reason = std::move(reason)] {
                     self->do_close(code, reason);
                   });
  }
  void close_abrupt() override {
    asio::dispatch(ws_.get_executor(), [self = this->shared_from_this()] { self->cut(); });
  }
  void start_ticker(std::chrono::nanoseconds interval) override {
    asio::dispatch(ws_.get_executor(), [self = this->shared_from_this(), interval] {
      self->tick_interval_ = interval;
      self->arm_ticker();
    });
  }
  std::size_t queued() const noexcept override { return queued_.load(std::memory_order_relaxed); }
  WsHandler& handler() noexcept override { return *handler_; }

  void shutdown() override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this()] {
      self->do_close(static_cast<std::uint16_t>(websocket::close_code::going_away),
                     "server stopping");
    });
  }

 private:
  using Shared = std::shared_ptr<const std::string>;  // nullptr: a ping

  void on_accept(beast::error_code ec) {
    if (ec) return finish();
    accepted_ = true;
    handler_->on_open(this->shared_from_this());
    write_next();
    read_next();
  }

  void enqueue(Shared text) {
    if (closing_) return;
    queue_.push_back(std::move(text));
    queued_.store(queue_.size(), std::memory_order_relaxed);
    write_next();
  }

  void arm_ticker() {
    if (closing_) return;
    ticker_.expires_after(tick_interval_);
    ticker_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (ec || self->closing_) return;
      self->handler_->on_tick(*self);
      self->arm_ticker();
    });
  }

  // Reading keeps control frames (ping, pong, close) flowing and hands data to the handler.
  void read_next() {
    ws_.async_read(in_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec || self->cut_) {
        self->cut();
        return self->finish();
      }
      const auto data = self->in_.cdata();
      self->handler_->on_message(*self, {static_cast<const char*>(data.data()), data.size()});
      self->in_.consume(self->in_.size());
      self->read_next();
    });
  }

  void write_next() {
    if (writing_ || queue_.empty() || closing_ || !accepted_) return;
    writing_ = true;
    auto done = [self = this->shared_from_this()](beast::error_code ec, auto&&...) {
      self->on_write(ec);
    };
    if (!queue_.front()) {
      ws_.async_ping({}, done);
    } else {
      ws_.text(true);
      ws_.async_write(asio::buffer(*queue_.front()), done);
    }
  }

  void on_write(beast::error_code ec) {
    writing_ = false;
    if (ec) return cut();
    queue_.pop_front();
    queued_.store(queue_.size(), std::memory_order_relaxed);
    handler_->on_sent(*this);
    if (pending_close_) return send_close(*pending_close_);
    write_next();
  }

  void do_close(std::uint16_t code, std::string_view reason) {
    if (closing_) return;
    closing_ = true;
    ticker_.cancel();
    if (!accepted_) return cut();
    websocket::close_reason why(static_cast<websocket::close_code>(code), std::string(reason));
    if (writing_) {
      // The frame in flight must finish (its buffer is queue_.front()); the close follows.
      queue_.erase(queue_.begin() + 1, queue_.end());
      queued_.store(queue_.size(), std::memory_order_relaxed);
      pending_close_ = why;
      return;
    }
    send_close(why);
  }

  void send_close(websocket::close_reason why) {
    pending_close_.reset();
    queue_.clear();
    queued_.store(0, std::memory_order_relaxed);
    ws_.async_close(why, [self = this->shared_from_this()](beast::error_code) {});
  }

  // The connection ends without a close frame; the pending read fails and finishes it.
  void cut() {
    closing_ = true;
    cut_ = true;
    ticker_.cancel();
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    closing_ = true;
    ticker_.cancel();
    handler_->on_closed(*this);
  }

  Server::Impl& server_;
  websocket::stream<Next> ws_;
  std::unique_ptr<ConnectionSlot> slot_;
  std::shared_ptr<WsHandler> handler_;
  asio::steady_timer ticker_;
  std::chrono::nanoseconds tick_interval_{0};
  beast::flat_buffer in_;
  std::deque<Shared> queue_;
  std::atomic<std::size_t> queued_{0};
  std::optional<websocket::close_reason> pending_close_;
  bool writing_ = false;
  bool closing_ = false;
  bool cut_ = false;
  bool accepted_ = false;
  bool finished_ = false;
};

// HTTP/1.1 exchanges on one connection (keep-alive per the options), or the upgrade that
// hands the stream to a WsSessionOn. With TLS the handshake comes first; plain HTTP on a TLS
// port fails that handshake and is reported as kTlsHandshakeFailed.
template <class Stream>
class HttpSession final : public Closable,
                          public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  template <class... TlsContext>
  HttpSession(Server::Impl& server, tcp::socket&& socket, bool refuse, TlsContext&... ctx)
      : server_(server),
        stream_(std::move(socket), ctx...),
        slot_(std::make_unique<ConnectionSlot>(server)),
        refuse_(refuse),
        delay_(stream_.get_executor()) {}

  void run() {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->begin(); });
  }

  void shutdown() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->upgraded_) return;
      // Between requests: close now. Holding a delayed answer: cut the wait. Mid-request:
      // the answer goes out, then the connection closes (keep-alive is off once stopping).
      if (!self->busy_) return self->close();
      self->delay_.cancel();
    });
  }

 private:
  void begin() {
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(server_.options.tls_handshake_timeout);
      stream_.async_handshake(
          ssl::stream_base::server,
          [self = this->shared_from_this()](beast::error_code ec) { self->on_handshake(ec); });
    } else {
      after_handshake();
    }
  }

  void on_handshake(beast::error_code ec) {
    if constexpr (kTls) {
      if (ec) return server_.handler.on_event(Event::kTlsHandshakeFailed, ec.message());
      const char* sni = SSL_get_servername(stream_.native_handle(), TLSEXT_NAMETYPE_host_name);
      server_.handler.on_event(Event::kTlsHandshake, sni != nullptr ? sni : "");
      after_handshake();
    }
  }

  void after_handshake() {
    if (refuse_) return refuse(Refusal::kTooManyConnections, "too many connections");
    read_next();
  }

  void read_next() {
    if (server_.stopping.load(std::memory_order_acquire)) return close();
    parser_.emplace();
    parser_->body_limit(server_.options.max_body_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(server_.options.max_header_bytes));
    beast::get_lowest_layer(stream_).expires_after(server_.options.idle_timeout);
    busy_ = false;
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(beast::error_code ec) {
    busy_ = true;
    if (ec == http::error::end_of_stream) return close();
    if (ec == beast::error::timeout) {
      server_.handler.on_event(Event::kIdleTimeout, {});
      return close();
    }
    if (ec == http::error::body_limit) {
      return refuse(
          Refusal::kBodyTooLarge,
          "the request body is over " + std::to_string(server_.options.max_body_bytes) + " bytes");
    }
    if (ec == http::error::header_limit) {
      return refuse(Refusal::kHeaderTooLarge, "the request header is too large");
    }
    // Socket trouble or a close from our side (stop): nobody to answer.
    if (ec && ec.category() != http::make_error_code(http::error::bad_target).category()) {
      return close();
    }
    if (ec) return refuse(Refusal::kMalformed, ec.message());
    auto request = parser_->release();
    version_ = request.version();
    if (websocket::is_upgrade(request)) return upgrade(std::move(request));
    Response response = server_.handler.handle(view_of(request));
    respond(std::move(response), request.keep_alive());
  }

  void refuse(Refusal why, const std::string& detail) {
    auto answer = server_.handler.refuse(why, detail);
    if (!answer) return close();
    respond(std::move(*answer), false);
  }

  void upgrade(http::request<http::string_body> request) {
    Upgrade answer = server_.handler.upgrade(view_of(request));
    if (answer.refusal || !answer.handler) {
      return respond(answer.refusal ? std::move(*answer.refusal) : Response{}, false);
    }
    upgraded_ = true;
    auto ws = std::make_shared<WsSessionOn<Stream>>(server_, std::move(stream_), std::move(slot_),
                                                    std::move(answer.handler), answer.options);
    server_.track(ws);
    ws->run(std::move(request));
  }

  void respond(Response response, bool keep_alive) {
    keep_alive = keep_alive && server_.options.keep_alive && !response.close &&
                 !server_.stopping.load(std::memory_order_acquire);
    if (response.delay.count() > 0) {
      delay_.expires_after(response.delay);
      response.delay = std::chrono::milliseconds(0);
      delay_.async_wait([self = this->shared_from_this(), response = std::move(response),
                         keep_alive](beast::error_code ec) mutable {
        if (ec) return self->close();  // stop() cut the wait short
        self->respond(std::move(response), keep_alive);
      });
      return;
    }
    if (response.drop) return close();
    auto& res = response_.emplace();
    res.version(version_);
    res.result(static_cast<unsigned>(response.status));
    res.set(http::field::server, server_.options.server_header);
    res.set(http::field::content_type, response.content_type);
    for (auto& header : response.headers)
      res.set(header.name, std::move(header.value));
    res.body() = std::move(response.body);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(server_.options.idle_timeout);
    http::async_write(
        stream_, res,
        [self = this->shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
          if (ec || !keep_alive) return self->close();
          self->read_next();
        });
  }

  void close() {
    delay_.cancel();
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ignored);
    beast::get_lowest_layer(stream_).close();
  }

  Server::Impl& server_;
  Stream stream_;
  std::unique_ptr<ConnectionSlot> slot_;
  bool refuse_;
  bool busy_ = true;
  bool upgraded_ = false;
  unsigned version_ = 11;
  asio::steady_timer delay_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
};

}  // namespace

void Server::Impl::do_accept() {
  acceptor.async_accept(connection_executor(), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || stopping.load()) return;
      handler.on_event(Event::kAcceptFailed, ec.message());
    } else {
      handler.on_event(Event::kAccepted, {});
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      const bool refuse = options.max_connections > 0 &&
                          static_cast<std::size_t>(std::max<std::int64_t>(0, open.load())) >=
                              options.max_connections;
      std::shared_ptr<Closable> session;
      if (ssl_ctx) {
        auto tls =
            std::make_shared<HttpSession<TlsStream>>(*this, std::move(socket), refuse, *ssl_ctx);
        tls->run();
        session = std::move(tls);
      } else {
        auto plain =
            std::make_shared<HttpSession<beast::tcp_stream>>(*this, std::move(socket), refuse);
        plain->run();
        session = std::move(plain);
      }
      track(session);
    }
    if (!stopping.load()) do_accept();
  });
}

Expected<bool, std::string> Server::Impl::configure_tls() {
  if (!options.tls) return false;
  ssl_ctx.emplace(ssl::context::tls_server);
  ssl_ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::single_dh_use);
  beast::error_code ec;
  ssl_ctx->use_certificate_chain(asio::buffer(options.tls->certificate_pem), ec);
  if (ec) return Unexpected{"TLS certificate: " + ec.message()};
  ssl_ctx->use_private_key(asio::buffer(options.tls->private_key_pem), ssl::context::pem, ec);
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

Server::Server(ServerOptions options, Handler& handler)
    : impl_(std::make_unique<Impl>(std::move(options), handler)) {}

Server::~Server() {
  stop(std::chrono::milliseconds(0));
}

Expected<std::uint16_t, std::string> Server::start() {
  Impl& s = *impl_;
  if (s.started) return Unexpected(std::string("the server was started already"));
  if (auto tls = s.configure_tls(); !tls) return Unexpected{tls.error()};
  beast::error_code ec;
  const auto address = asio::ip::make_address(s.options.bind_address, ec);
  if (ec) return Unexpected("bad bind address `" + s.options.bind_address + "`: " + ec.message());
  const tcp::endpoint endpoint(address, s.options.port);
  const auto fail = [&](std::string_view what) {
    beast::error_code ignored;
    s.acceptor.close(ignored);
    return Unexpected("cannot " + std::string(what) + " " + s.options.bind_address + ":" +
                      std::to_string(s.options.port) + ": " + ec.message());
  };
  if (s.acceptor.open(endpoint.protocol(), ec)) return fail("open");
  if (s.acceptor.set_option(asio::socket_base::reuse_address(true), ec)) return fail("set up");
  if (s.acceptor.bind(endpoint, ec)) return fail("bind");
  if (s.acceptor.listen(asio::socket_base::max_listen_connections, ec)) return fail("listen on");
  s.bound_port = s.acceptor.local_endpoint().port();
  s.started = true;
  s.do_accept();
  for (int i = 0; i < std::max(1, s.options.io_threads); ++i)
    s.threads.emplace_back([&s] { s.ioc.run(); });
  return s.bound_port.load();
}

void Server::stop(std::chrono::milliseconds grace) {
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
    s.all_closed.wait_for(lock, grace, [&s] { return s.open.load() <= 0; });
  }
  s.ioc.stop();
  for (auto& t : s.threads)
    t.join();
  s.threads.clear();
}

std::uint16_t Server::port() const noexcept {
  return impl_->bound_port.load();
}

std::size_t Server::open_connections() const noexcept {
  return static_cast<std::size_t>(std::max<std::int64_t>(0, impl_->open.load()));
}

void Server::post(std::function<void()> fn) {
  asio::post(impl_->ioc, std::move(fn));
}

struct Timer::Impl {
  explicit Impl(asio::io_context& ioc) : timer(ioc) {}
  asio::steady_timer timer;
};

Timer::Timer(Server& server) : impl_(std::make_unique<Impl>(server.impl_->ioc)) {}
Timer::~Timer() = default;

void Timer::at(std::chrono::steady_clock::time_point when, std::function<void(bool)> fn) {
  impl_->timer.expires_at(when);
  impl_->timer.async_wait([fn = std::move(fn)](beast::error_code ec) { fn(!ec); });
}

void Timer::cancel() {
  impl_->timer.cancel();
}

}  // namespace be::net::server
