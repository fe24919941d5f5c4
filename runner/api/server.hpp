// The control API server: HTTP/1.1 with keep-alive and the WebSocket event stream on one
// port, on its own I/O threads, never on the pipeline's (docs/ARCHITECTURE.md §2). Requests are
// handled by Router (router.hpp); this file adds the transport and its limits.
//
//   accept ──> HttpSession ──(parse, limits)──> Router::handle ──> response, keep-alive
//                   └── Upgrade: websocket, GET /api/v1/stream ──> StreamSession
//   StreamSession: every ws_poll_interval, ControlPlane::stream_since(journal seq) -> filter
//   by owner -> bounded send queue -> socket. `?since=<seq>` resumes exactly; a since the
//   engine no longer holds gets a resync message, one beyond the head a 400 at the upgrade; a
//   client whose queue is full is dropped (close 1008); nothing ever waits for a client.
//
// Limits: request body (413), header block (431), requests breaking RFC 9112/6455 (400, 426,
// 505; the scaffold's net/server/http_rules.hpp; connection closed), per-user rate (429 +
// Retry-After), open connections (503 + Retry-After at accept), idle timeout (closed). The
// last reserved_connections of max_connections serve only GET /api/v1/health and GET /metrics
// (one request, then closed) and admins' requests (keep-alive), so that idle or hostile
// clients cannot lock out probes and operators; anything else there is 503 + Retry-After.
// All are counted in ApiStats, which GET /metrics appends to the engine's metrics.
//
// Thread-safety: start() and stop() from one owning thread; stats() and port() from any.
// Lifetime: the ControlPlane must outlive the server (stop() or the destructor ends every
// use of it). Handlers that call the engine may block for the engine's bounded command wait,
// so io_threads > 1 keeps one slow command from stalling the other clients.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "core/expected.hpp"
#include "engine/control.hpp"
#include "net/server/tls_identity.hpp"
#include "runner/api/auth.hpp"
#include "runner/api/router.hpp"

namespace be::api {

struct ApiOptions {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: an ephemeral port, see start()'s result
  int io_threads = 2;
  std::size_t max_body_bytes = 64u << 10;
  std::size_t max_header_bytes = 8u << 10;
  std::size_t max_connections = 64;      // HTTP and WebSocket together
  std::size_t reserved_connections = 8;  // of max_connections: probes and admins only
  std::chrono::milliseconds idle_timeout{30'000};
  std::chrono::milliseconds reserve_idle_timeout{5'000};  // for each request on the reserve
  double rate_per_second = 20.0;                          // per user, token bucket
  double rate_burst = 40.0;
  std::filesystem::path reports_dir;           // usually <data dir>/reports
  StaticAssetFn static_assets;                 // GET / and assets (no auth); empty: none
  LogFn log;                                   // rate-limited lines; empty: stderr
  double audit_log_lines_per_second = 1000.0;  // authenticated commands (router.hpp, Logging)
  double noise_log_lines_per_second = 20.0;    // malformed, unauthenticated, drops
  // Stream: messages queued per client before it counts as too slow, and the poll period.
  std::size_t ws_queue_messages = 4096;
  std::chrono::milliseconds ws_poll_interval{20};
  int ws_send_buffer_bytes = 0;  // SO_SNDBUF for stream sockets; 0: the OS default
  // HTTPS and wss: the certificate chain and key (docs/CONFIG.md, api.tls); none: plain HTTP.
  std::optional<net::server::TlsIdentity> tls;
  // Key uploads (RouterOptions::store_key); empty: POST /api/v1/accounts/{id}/keys refused.
  decltype(RouterOptions::store_key) store_key;
  decltype(RouterOptions::find_key) find_key;  // attaching a stored entry by name
  BacktestQueue* backtests = nullptr;          // RouterOptions::backtests
};

class ApiServer {
 public:
  // `tokens` is copied; `engine` is borrowed (see Lifetime above).
  ApiServer(engine::ControlPlane& engine, TokenStore tokens, ApiOptions options);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds and starts the I/O threads. Returns the bound port (the real one when options.port
  // is 0). Errors: the address does not parse, the port is taken, or start() ran already.
  Expected<std::uint16_t, std::string> start();
  // Stops accepting, answers nothing more, sends stream clients a 1001 close, waits up to
  // `grace` for connections to end, then closes what is left and joins the threads.
  // Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));

  std::uint16_t port() const noexcept;
  const ApiStats& stats() const noexcept;

  // Opaque; public only so that server.cpp's session types can name it.
  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace be::api
