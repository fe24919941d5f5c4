// The only translation unit of be_net_server that includes Beast/Asio (slow to compile).
#include "net/server/server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <type_traits>

#include "net/server/detail/server_impl.hpp"
#include "net/server/detail/ws_session.hpp"
#include "net/server/http_rules.hpp"

namespace be::net::server {

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

std::optional<Response> Handler::refuse(const Refused& refused) {
  Response answer{
      refused.status, "text/plain; charset=utf-8", std::string(refused.detail) + "\n", {}, true};
  // Out of connections: worth retrying as soon as one frees up (idle ones time out).
  if (refused.status == 503) answer.headers.push_back({"Retry-After", "1"});
  return answer;
}

bool is_loopback_address(std::string_view address) {
  beast::error_code ec;
  const auto parsed = asio::ip::make_address(std::string(address), ec);
  return !ec && parsed.is_loopback();
}

namespace {

// Which rule a request Beast's parser refused broke (http_rules.hpp: what Beast checks).
Violation violation_of(beast::error_code ec) {
  switch (static_cast<http::error>(ec.value())) {
    case http::error::bad_target:
      return Violation::kTarget;
    case http::error::bad_version:
      return Violation::kVersion;
    case http::error::bad_field:
    case http::error::bad_value:
    case http::error::bad_obs_fold:
      return Violation::kHeaderField;
    case http::error::bad_content_length:
      return Violation::kContentLength;
    case http::error::bad_transfer_encoding:
      return Violation::kTransferEncoding;
    default:
      return Violation::kSyntax;
  }
}

// How a connection was let in, decided at accept from the connections open then.
enum class Admission : std::uint8_t {
  kFull,     // any request (up to max_connections - reserved_connections open)
  kReserve,  // in the reserve: only what Handler::reserve_use admits
  kRefused,  // over max_connections: answered 503 (as the handler words it), not counted
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
  HttpSession(Server::Impl& server, tcp::socket&& socket, Admission admission, TlsContext&... ctx)
      : server_(server),
        stream_(std::move(socket), ctx...),
        slot_(admission == Admission::kRefused ? nullptr
                                               : std::make_unique<ConnectionSlot>(server)),
        admission_(admission),
        delay_(stream_.get_executor()) {}

  void run() {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->begin(); });
  }

  void shutdown() override {
    // The timer's executor, never the stream's: once upgrade() has moved stream_ into the
    // WebSocket session, stream_.get_executor() dereferences a moved-from stream, and stop()
    // can still reach this session in that window (it is tracked until its last handler ends).
    asio::post(delay_.get_executor(), [self = this->shared_from_this()] {
      if (self->upgraded_) return;
      if (self->lingering_) return self->close();
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
    if (admission_ == Admission::kRefused) {
      // Answered at once (nothing to read first), within the idle timeout.
      beast::get_lowest_layer(stream_).expires_after(server_.options.idle_timeout);
      return refuse({Refusal::kTooManyConnections, 503, "too many connections"});
    }
    read_next();
  }

  void read_next() {
    if (server_.stopping.load(std::memory_order_acquire)) return close();
    parser_.emplace();
    parser_->body_limit(server_.options.max_body_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(server_.options.max_header_bytes));
    beast::get_lowest_layer(stream_).expires_after(admission_ == Admission::kReserve
                                                       ? server_.options.reserve_idle_timeout
                                                       : server_.options.idle_timeout);
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
      const std::string detail =
          "the request body is over " + std::to_string(server_.options.max_body_bytes) + " bytes";
      return refuse({Refusal::kBodyTooLarge, 413, detail});
    }
    if (ec == http::error::header_limit) {
      return refuse({Refusal::kHeaderTooLarge, 431, "the request header is too large"});
    }
    // Socket trouble or a close from our side (stop): nobody to answer.
    if (ec && ec.category() != http::make_error_code(http::error::bad_target).category()) {
      return close();
    }
    if (ec) return reject_unparsed(ec);
    auto request = parser_->release();
    version_ = request.version();
    const Request view = view_of(request);
    if (auto broken = check_request(view, request.version())) return reject(*broken);
    const bool upgrade_asked = websocket::is_upgrade(request);
    if (upgrade_asked) {
      if (auto broken = check_websocket_handshake(view)) return reject(*broken);
    }
    bool keep_alive = request.keep_alive();
    if (admission_ == Admission::kReserve) {
      const ReserveUse use =
          upgrade_asked ? ReserveUse::kRefuse : server_.handler.reserve_use(view);
      if (use == ReserveUse::kRefuse) {
        return refuse({Refusal::kReservedOnly, 503,
                       "too many connections: the reserved ones serve only probes and admins"});
      }
      keep_alive = keep_alive && use == ReserveUse::kKeep;
    }
    if (upgrade_asked) return upgrade(std::move(request));
    respond(server_.handler.handle(view), keep_alive);
  }

  // Beast refused the bytes: which rule, and for a bad version the status the RFC asks for,
  // read from the request line still in the buffer.
  void reject_unparsed(beast::error_code ec) {
    const Violation violation = violation_of(ec);
    // Beast refuses the second of Content-Length and Transfer-Encoding under the name of the
    // second; the fields before it are in the message so far. Both together is one rule.
    const auto& partial = parser_->get();
    if ((violation == Violation::kContentLength &&
         partial.count(http::field::transfer_encoding) > 0) ||
        (violation == Violation::kTransferEncoding &&
         partial.count(http::field::content_length) > 0)) {
      return reject(both_framings());
    }
    if (violation == Violation::kVersion) {
      const auto head = buffer_.cdata();
      return reject(classify_bad_version(
          std::string_view(static_cast<const char*>(head.data()), head.size())));
    }
    reject(Rejection{violation, 400, ec.message(), {}});
  }

  void reject(const Rejection& broken) {
    refuse({Refusal::kMalformed, broken.status, broken.detail, broken.violation},
           broken.required_headers);
  }

  void refuse(const Refused& refused, const std::vector<Header>& required_headers = {}) {
    auto answer = server_.handler.refuse(refused);
    if (!answer) return close();
    for (const Header& header : required_headers)
      answer->headers.push_back(header);
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
          if (ec) return self->close();
          if (!keep_alive) return self->linger_close();
          self->read_next();
        });
  }

  // Closes after a last answer without losing it: our side ends (FIN), then what the client
  // still sends (the request a refusal did not read, a body after a 400) is read and dropped
  // until it closes too or kLinger passes. Closing on unread bytes would send a reset, which
  // can destroy the answer before the client reads it.
  // The connection stops counting as open here: it serves nothing more, and a probe's reserve
  // slot is free for the next one at once.
  void linger_close() {
    static constexpr std::chrono::seconds kLinger{2};
    lingering_ = true;
    slot_.reset();
    auto& tcp = beast::get_lowest_layer(stream_);
    beast::error_code ignored;
    tcp.socket().shutdown(tcp::socket::shutdown_send, ignored);
    tcp.expires_after(kLinger);
    drain();
  }

  void drain() {
    beast::get_lowest_layer(stream_).async_read_some(
        asio::buffer(drained_),
        [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
          if (ec) return self->close();
          self->drain();
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
  std::unique_ptr<ConnectionSlot> slot_;  // null when refused: not counted as open
  Admission admission_;
  bool busy_ = true;
  bool upgraded_ = false;
  bool lingering_ = false;
  std::array<char, 512> drained_{};
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
      // Accepts run one at a time (the acceptor's strand), so the count cannot grow between
      // this check and the ConnectionSlot the session takes; it can only shrink.
      const auto open_now = static_cast<std::size_t>(std::max<std::int64_t>(0, open.load()));
      Admission admission = Admission::kFull;
      if (options.max_connections > 0) {
        if (open_now >= options.max_connections) {
          admission = Admission::kRefused;
        } else if (open_now >= options.max_connections - options.reserved_connections) {
          admission = Admission::kReserve;
        }
      }
      std::shared_ptr<Closable> session;
      if (ssl_ctx) {
        auto tls =
            std::make_shared<HttpSession<TlsStream>>(*this, std::move(socket), admission, *ssl_ctx);
        tls->run();
        session = std::move(tls);
      } else {
        auto plain =
            std::make_shared<HttpSession<beast::tcp_stream>>(*this, std::move(socket), admission);
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
  if (s.options.reserved_connections > 0 &&
      s.options.reserved_connections >= s.options.max_connections) {
    return Unexpected("reserved_connections (" + std::to_string(s.options.reserved_connections) +
                      ") must be below max_connections (" +
                      std::to_string(s.options.max_connections) + ")");
  }
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
    s.threads.emplace_back([&s] {
      place_current_thread(s.options.thread_role, s.options.thread_name);
      s.ioc.run();
    });
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
