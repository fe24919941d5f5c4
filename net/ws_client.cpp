// The only translation unit of be_net that includes Beast/Asio (slow to compile).
#include "net/ws_client.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>

// GCC 12 at -O2 reports a "potential null pointer dereference" inside Asio's scheduler
// (a false positive in a system header, seen after inlining); silenced for Boost only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#pragma GCC diagnostic pop

#include "net/url.hpp"

namespace be::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
// The io_context's concrete executor, not the type-erased any_io_executor that
// beast::tcp_stream uses: posting a completion through any_io_executor type-erases the
// function into a heap block and drops the handler's allocator; the concrete executor
// allocates the operation with the handler's associated allocator (HandlerArena below).
using Executor = asio::io_context::executor_type;
using TcpStream = beast::basic_stream<tcp, Executor>;
using PlainWs = websocket::stream<TcpStream>;
using TlsWs = websocket::stream<beast::ssl_stream<TcpStream>>;

std::string stream_name(std::string_view symbol, std::string_view channel) {
  std::string name;
  name.reserve(symbol.size() + channel.size() + 1);
  for (char c : symbol)
    name.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  name.push_back('@');
  name.append(channel);
  return name;
}

FrameKind classify_frame(std::string_view p, bool binary) noexcept {
  if (binary) return FrameKind::kUnrecognised;
  while (!p.empty() && (p.back() == '\n' || p.back() == '\r' || p.back() == ' '))
    p.remove_suffix(1);
  if (p.size() < 2 || p.front() != '{' || p.back() != '}') return FrameKind::kUnrecognised;
  if (p.starts_with(R"({"result")") || p.starts_with(R"({"id")") || p.starts_with(R"({"code")") ||
      p.starts_with(R"({"error")")) {
    return FrameKind::kReply;
  }
  return FrameKind::kData;
}

namespace {

std::chrono::steady_clock::duration to_duration(Nanos ns) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::nanoseconds(ns));
}

std::optional<std::uint64_t> reply_id(std::string_view p) {
  const auto at = p.rfind(R"("id":)");
  if (at == std::string_view::npos) return std::nullopt;
  const char* first = p.data() + at + 5;
  std::uint64_t id = 0;
  const auto [end, ec] = std::from_chars(first, p.data() + p.size(), id);
  if (ec != std::errc{} || end == first) return std::nullopt;
  return id;
}

std::string reply_message(std::string_view p) {
  const auto at = p.find(R"("msg":")");
  if (at == std::string_view::npos) return "error reply without msg";
  const auto begin = at + 7;
  const auto end = p.find('"', begin);
  return std::string(p.substr(begin, end == std::string_view::npos ? 0 : end - begin));
}

std::string request_json(std::string_view method, const std::vector<std::string>& params,
                         std::uint64_t id) {
  std::string out = R"({"method":")";
  out += method;
  out += '"';
  if (!params.empty()) {
    out += R"(,"params":[)";
    for (std::size_t i = 0; i < params.size(); ++i) {
      if (i) out += ',';
      out += '"';
      out += params[i];
      out += '"';
    }
    out += ']';
  }
  out += R"(,"id":)";
  out += std::to_string(id);
  out += '}';
  return out;
}

struct AtomicStats {
  std::atomic<std::uint64_t> frames{0}, bytes{0}, unrecognised{0}, replies{0}, request_errors{0},
      connects{0}, connect_failures{0}, disconnects{0}, stale_events{0}, pings{0}, pongs{0};
};

void bump(std::atomic<std::uint64_t>& counter, std::uint64_t by = 1) {
  counter.fetch_add(by, std::memory_order_relaxed);
}

// Memory for the connection's asynchronous operations (Asio/Beast allocate one block per
// pending operation: the socket read, the completion post, writes, pings). Sixteen 1 KiB
// blocks cover every operation a connection has in flight at once, so after the first
// frames no operation reaches operator new; a larger request or a seventeenth concurrent one
// falls back to the heap (correct, just not free), counted in `overflows`.
// Thread-safety: none; used on the I/O thread only (and by the io_context's destructor once
// that thread has exited). Lifetime: owned by WsClient::Impl and declared before its
// io_context, so it outlives every operation the context may still destroy.
class HandlerArena {
 public:
  static constexpr std::size_t kBlockSize = 1024;
  static constexpr unsigned kBlocks = 16;

  HandlerArena() = default;
  HandlerArena(const HandlerArena&) = delete;
  HandlerArena& operator=(const HandlerArena&) = delete;

  void* allocate(std::size_t bytes) {
    if (bytes <= kBlockSize && free_ != 0) {
      const unsigned i = static_cast<unsigned>(__builtin_ctz(free_));
      free_ &= ~(1u << i);
      return blocks_[i].bytes;
    }
    ++overflows;
    return ::operator new(bytes);
  }
  void deallocate(void* p) noexcept {
    const auto* b = static_cast<const Block*>(p);
    if (b >= blocks_ && b < blocks_ + kBlocks) {
      free_ |= 1u << static_cast<unsigned>(b - blocks_);
      return;
    }
    ::operator delete(p);
  }

  std::uint64_t overflows = 0;

 private:
  struct alignas(std::max_align_t) Block {
    unsigned char bytes[kBlockSize];
  };
  Block blocks_[kBlocks];
  std::uint32_t free_ = (1u << kBlocks) - 1;
};

template <class T>
struct ArenaAllocator {
  using value_type = T;
  HandlerArena* arena;
  explicit ArenaAllocator(HandlerArena* a) noexcept : arena(a) {}
  template <class U>
  ArenaAllocator(const ArenaAllocator<U>& other) noexcept : arena(other.arena) {}  // NOLINT
  T* allocate(std::size_t n) { return static_cast<T*>(arena->allocate(n * sizeof(T))); }
  void deallocate(T* p, std::size_t) noexcept { arena->deallocate(p); }
  template <class U>
  bool operator==(const ArenaAllocator<U>& o) const noexcept {
    return arena == o.arena;
  }
};

// A completion handler whose operations Asio allocates from the arena (Asio asks a handler
// for its associated allocator through allocator_type/get_allocator; Beast's composed
// operations forward the question to the final handler).
template <class F>
struct ArenaHandler {
  using allocator_type = ArenaAllocator<void>;
  F f;
  HandlerArena* arena;
  allocator_type get_allocator() const noexcept { return allocator_type(arena); }
  template <class... Args>
  void operator()(Args&&... args) {
    f(std::forward<Args>(args)...);
  }
};

template <class F>
ArenaHandler<std::decay_t<F>> in_arena(HandlerArena& arena, F&& f) {
  return {std::forward<F>(f), &arena};
}

// One connection attempt and, if it opens, its life. The owner keeps a shared_ptr to the
// current one; every pending operation keeps its own, so a connection that is replaced stays
// alive until its aborted operations have completed.
class ConnBase {
 public:
  virtual ~ConnBase() = default;
  virtual void start() = 0;
  virtual void send(std::string message) = 0;
  virtual void close() = 0;
  virtual void ping() = 0;
  bool open = false;
  bool ping_outstanding = false;
};

}  // namespace

struct WsClient::Impl {
  struct Pending {
    Nanos sent_at = 0;
    bool resubscribe = false;
  };

  Impl(WsClientConfig c, WsClientHandlers h, const IngressClock* clk)
      : config(std::move(c)),
        handlers(std::move(h)),
        clock(clk != nullptr ? clk : &own_clock),
        backoff(config.backoff) {}

  WsClientConfig config;
  WsClientHandlers handlers;
  WallClock own_clock;
  const IngressClock* clock;
  WsUrl url;
  // Declared before the io_context so SSL streams still queued in handlers at teardown are
  // destroyed while the context exists, and the arena outlives the operations it holds.
  ssl::context ssl_ctx{ssl::context::tls_client};
  HandlerArena arena;
  asio::io_context ioc{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  asio::steady_timer reconnect_timer{ioc};
  asio::steady_timer tick_timer{ioc};
  std::thread thread;

  // I/O-thread state.
  Backoff backoff;
  std::shared_ptr<ConnBase> conn;
  bool stopping = false;
  bool stale = false;
  Nanos last_rx = 0;    // monotonic: the last data frame (stale detection)
  Nanos last_byte = 0;  // monotonic: the last frame of any kind, pings and pongs too (idle)
  std::unordered_map<std::uint64_t, Pending> pending;

  // Shared state.
  mutable std::mutex mu;
  std::map<std::string, int> wanted;  // stream -> reference count
  std::atomic<std::size_t> wanted_count{0};
  std::atomic<std::uint64_t> next_id{1};
  std::atomic<bool> is_connected{false};
  std::atomic<bool> started{false};
  AtomicStats stats;

  void emit(ConnectivityState state) {
    if (!handlers.on_status) return;
    Connectivity body;
    body.venue = config.venue;
    body.state = state;
    const Nanos now = clock->now();
    handlers.on_status(Event::make(body, now, now, index_of(config.venue)));
  }

  void result(std::uint64_t id, RequestResult::Status status, bool resub, std::string message) {
    if (status != RequestResult::Status::kOk) bump(stats.request_errors);
    if (!handlers.on_result) return;
    handlers.on_result(RequestResult{id, status, resub, std::move(message)});
  }

  void connect();
  Nanos schedule_reconnect() {
    const Nanos delay = backoff.next();
    reconnect_timer.expires_after(to_duration(delay));
    reconnect_timer.async_wait([this](beast::error_code ec) {
      if (!ec && !stopping) connect();
    });
    return delay;
  }

  void arm_tick() {
    const Nanos period =
        std::clamp(std::min({config.stale_after, config.request_timeout, config.idle_timeout}) / 4,
                   Nanos{1'000'000}, Nanos{250'000'000});
    tick_timer.expires_after(to_duration(period));
    tick_timer.async_wait([this](beast::error_code ec) {
      if (ec || stopping) return;
      on_tick();
      arm_tick();
    });
  }

  void on_tick() {
    const Nanos now = monotonic_now();
    // Idle handling lives here rather than in Beast's websocket timeout: Beast re-arms a
    // timer on every read (a timer syscall and a heap block per frame).
    if (conn && conn->open) {
      const Nanos quiet = now - last_byte;
      if (quiet >= config.idle_timeout) {
        on_failed(conn.get(),
                  "idle: no frame, ping or pong for " + std::to_string(quiet / 1'000'000) + " ms");
      } else if (quiet >= config.idle_timeout / 2 && !conn->ping_outstanding) {
        conn->ping();
      }
    }
    if (conn && conn->open && !stale && wanted_count.load(std::memory_order_relaxed) > 0 &&
        now - last_rx >= config.stale_after) {
      stale = true;
      bump(stats.stale_events);
      emit(ConnectivityState::kStale);
    }
    for (auto it = pending.begin(); it != pending.end();) {
      if (now - it->second.sent_at >= config.request_timeout) {
        const auto [id, p] = *it;
        it = pending.erase(it);
        result(id, RequestResult::Status::kTimeout, p.resubscribe, "no reply in time");
      } else {
        ++it;
      }
    }
  }

  void send_request(std::uint64_t id, std::string_view method, std::vector<std::string> params,
                    bool resubscribe) {
    if (!conn || !conn->open) {
      result(id, RequestResult::Status::kConnectionLost, resubscribe, "not connected");
      return;
    }
    // A fresh subscription has had no chance to deliver yet: staleness counts from now.
    if (method == "SUBSCRIBE") last_rx = monotonic_now();
    pending[id] = Pending{monotonic_now(), resubscribe};
    conn->send(request_json(method, params, id));
  }

  void on_open(ConnBase* c) {
    if (c != conn.get()) return;
    c->open = true;
    is_connected.store(true, std::memory_order_release);
    bump(stats.connects);
    backoff.reset();
    stale = false;
    last_rx = last_byte = monotonic_now();
    emit(ConnectivityState::kConnected);
    std::vector<std::string> streams;
    {
      std::lock_guard lock(mu);
      for (const auto& [name, refs] : wanted)
        streams.push_back(name);
    }
    if (!streams.empty()) {
      send_request(next_id.fetch_add(1), "SUBSCRIBE", std::move(streams), true);
    }
  }

  void on_failed(ConnBase* c, const std::string& reason) {
    if (c != conn.get()) return;  // an operation of a connection already replaced
    const bool was_open = c->open;
    c->close();
    conn.reset();
    is_connected.store(false, std::memory_order_release);
    stale = false;
    auto lost = std::move(pending);
    pending.clear();
    for (const auto& [id, p] : lost) {
      result(id, RequestResult::Status::kConnectionLost, p.resubscribe, "connection lost");
    }
    if (was_open) {
      bump(stats.disconnects);
      emit(ConnectivityState::kDisconnected);
    } else {
      bump(stats.connect_failures);
    }
    if (!stopping) {
      const Nanos delay = schedule_reconnect();
      if (handlers.on_retry) handlers.on_retry(reason, delay);
    }
  }

  // The per-frame path: no allocation, no lock (handlers may allocate; that is theirs).
  void on_frame(ConnBase* c, std::string_view payload, std::size_t readable, bool binary,
                Nanos rx) {
    if (c != conn.get()) return;
    last_rx = last_byte = monotonic_now();
    bump(stats.frames);
    bump(stats.bytes, payload.size());
    const FrameKind kind = classify_frame(payload, binary);
    if (kind == FrameKind::kUnrecognised) bump(stats.unrecognised);
    if (stale) {
      stale = false;
      emit(ConnectivityState::kRecovered);
    }
    if (kind == FrameKind::kReply) on_reply(payload);
    handlers.on_frame(Frame{payload, readable, rx, kind, binary});
  }

  void on_reply(std::string_view payload) {
    bump(stats.replies);
    const auto id = reply_id(payload);
    if (!id) return;
    const auto it = pending.find(*id);
    if (it == pending.end()) return;
    const bool resub = it->second.resubscribe;
    pending.erase(it);
    const bool error = payload.find(R"("code")") != std::string_view::npos;
    if (error) {
      result(*id, RequestResult::Status::kError, resub, reply_message(payload));
    } else {
      result(*id, RequestResult::Status::kOk, resub, {});
    }
  }
};

namespace {

template <class Ws>
class Conn final : public ConnBase, public std::enable_shared_from_this<Conn<Ws>> {
 public:
  static constexpr bool kTls = std::is_same_v<Ws, TlsWs>;

  explicit Conn(WsClient::Impl& owner) : owner_(owner), resolver_(owner.ioc), ws_(make_ws(owner)) {
    // Frames are ~100-500 bytes; depth snapshots larger. Reserving once means the buffer
    // only grows for an unusually large frame, and consume() keeps the capacity.
    buffer_.reserve(64 * 1024);
  }

  void start() override {
    // Not from the arena: Asio runs name resolution on its own resolver thread, and the
    // arena is single-threaded. Once per connection attempt, not per frame.
    resolver_.async_resolve(
        owner_.url.host, std::to_string(owner_.url.port),
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
  static Ws make_ws(WsClient::Impl& owner) {
    if constexpr (kTls) {
      return Ws(owner.ioc.get_executor(), owner.ssl_ctx);
    } else {
      return Ws(owner.ioc.get_executor());
    }
  }

  template <class F>
  auto arena(F&& f) {
    return in_arena(owner_.arena, std::forward<F>(f));
  }

  void fail(std::string_view stage, const beast::error_code& ec) {
    std::string reason(stage);
    reason += ": ";
    reason += ec ? ec.message() : std::string("closed");
    owner_.on_failed(this, reason);
  }

  void on_resolve(beast::error_code ec, tcp::resolver::results_type results) {
    if (ec || closed_) return fail("resolve", ec);
    beast::get_lowest_layer(ws_).expires_after(to_duration(owner_.config.connect_timeout));
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
      SSL* const handle = tls.native_handle();
      // Asio sets SSL_MODE_RELEASE_BUFFERS, which frees OpenSSL's 16 KiB record buffer
      // whenever it drains and mallocs it again on the next record: once per frame. Keep it.
      SSL_clear_mode(handle, SSL_MODE_RELEASE_BUFFERS);
      const std::string& host = owner_.url.host;
      beast::error_code literal;
      const bool ip_literal = (asio::ip::make_address(host, literal), !literal);
      // SNI: virtual-hosted TLS endpoints pick the certificate by it.
      if (!ip_literal && !SSL_set_tlsext_host_name(handle, host.c_str())) {
        return fail("sni", beast::error_code(static_cast<int>(::ERR_get_error()),
                                             asio::error::get_ssl_category()));
      }
      if (owner_.config.verify_peer) {
        // OpenSSL's own name check (not a verify callback) so a mismatch leaves a verify
        // result that tls_failure() can name.
        X509_VERIFY_PARAM* param = SSL_get0_param(handle);
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        const int named = ip_literal ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                                     : X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
        if (named != 1) {
          return fail("tls host name", beast::error_code(static_cast<int>(::ERR_get_error()),
                                                         asio::error::get_ssl_category()));
        }
        tls.set_verify_mode(ssl::verify_peer);
      } else {
        tls.set_verify_mode(ssl::verify_none);
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
        if (ec && !closed_) return tls_failure(ec);
      }
      return fail("tls handshake", ec);
    }
    beast::get_lowest_layer(ws_).expires_never();  // the websocket timeouts take over
    websocket::stream_base::timeout opt{};
    opt.handshake_timeout = to_duration(owner_.config.connect_timeout);
    // Idle: Impl::on_tick (pings after idle_timeout/2 of silence, drops after idle_timeout).
    opt.idle_timeout = websocket::stream_base::none();
    opt.keep_alive_pings = false;
    ws_.set_option(opt);
    ws_.set_option(websocket::stream_base::decorator(
        [ua = owner_.config.user_agent](websocket::request_type& req) {
          req.set(beast::http::field::user_agent, ua);
        }));
    ws_.read_message_max(owner_.config.max_message_bytes);
    ws_.auto_fragment(false);
    // Pings are answered by Beast itself; the callback counts them and keeps the line alive.
    ws_.control_callback([&owner = owner_](websocket::frame_type kind, beast::string_view) {
      owner.last_byte = monotonic_now();
      if (kind == websocket::frame_type::ping) bump(owner.stats.pings);
      if (kind == websocket::frame_type::pong) bump(owner.stats.pongs);
    });
    ws_.async_handshake(
        owner_.url.host_header(), owner_.url.target,
        arena([self = this->shared_from_this()](beast::error_code e) { self->on_handshake(e); }));
  }

  // "certificate verify failed" alone does not say what to fix: add the verify result
  // ("self-signed certificate", "hostname mismatch", "certificate has expired") and the peer.
  void tls_failure(const beast::error_code& ec) {
    std::string reason = "tls handshake: " + ec.message();
    const long verify = SSL_get_verify_result(ws_.next_layer().native_handle());
    if (verify != X509_V_OK) {
      reason = "tls handshake: certificate verify failed: ";
      reason += X509_verify_cert_error_string(verify);
      reason += " (peer " + owner_.url.host + ":" + std::to_string(owner_.url.port) +
                "; trust it with ca_file/ca_pem or fix the server's certificate)";
    }
    owner_.on_failed(this, reason);
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
    const Nanos rx = owner_.clock->now();
    if (ec || closed_) return fail("read", ec);
    const auto data = buffer_.cdata();
    // The whole buffer is consumed after every frame, which puts the next frame at the start
    // of the allocation (flat_buffer::consume resets to it): everything up to capacity() is
    // readable from data.data().
    owner_.on_frame(this, {static_cast<const char*>(data.data()), data.size()}, buffer_.capacity(),
                    ws_.got_binary(), rx);
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

  WsClient::Impl& owner_;
  tcp::resolver resolver_;
  Ws ws_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  bool writing_ = false;
  bool closed_ = false;
};

}  // namespace

void WsClient::Impl::connect() {
  if (url.tls) {
    conn = std::make_shared<Conn<TlsWs>>(*this);
  } else {
    conn = std::make_shared<Conn<PlainWs>>(*this);
  }
  conn->start();
}

WsClient::WsClient(WsClientConfig config, WsClientHandlers handlers, const IngressClock* clock)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(handlers), clock)) {}

WsClient::~WsClient() {
  stop();
}

bool WsClient::start(std::string* error) {
  Impl& s = *impl_;
  if (s.started.exchange(true)) return true;
  auto fail = [&](std::string why) {
    if (error) *error = std::move(why);
    s.started.store(false);
    return false;
  };
  if (!s.handlers.on_frame) return fail("on_frame handler is required");
  auto url = parse_ws_url(s.config.url);
  if (!url) return fail(url.error());
  s.url = std::move(*url);
  if (s.url.tls) {
    beast::error_code ec;
    s.ssl_ctx.set_default_verify_paths(ec);
    if (!s.config.ca_file.empty()) {
      s.ssl_ctx.load_verify_file(s.config.ca_file, ec);
      if (ec) return fail("cannot load CA file '" + s.config.ca_file + "': " + ec.message());
    }
    if (!s.config.ca_pem.empty()) {
      s.ssl_ctx.add_certificate_authority(asio::buffer(s.config.ca_pem), ec);
      if (ec) return fail("cannot load ca_pem: " + ec.message());
    }
  }
  s.work.emplace(s.ioc.get_executor());
  asio::post(s.ioc, [&s] {
    s.arm_tick();
    s.connect();
  });
  s.thread = std::thread([&s] { s.ioc.run(); });
  return true;
}

void WsClient::stop() {
  Impl& s = *impl_;
  if (!s.thread.joinable()) return;
  asio::post(s.ioc, [&s] {
    s.stopping = true;
    s.reconnect_timer.cancel();
    s.tick_timer.cancel();
    if (s.conn) {
      const bool was_open = s.conn->open;
      s.conn->close();
      s.conn.reset();
      s.is_connected.store(false);
      if (was_open) {
        bump(s.stats.disconnects);
        s.emit(ConnectivityState::kDisconnected);
      }
    }
    s.work.reset();
  });
  s.thread.join();
}

std::uint64_t WsClient::subscribe(std::string_view symbol, std::string_view channel) {
  Impl& s = *impl_;
  std::string name = stream_name(symbol, channel);
  {
    std::lock_guard lock(s.mu);
    if (s.wanted[name]++ > 0) return 0;
    s.wanted_count.store(s.wanted.size(), std::memory_order_relaxed);
  }
  const std::uint64_t id = s.next_id.fetch_add(1);
  asio::post(s.ioc, [&s, id, name = std::move(name)]() mutable {
    s.send_request(id, "SUBSCRIBE", {std::move(name)}, false);
  });
  return id;
}

std::uint64_t WsClient::unsubscribe(std::string_view symbol, std::string_view channel) {
  Impl& s = *impl_;
  std::string name = stream_name(symbol, channel);
  {
    std::lock_guard lock(s.mu);
    const auto it = s.wanted.find(name);
    if (it == s.wanted.end()) return 0;
    if (--it->second > 0) return 0;
    s.wanted.erase(it);
    s.wanted_count.store(s.wanted.size(), std::memory_order_relaxed);
  }
  const std::uint64_t id = s.next_id.fetch_add(1);
  asio::post(s.ioc, [&s, id, name = std::move(name)]() mutable {
    s.send_request(id, "UNSUBSCRIBE", {std::move(name)}, false);
  });
  return id;
}

std::uint64_t WsClient::list_subscriptions() {
  Impl& s = *impl_;
  if (!s.is_connected.load(std::memory_order_acquire)) return 0;
  const std::uint64_t id = s.next_id.fetch_add(1);
  asio::post(s.ioc, [&s, id] { s.send_request(id, "LIST_SUBSCRIPTIONS", {}, false); });
  return id;
}

bool WsClient::send_raw(std::string text) {
  Impl& s = *impl_;
  if (!s.is_connected.load(std::memory_order_acquire)) return false;
  asio::post(s.ioc, [&s, text = std::move(text)]() mutable {
    if (s.conn && s.conn->open) s.conn->send(std::move(text));
  });
  return true;
}

std::vector<std::string> WsClient::subscriptions() const {
  std::lock_guard lock(impl_->mu);
  std::vector<std::string> out;
  for (const auto& [name, refs] : impl_->wanted)
    out.push_back(name);
  return out;
}

bool WsClient::connected() const noexcept {
  return impl_->is_connected.load(std::memory_order_acquire);
}

ClientStats WsClient::stats() const {
  const AtomicStats& a = impl_->stats;
  auto get = [](const std::atomic<std::uint64_t>& v) { return v.load(std::memory_order_relaxed); };
  ClientStats s;
  s.frames = get(a.frames);
  s.bytes = get(a.bytes);
  s.unrecognised_frames = get(a.unrecognised);
  s.replies = get(a.replies);
  s.request_errors = get(a.request_errors);
  s.connects = get(a.connects);
  s.connect_failures = get(a.connect_failures);
  s.disconnects = get(a.disconnects);
  s.stale_events = get(a.stale_events);
  s.pings_received = get(a.pings);
  s.pongs_received = get(a.pongs);
  return s;
}

}  // namespace be::net
