// Internal to net/server (included only by server.cpp and its ws_session.hpp): the server's
// state shared by the HTTP and WebSocket sessions, and the Asio aliases they use.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "net/detail/asio.hpp"
#include "net/server/server.hpp"

namespace be::net::server {

// asio, beast, http, websocket, ssl, tcp: the one set of aliases of net/.
using namespace be::net::detail;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

inline std::string_view sv(beast::string_view s) {
  return {s.data(), s.size()};
}

// Something stop() can close: an HTTP session or a WebSocket.
struct Closable {
  virtual ~Closable() = default;
  virtual void shutdown() = 0;  // posts to the connection's executor
};

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

inline Request view_of(const http::request<http::string_body>& req) {
  Request request{sv(req.method_string()), sv(req.target()), req.body(), {}, req.keep_alive()};
  for (const auto& field : req)
    request.headers.emplace_back(sv(field.name_string()), sv(field.value()));
  return request;
}

}  // namespace be::net::server
