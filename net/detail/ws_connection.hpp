// One WebSocket connection attempt and, if it opens, its life (Beast; .cpp files of net/
// only): resolve, TCP, TLS (net/detail/tls_client.hpp), the WebSocket handshake, then reads
// into a reused buffer with every operation in the owner's HandlerArena, so a warm frame
// costs no allocation, and a queue of text writes.
//
// The owner keeps a shared_ptr to its current connection; every pending operation keeps its
// own, so a connection that is replaced stays alive until its aborted operations complete.
// Callbacks name the connection so the owner can ignore one it has already replaced.
//
// Thread-safety: everything on the owner's io_context thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "net/detail/asio.hpp"
#include "net/detail/handler_arena.hpp"
#include "net/url.hpp"

namespace be::net::detail {

class WsConnection;

// What a connection reports, on the I/O thread.
class WsConnectionOwner {
 public:
  virtual void on_open(WsConnection* c) = 0;
  // Any failure, including the peer closing: `reason` says where ("connect: ...").
  virtual void on_failed(WsConnection* c, const std::string& reason) = 0;
  // The per-frame path. `readable`: bytes readable from payload.data() (the buffer's
  // capacity); `receive_time`: the clock's reading when the read completed.
  virtual void on_message(WsConnection* c, std::string_view payload, std::size_t readable,
                          bool binary, Nanos receive_time) = 0;
  // A ping or pong arrived (Beast answers pings itself).
  virtual void on_control(bool ping) = 0;

  virtual ~WsConnectionOwner() = default;
};

// Borrowed by every connection of one owner; must outlive them (and the io_context's
// destruction of their pending operations).
struct WsConnectionSettings {
  asio::io_context* ioc = nullptr;
  ssl::context* tls_context = nullptr;  // wss only
  HandlerArena* arena = nullptr;
  const IngressClock* clock = nullptr;
  Url url;             // host, port and TLS from here; the target from `target`
  std::string target;  // path and query to open
  bool verify_peer = true;
  Nanos connect_timeout = 10'000'000'000;
  std::uint64_t max_message_bytes = 4u << 20;
  std::string user_agent = "botengine";
};

class WsConnection {
 public:
  virtual ~WsConnection() = default;
  virtual void start() = 0;
  virtual void send(std::string message) = 0;
  virtual void close() = 0;
  virtual void ping() = 0;
  bool open = false;
  bool ping_outstanding = false;
};

// A ws:// or wss:// connection (by settings.url.tls), not yet started.
std::shared_ptr<WsConnection> make_ws_connection(const WsConnectionSettings& settings,
                                                 WsConnectionOwner& owner);

}  // namespace be::net::detail
