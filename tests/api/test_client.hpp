// A blocking HTTP/WebSocket client for the API tests. Every operation is asynchronous under
// the hood and bounded by a deadline (io_context::run_for), so a server bug shows up as a
// failed operation, never as a hung test. Not thread-safe: one client per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#pragma GCC diagnostic pop

namespace be::api::test {

struct Reply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  bool keep_alive = false;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class TestClient {
 public:
  static constexpr std::chrono::seconds kDeadline{10};

  // receive_buffer > 0 shrinks SO_RCVBUF before connecting (a slow reader fills up sooner).
  bool connect(std::uint16_t port, int receive_buffer = 0);
  std::optional<Reply> request(std::string_view method, std::string_view target,
                               std::string_view token = {}, std::string_view body = {},
                               bool keep_alive = true);
  bool send_raw(std::string_view bytes);
  std::optional<Reply> read_reply();
  // True when the server closed the connection (a read ends with EOF or a reset).
  bool closed_by_server();

  // WebSocket: upgrade this connection on `target` (e.g. "/api/v1/stream?token=x").
  bool ws_handshake(std::string_view target, std::string_view bearer = {});
  // The next text message, or nullopt (closed, error, deadline); close_code then holds the
  // close frame's code when there was one.
  std::optional<std::string> ws_read();
  std::uint16_t ws_close_code() const { return close_code_; }

 private:
  template <class Start>
  boost::beast::error_code run(Start start);

  boost::asio::io_context ioc_;
  boost::beast::tcp_stream stream_{ioc_};
  std::optional<boost::beast::websocket::stream<boost::beast::tcp_stream&>> ws_;
  boost::beast::flat_buffer buffer_;
  std::uint16_t close_code_ = 0;
};

}  // namespace be::api::test
