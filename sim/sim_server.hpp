// The exchange simulator: a real WebSocket server on loopback that speaks Binance spot's
// market-stream protocol, fed by a MarketSource (market.hpp), with fault injection.
//
// One port serves everything (Boost.Beast over one io_context on one thread):
//   GET  /ws/<stream>[/<stream>...]   raw streams (payloads as sent by Binance's /ws)
//   GET  /ws                          raw, subscriptions made live with SUBSCRIBE
//   GET  /stream?streams=a/b          combined: {"stream":"a","data":{...}}
//   GET  /stream                      combined, live subscriptions
//   POST /sim/fault                   inject a fault (control.hpp's JSON)
//   GET  /sim/stats                   counters as JSON
// With a TLS identity configured every connection on the port is TLS first (wss://, https://;
// the certificate is served whatever SNI name the client sends, and the name is recorded).
// Anything else gets an HTTP error with a JSON body; a bad request on a WebSocket gets a
// Binance-style error reply ({"code":..,"msg":..,"id":..}) and the connection stays up.
// The server pings every client every `ping_interval` and counts the pongs.
//
// Pacing: messages leave at origin + (event_time - first_event_time) / speed on the steady
// clock; speed 0 means as fast as the slowest client reads (back-pressure instead of drops).
// With pace_on_wall_clock a message leaves when the wall clock reaches its event time: a
// source whose event times are a send schedule (the latency harness, bench/harness/
// sim_feed.hpp) has every message leave at its intended time, never drifting.
// At finite speed a client whose send queue exceeds max_queue messages is disconnected, as
// Binance does with slow consumers.
//
// Thread-safety: every public member may be called from any thread. start() once; stop()
// (or the destructor) joins the server thread. The source is only touched by that thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "core/ids.hpp"
#include "sim/control.hpp"
#include "sim/market.hpp"
#include "sim/tls_identity.hpp"

namespace be::net::server {
class Handler;
}

namespace be::sim {

// An exchange served on the simulator's port beside the market streams (sim/binance's
// MockVenue: Binance's REST API and user-data stream), and fed the market the simulator
// delivers so its resting orders meet the simulated trades. Called on the server's thread;
// the venue does its own locking.
class SimVenue {
 public:
  virtual ~SimVenue() = default;
  // HTTP requests (by path) and WebSocket upgrades (by target) the venue answers; the
  // simulator's own routes (/sim/*, /api/v3/depth, market streams) win over the venue's.
  virtual bool serves_path(std::string_view path) const = 0;
  virtual bool serves_upgrade(std::string_view target) const = 0;
  virtual net::server::Handler& handler() = 0;
  // A trade as delivered (`symbol` upper case, price and quantity at scale 8).
  virtual void on_trade(std::string_view symbol, std::int64_t price, std::int64_t qty) = 0;
  // The best bid and ask as delivered (bookTicker).
  virtual void on_quote(std::string_view symbol, std::int64_t bid, std::int64_t ask) = 0;
};

struct SimConfig {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 9443;  // Binance's stream port; 0 = ephemeral (read port() back)
  bool allow_remote = false;  // refuse a non-loopback bind address unless set
  double speed = 1.0;         // 1 = real time, N = N times faster, 0 = as fast as possible
  Nanos ping_interval = 20'000'000'000;  // Binance pings every 20 s
  // Start the market clock at the first subscription (tests: a deterministic first message).
  bool hold_until_subscribed = false;
  std::size_t max_queue = 65'536;  // per-client messages in flight (finite speed)
  std::size_t max_connections = 256;
  std::size_t max_streams_per_connection = 1024;  // Binance's limit
  // TLS: serve wss:// with this identity (tls_identity.hpp makes one in memory), or with the
  // PEM files named below (both or neither; read at start(), errors name the file).
  std::optional<TlsIdentity> tls;
  std::string tls_certificate_file;
  std::string tls_private_key_file;
  // Not owned; must outlive the server. nullptr: market data only.
  SimVenue* venue = nullptr;
  // Due at event_time on the wall clock (speed then only decides slow-client drops): the
  // server thread sleeps on one absolute timer until the next message is due, and a late
  // wake-up sends every message due by then at once (each still measured from its own
  // event time by whoever stamped it), so lateness never accumulates.
  bool pace_on_wall_clock = false;
  // Called on the server thread after a message was written to the sockets of its
  // subscribers (`receivers` of them; the writes were started, the kernel has the bytes of
  // every one that did not find its socket full), with the wall clock read just before the
  // first write (a client may read the bytes before the writing thread gets further): the
  // harness measures the sender's own lag with it. Must not block.
  std::function<void(const MarketMessage&, std::size_t receivers, Nanos wall_writing)> on_broadcast;
};

struct SimStats {
  std::uint64_t connections = 0;  // WebSocket sessions accepted
  std::uint64_t open_sessions = 0;
  std::uint64_t http_requests = 0;      // plain HTTP (control endpoints and refusals)
  std::uint64_t rejected_requests = 0;  // HTTP errors and WebSocket error replies
  std::uint64_t control_requests = 0;   // SUBSCRIBE/UNSUBSCRIBE/LIST received
  std::uint64_t subscriptions = 0;      // streams subscribed across open sessions
  std::uint64_t market_messages = 0;    // taken from the source
  std::uint64_t frames_sent = 0;        // data frames written to clients
  std::uint64_t pings_sent = 0;
  std::uint64_t pongs_received = 0;
  std::uint64_t pings_received = 0;  // client keep-alive pings (answered by the server)
  std::uint64_t faults = 0;
  std::uint64_t slow_clients_dropped = 0;
  std::uint64_t depth_updates_withheld = 0;
  std::uint64_t tls_handshakes = 0;          // completed server-side TLS handshakes
  std::uint64_t tls_handshake_failures = 0;  // e.g. a client that refused our certificate
  std::string last_server_name;              // SNI of the latest TLS handshake ("" = none)
  bool source_exhausted = false;
};

class SimServer {
 public:
  SimServer(SimConfig config, std::unique_ptr<MarketSource> source);
  ~SimServer();
  SimServer(const SimServer&) = delete;
  SimServer& operator=(const SimServer&) = delete;

  // Binds, listens and starts the server thread; returns the bound port. Errors: a
  // non-loopback address without allow_remote, a bad address, a port in use, an unreadable
  // or mismatched TLS certificate/key.
  Expected<std::uint16_t, std::string> start();
  void stop();

  void inject(const Fault& fault);
  SimStats stats() const;
  // Blocks until pred(stats) holds (true) or the timeout passes (false). For tests and tools.
  bool wait_for(const std::function<bool(const SimStats&)>& pred, Nanos timeout) const;
  std::uint16_t port() const noexcept;

  struct Impl;  // opaque: defined in sim_server.cpp, the one TU that includes Beast

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace be::sim
