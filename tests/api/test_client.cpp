#include "tests/api/test_client.hpp"

namespace be::api::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

template <class Start>
beast::error_code TestClient::run(Start start) {
  beast::error_code result = asio::error::timed_out;
  bool done = false;
  start([&](beast::error_code ec, auto&&...) {
    result = ec;
    done = true;
  });
  ioc_.restart();
  ioc_.run_for(kDeadline);
  if (!done) {
    beast::error_code ignored;
    stream_.socket().cancel(ignored);
    ioc_.restart();
    ioc_.run_for(std::chrono::seconds(1));
  }
  return result;
}

bool TestClient::connect(std::uint16_t port, int receive_buffer) {
  beast::error_code ec;
  stream_.socket().open(tcp::v4(), ec);
  if (ec) return false;
  if (receive_buffer > 0)
    stream_.socket().set_option(asio::socket_base::receive_buffer_size(receive_buffer), ec);
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
  return !run([&](auto handler) { stream_.socket().async_connect(endpoint, handler); });
}

std::optional<Reply> TestClient::request(std::string_view method, std::string_view target,
                                         std::string_view token, std::string_view body,
                                         bool keep_alive) {
  http::request<http::string_body> req;
  req.method_string(beast::string_view(method.data(), method.size()));
  req.target(beast::string_view(target.data(), target.size()));
  req.version(11);
  req.set(http::field::host, "127.0.0.1");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + std::string(token));
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  req.body() = std::string(body);
  req.keep_alive(keep_alive);
  req.prepare_payload();
  if (run([&](auto handler) { http::async_write(stream_, req, handler); })) return std::nullopt;
  return read_reply();
}

bool TestClient::send_raw(std::string_view bytes) {
  return !run([&](auto handler) { asio::async_write(stream_, asio::buffer(bytes), handler); });
}

std::optional<Reply> TestClient::read_reply() {
  http::response_parser<http::string_body> parser;
  parser.body_limit(256u << 20);
  if (run([&](auto handler) { http::async_read(stream_, buffer_, parser, handler); }))
    return std::nullopt;
  auto& res = parser.get();
  Reply r;
  r.status = static_cast<int>(res.result_int());
  r.body = res.body();
  r.keep_alive = res.keep_alive();
  for (const auto& f : res) {
    std::string name(f.name_string());
    for (char& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers[name] = std::string(f.value());
  }
  return r;
}

bool TestClient::closed_by_server() {
  char byte = 0;
  const auto ec =
      run([&](auto handler) { stream_.async_read_some(asio::buffer(&byte, 1), handler); });
  return ec == asio::error::eof || ec == asio::error::connection_reset;
}

bool TestClient::ws_handshake(std::string_view target, std::string_view bearer) {
  ws_.emplace(stream_);
  if (!bearer.empty()) {
    ws_->set_option(websocket::stream_base::decorator(
        [token = std::string(bearer)](websocket::request_type& r) {
          r.set(http::field::authorization, "Bearer " + token);
        }));
  }
  websocket::response_type response;
  return !run([&](auto handler) {
    ws_->async_handshake(response, "127.0.0.1", beast::string_view(target.data(), target.size()),
                         handler);
  });
}

std::optional<std::string> TestClient::ws_read() {
  beast::flat_buffer in;
  const auto ec = run([&](auto handler) { ws_->async_read(in, handler); });
  if (ec) {
    close_code_ = ws_->reason().code;
    return std::nullopt;
  }
  return beast::buffers_to_string(in.data());
}

}  // namespace be::api::test
