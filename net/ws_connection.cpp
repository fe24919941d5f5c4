#include "net/detail/ws_connection.hpp"

#include <deque>
#include <type_traits>
#include <utility>

#include "net/detail/tls_client.hpp"

namespace be::net::detail {

namespace {

// The io_context's concrete executor, not the type-erased any_io_executor that
// beast::tcp_stream uses: posting a completion through any_io_executor type-erases the
// function into a heap block and drops the handler's allocator; the concrete executor
// allocates the operation with the handler's associated allocator (HandlerArena).
using Executor = asio::io_context::executor_type;
using TcpStream = beast::basic_stream<tcp, Executor>;
using PlainWs = websocket::stream<TcpStream>;
using TlsWs = websocket::stream<beast::ssl_stream<TcpStream>>;

template <class Ws>
class Conn final : public WsConnection, public std::enable_shared_from_this<Conn<Ws>> {
 public:
  static constexpr bool kTls = std::is_same_v<Ws, TlsWs>;

  Conn(const WsConnectionSettings& settings, WsConnectionOwner& owner)
      : settings_(settings), owner_(owner), resolver_(*settings.ioc), ws_(make_ws(settings)) {
    // Frames are ~100-500 bytes; depth snapshots larger. Reserving once means the buffer
    // only grows for an unusually large frame, and consume() keeps the capacity.
    buffer_.reserve(64 * 1024);
  }

  void start() override {
    // Not from the arena: Asio runs name resolution on its own resolver thread, and the
    // arena is single-threaded. Once per connection attempt, not per frame.
    resolver_.async_resolve(
        settings_.url.host, std::to_string(settings_.url.port),
        [self = this->shared_from_this()](beast::error_code ec, tcp::resolver::results_type r) {
          self->on_resolve(ec, std::move(r));
        });
  }

  void ping() override {
    ping_outstanding = true;
    ws_.async_ping({}, arena([self = this->shared_from_this()](beast::error_code ec) {
                     self->ping_outstanding = false;
                     if (ec && !self->closed_) self->fail("ping", ec);
                   }));
  }

  void send(std::string message) override {
    queue_.push_back(std::move(message));
    if (!writing_) do_write();
  }

  void close() override {
    closed_ = true;
    resolver_.cancel();
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

 private:
  static Ws make_ws(const WsConnectionSettings& s) {
    if constexpr (kTls) {
      return Ws(s.ioc->get_executor(), *s.tls_context);
    } else {
      return Ws(s.ioc->get_executor());
    }
  }

  template <class F>
  auto arena(F&& f) {
    return in_arena(*settings_.arena, std::forward<F>(f));
  }

  void fail(std::string_view stage, const beast::error_code& ec) {
    std::string reason(stage);
    reason += ": ";
    reason += ec ? ec.message() : std::string("closed");
    owner_.on_failed(this, reason);
  }

  void on_resolve(beast::error_code ec, tcp::resolver::results_type results) {
    if (ec || closed_) return fail("resolve", ec);
    beast::get_lowest_layer(ws_).expires_after(to_duration(settings_.connect_timeout));
    beast::get_lowest_layer(ws_).async_connect(
        results, arena([self = this->shared_from_this()](
                           beast::error_code e, const tcp::resolver::results_type::endpoint_type&) {
          self->on_connect(e);
        }));
  }

  void on_connect(beast::error_code ec) {
    if (ec || closed_) return fail("connect", ec);
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true), ignored);
    if constexpr (kTls) {
      auto& tls = ws_.next_layer();
      if (auto error = prepare_client_session(tls.native_handle(), settings_.url.host,
                                              settings_.verify_peer)) {
        return owner_.on_failed(this, *error);
      }
      tls.async_handshake(ssl::stream_base::client,
                          arena([self = this->shared_from_this()](beast::error_code e) {
                            self->on_tls_handshake(e);
                          }));
    } else {
      on_tls_handshake({});
    }
  }

  void on_tls_handshake(beast::error_code ec) {
    if (ec || closed_) {
      if constexpr (kTls) {
        if (ec && !closed_) {
          return owner_.on_failed(
              this, describe_handshake_failure(ws_.next_layer().native_handle(), ec,
                                               settings_.url.host, settings_.url.port));
        }
      }
      return fail("tls handshake", ec);
    }
    beast::get_lowest_layer(ws_).expires_never();  // the websocket timeouts take over
    websocket::stream_base::timeout opt{};
    opt.handshake_timeout = to_duration(settings_.connect_timeout);
    // Idle: the owner's tick (pings after some silence, drops after more).
    opt.idle_timeout = websocket::stream_base::none();
    opt.keep_alive_pings = false;
    ws_.set_option(opt);
    ws_.set_option(websocket::stream_base::decorator(
        [ua = settings_.user_agent](websocket::request_type& req) {
          req.set(beast::http::field::user_agent, ua);
        }));
    ws_.read_message_max(settings_.max_message_bytes);
    ws_.auto_fragment(false);
    // Pings are answered by Beast itself; the callback tells the owner the line is alive.
    ws_.control_callback([&owner = owner_](websocket::frame_type kind, beast::string_view) {
      if (kind != websocket::frame_type::close)
        owner.on_control(kind == websocket::frame_type::ping);
    });
    ws_.async_handshake(
        settings_.url.host_header(), settings_.target,
        arena([self = this->shared_from_this()](beast::error_code e) { self->on_handshake(e); }));
  }

  void on_handshake(beast::error_code ec) {
    if (ec || closed_) return fail("websocket handshake", ec);
    owner_.on_open(this);
    do_read();
  }

  // The per-frame path: the handler's operations live in the arena and the buffer keeps its
  // capacity, so a warm read allocates nothing (tests/net/client_alloc_test.cpp).
  void do_read() {
    ws_.async_read(buffer_, arena([self = this->shared_from_this()](
                                      beast::error_code ec, std::size_t) { self->on_read(ec); }));
  }

  void on_read(beast::error_code ec) {
    // Ingress: the one wall-clock read, taken before anything else looks at the bytes.
    const Nanos rx = settings_.clock->now();
    if (ec || closed_) return fail("read", ec);
    const auto data = buffer_.cdata();
    // The whole buffer is consumed after every frame, which puts the next frame at the start
    // of the allocation (flat_buffer::consume resets to it): everything up to capacity() is
    // readable from data.data().
    owner_.on_message(this, {static_cast<const char*>(data.data()), data.size()},
                      buffer_.capacity(), ws_.got_binary(), rx);
    buffer_.consume(buffer_.size());  // keeps the capacity: no allocation once warm
    if (!closed_) do_read();
  }

  void do_write() {
    writing_ = true;
    ws_.text(true);
    ws_.async_write(asio::buffer(queue_.front()),
                    arena([self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                      self->on_write(ec);
                    }));
  }

  void on_write(beast::error_code ec) {
    queue_.pop_front();
    writing_ = false;
    if (ec || closed_) return fail("write", ec);
    if (!queue_.empty()) do_write();
  }

  const WsConnectionSettings settings_;
  WsConnectionOwner& owner_;
  tcp::resolver resolver_;
  Ws ws_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  bool writing_ = false;
  bool closed_ = false;
};

}  // namespace

std::shared_ptr<WsConnection> make_ws_connection(const WsConnectionSettings& settings,
                                                 WsConnectionOwner& owner) {
  if (settings.url.tls) return std::make_shared<Conn<TlsWs>>(settings, owner);
  return std::make_shared<Conn<PlainWs>>(settings, owner);
}

}  // namespace be::net::detail
