// The one server scaffold: every HTTP/WebSocket server in the project (the exchange simulator,
// the Binance mock, the control API) is a Handler on a Server.
//
//   acceptor (loopback or a configured address) ──> [TLS handshake] ──> HttpSession
//       HttpSession: read with limits (body, header, idle) ──> Handler::handle ──> answer,
//                    keep-alive or close; limits broken ──> Handler::refuse (the handler words
//                    the answer, or the connection just closes)
//       Upgrade: websocket ──> Handler::upgrade ──> a WebSocket driving the handler's WsHandler
//
// The server owns the sockets, the strands and the I/O threads; the handler owns the meaning.
// Beast and Asio stay in server.cpp: nothing here names them.
//
// Threading: each connection runs on its own strand over `io_threads` threads, so a handler's
// callbacks for one connection never overlap; callbacks of different connections may (with
// io_threads = 1 nothing overlaps at all, and post()/Timer run on that same thread).
// WebSocket's send/ping/close/close_abrupt may be called from any thread.
// Lifetime: the Handler must outlive the Server; stop() (or the destructor) ends every use.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/expected.hpp"
#include "core/names.hpp"
#include "core/thread_placement.hpp"
#include "net/server/tls_identity.hpp"

namespace be::net::server {

struct ServerOptions {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: an ephemeral port, see start()'s result
  int io_threads = 1;
  std::size_t max_connections = 0;  // HTTP and WebSocket together; 0: no limit
  std::size_t max_body_bytes = 64u << 10;
  std::size_t max_header_bytes = 8u << 10;
  std::chrono::milliseconds idle_timeout{30'000};  // a request not read in this time: closed
  bool keep_alive = true;                          // false: one request per connection
  std::string server_header = "botengine";         // `Server:` on answers and handshakes
  std::optional<TlsIdentity> tls;                  // set: every connection is TLS first
  std::chrono::milliseconds tls_handshake_timeout{10'000};
  // The last `reserved_connections` of max_connections: a connection accepted while fewer
  // than that are free is served only for requests Handler::reserve_use admits (probes,
  // admins), waits at most reserve_idle_timeout for each request, and never upgrades.
  // Must be below max_connections; 0: no reserve.
  std::size_t reserved_connections = 0;
  std::chrono::milliseconds reserve_idle_timeout{5'000};
  // Where the I/O threads run and what they are called (core/thread_placement.hpp); an empty
  // name: the role's ("be-api").
  ThreadRole thread_role = ThreadRole::kOthers;
  std::string thread_name = "be-server";
};

struct Header {
  std::string name;
  std::string value;
};

// Views into the connection's buffers: valid during the handler call only.
struct Request {
  std::string_view method;  // "GET"
  std::string_view target;  // path and query
  std::string_view body;
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  bool keep_alive = true;

  std::string_view path() const { return target.substr(0, target.find('?')); }
  std::string_view query() const {
    const auto q = target.find('?');
    return q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
  }
  // The first header of that name (case-insensitive), "" when absent.
  std::string_view header(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<Header> headers;  // besides Server, Content-Type and Content-Length
  bool close = false;           // close the connection after this answer
  // Fault injection (the Binance mock): hold the answer this long, then send it, or with
  // `drop` close the connection without answering. A stop() cuts the wait short.
  std::chrono::milliseconds delay{0};
  bool drop = false;
};

// What the server refuses by itself; Handler::refuse words the answer.
enum class Refusal : std::uint8_t {
  kTooManyConnections,  // over max_connections, at accept
  kReservedOnly,        // a request the reserve does not admit (Handler::reserve_use)
  kBodyTooLarge,        // over max_body_bytes
  kHeaderTooLarge,      // over max_header_bytes
  kMalformed,           // breaks RFC 9112 or RFC 6455 §4.2.1 (Refused::violation says which)
};

// Which rule a kMalformed request broke (http_rules.hpp lists what each one covers).
enum class Violation : std::uint8_t {
  kSyntax,            // the parser could not read it (request line, fields, chunk framing)
  kVersion,           // not HTTP/1.0 or HTTP/1.1 (505 for another major version)
  kTarget,            // a byte outside RFC 3986 in the request target
  kHeaderField,       // a field name that is not a token, a control in a value
  kHost,              // HTTP/1.1 without Host, or two Host fields
  kContentLength,     // two Content-Length fields, or one that is not a single number
  kTransferEncoding,  // anything but exactly `chunked`, or beside Content-Length
  kWebSocketKey,      // Sec-WebSocket-Key absent, repeated, or not base64 of 16 bytes
  kWebSocketVersion,  // Sec-WebSocket-Version not 13 (426)
  kCount
};
inline constexpr std::array<Named<Violation>, 9> kViolationNames{{
    {Violation::kSyntax, "syntax"},
    {Violation::kVersion, "version"},
    {Violation::kTarget, "target"},
    {Violation::kHeaderField, "header_field"},
    {Violation::kHost, "host"},
    {Violation::kContentLength, "content_length"},
    {Violation::kTransferEncoding, "transfer_encoding"},
    {Violation::kWebSocketKey, "websocket_key"},
    {Violation::kWebSocketVersion, "websocket_version"},
}};
static_assert(names_every_code(kViolationNames, static_cast<std::size_t>(Violation::kCount)));

// A refusal as Handler::refuse sees it. The scaffold adds the headers the RFC requires (426:
// Sec-WebSocket-Version: 13) to whatever answer the handler words, and then closes.
struct Refused {
  Refusal why;
  int status;               // what the RFCs ask for: 503, 413, 431, 400, 426 or 505
  std::string_view detail;  // for people: which limit or rule
  Violation violation = Violation::kSyntax;  // kMalformed only
};

// What a request on a reserve connection may do (ServerOptions::reserved_connections).
enum class ReserveUse : std::uint8_t {
  kRefuse,  // answered as Refusal::kReservedOnly, connection closed
  kOnce,    // served, then the connection closes (a probe)
  kKeep,    // served with keep-alive (an authenticated admin)
};

// Things a handler may count.
enum class Event : std::uint8_t {
  kAccepted,            // a TCP connection was accepted (before any limit)
  kAcceptFailed,        // detail: why (the server keeps accepting)
  kOpened,              // a connection starts counting as open (HTTP or WebSocket)
  kClosed,              // ... and stops (it may be the thread that destroys the Server)
  kIdleTimeout,         // an HTTP connection idle past idle_timeout was closed
  kTlsHandshake,        // detail: the SNI name the client sent ("" = none)
  kTlsHandshakeFailed,  // detail: why
};

class WebSocket;

// One WebSocket connection's behaviour. Every callback runs on the connection's strand.
class WsHandler {
 public:
  virtual ~WsHandler() = default;
  // Before the handshake is answered: a registry that must not miss a frame sent right after
  // the client sees the handshake registers here (frames sent now wait for the handshake).
  virtual void on_start(const std::shared_ptr<WebSocket>& /*ws*/) {}
  // The handshake is done.
  virtual void on_open(const std::shared_ptr<WebSocket>& /*ws*/) {}
  virtual void on_message(WebSocket& /*ws*/, std::string_view /*text*/) {}
  virtual void on_control(WebSocket& /*ws*/, bool /*ping*/) {}  // a ping or pong arrived
  virtual void on_sent(WebSocket& /*ws*/) {}                    // one queued frame was written
  virtual void on_tick(WebSocket& /*ws*/) {}                    // see WebSocket::start_ticker
  // Once, when the connection is over (handshake failed, read or write failed, closed).
  virtual void on_closed(WebSocket& /*ws*/) {}
};

struct WsOptions {
  // Beast's suggested server settings, unless the handler says otherwise.
  std::chrono::milliseconds handshake_timeout{30'000};
  std::chrono::milliseconds idle_timeout{300'000};  // 0: none
  bool keep_alive_pings = false;  // a ping at half the idle time: quiet is not dead
  std::size_t read_message_max = 4096;
  int send_buffer_bytes = 0;  // SO_SNDBUF; 0: the OS default
};

// The handler's answer to an upgrade request: a refusal (answered, connection closed) or the
// WsHandler that will drive the connection.
struct Upgrade {
  std::optional<Response> refusal;
  std::shared_ptr<WsHandler> handler;
  WsOptions options;
};

class WebSocket {
 public:
  virtual ~WebSocket() = default;
  // Queues a text frame (written in order, one at a time).
  virtual void send(std::shared_ptr<const std::string> text) = 0;
  void send(std::string text) { send(std::make_shared<const std::string>(std::move(text))); }
  virtual void ping() = 0;  // queued like a frame
  // The close handshake with this code, after the frame being written; queued frames behind
  // it are dropped.
  virtual void close(std::uint16_t code, std::string reason) = 0;
  // Cuts the connection without a close frame (a client that does not read, a venue drop).
  virtual void close_abrupt() = 0;
  // Calls WsHandler::on_tick every `interval` from now until the connection closes.
  virtual void start_ticker(std::chrono::nanoseconds interval) = 0;
  virtual std::size_t queued() const noexcept = 0;  // frames not yet written
  virtual WsHandler& handler() noexcept = 0;
};

class Handler {
 public:
  virtual ~Handler() = default;
  virtual Response handle(const Request& request) = 0;
  // nullopt: close without an answer. Default: the refusal's status and detail as
  // text/plain (503s with `Retry-After: 1`), so every server on the scaffold refuses alike.
  virtual std::optional<Response> refuse(const Refused& refused);
  // A request read on a reserve connection, before handle(). Default: refused.
  virtual ReserveUse reserve_use(const Request& /*request*/) { return ReserveUse::kRefuse; }
  // Default: 404, no WebSocket here.
  virtual Upgrade upgrade(const Request& request);
  virtual void on_event(Event /*event*/, std::string_view /*detail*/) {}
};

class Server {
 public:
  Server(ServerOptions options, Handler& handler);
  ~Server();  // stop(0)
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the I/O threads; returns the bound port. Errors: a bad address,
  // an unusable TLS identity, a port in use, start() called twice.
  Expected<std::uint16_t, std::string> start();
  // Stops accepting; idle HTTP connections close, busy ones after their answer, WebSockets
  // get a 1001 close; waits up to `grace` for all to end, then abandons the rest and joins the
  // threads. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));

  std::uint16_t port() const noexcept;
  std::size_t open_connections() const noexcept;
  // Runs `fn` on an I/O thread (with io_threads = 1: serialised with every callback).
  void post(std::function<void()> fn);

  struct Impl;  // opaque: server.cpp

 private:
  friend class Timer;
  std::unique_ptr<Impl> impl_;
};

// A one-shot timer on a Server's I/O threads (re-armable): `fn(true)` at the deadline, or
// `fn(false)` when cancelled or re-armed first. Destroy it before its Server.
class Timer {
 public:
  explicit Timer(Server& server);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  void at(std::chrono::steady_clock::time_point when, std::function<void(bool fired)> fn);
  void cancel();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// True when `address` parses and is a loopback address (127.0.0.0/8, ::1).
bool is_loopback_address(std::string_view address);

}  // namespace be::net::server
