// The only translation unit of be_binance that includes Beast/Asio.
#include "oms/venues/binance/transport.hpp"

#include <charconv>

#include "core/clock.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#pragma GCC diagnostic pop

namespace be::binance {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

std::string Endpoint::host_header() const {
  const bool default_port = (tls && port == 443) || (!tls && port == 80);
  return default_port ? host : host + ":" + std::to_string(port);
}

Expected<Endpoint, std::string> parse_endpoint(std::string_view url) {
  Endpoint ep;
  std::string_view rest;
  if (url.starts_with("https://")) {
    ep.tls = true, rest = url.substr(8);
  } else if (url.starts_with("wss://")) {
    ep.tls = true, rest = url.substr(6);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("ws://")) {
    rest = url.substr(5);
  } else {
    return Unexpected("unsupported URL scheme in '" + std::string(url) +
                      "' (http, https, ws, wss)");
  }
  while (!rest.empty() && rest.back() == '/')
    rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) {
    return Unexpected("URL '" + std::string(url) + "' must not have a path");
  }
  ep.port = ep.tls ? 443 : 80;
  const auto colon = rest.rfind(':');
  if (colon != std::string_view::npos && rest.find(']') == std::string_view::npos) {
    const auto port_text = rest.substr(colon + 1);
    unsigned port = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return Unexpected("bad port '" + std::string(port_text) + "'");
    }
    ep.port = static_cast<std::uint16_t>(port);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return Unexpected("URL '" + std::string(url) + "' has no host");
  ep.host = std::string(rest);
  return ep;
}

namespace {

// Runs handlers until `done` or the context runs out of work.
void run_until(asio::io_context& ioc, const bool& done) {
  ioc.restart();
  while (!done) {
    if (ioc.run_one() == 0) break;
  }
}

std::optional<std::int64_t> header_int(const http::fields& fields, std::string_view name) {
  const auto it = fields.find(beast::string_view(name.data(), name.size()));
  if (it == fields.end()) return std::nullopt;
  const auto v = it->value();
  std::int64_t out = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc{} || end != v.data() + v.size()) return std::nullopt;
  return out;
}

}  // namespace

// ---- HTTP ---------------------------------------------------------------------------------

struct HttpClient::Impl {
  Endpoint ep;
  std::chrono::milliseconds timeout;
  asio::io_context ioc;
  ssl::context tls_ctx{ssl::context::tls_client};
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;

  Impl(Endpoint e, std::chrono::milliseconds t) : ep(std::move(e)), timeout(t) {
    tls_ctx.set_default_verify_paths();
    tls_ctx.set_verify_mode(ssl::verify_peer);
  }

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
  bool connected() const { return plain || tls; }

  void drop() noexcept {
    beast::error_code ignored;
    if (plain) plain->socket().close(ignored);
    if (tls) beast::get_lowest_layer(*tls).socket().close(ignored);
    plain.reset();
    tls.reset();
    buffer.clear();
  }

  std::optional<TransportError> connect() {
    tcp::resolver resolver(ioc);
    bool done = false;
    beast::error_code ec;
    tcp::resolver::results_type results;
    resolver.async_resolve(ep.host, std::to_string(ep.port),
                           [&](beast::error_code e, tcp::resolver::results_type r) {
                             ec = e, results = std::move(r), done = true;
                           });
    run_until(ioc, done);
    if (ec || !done)
      return TransportError{TransportStage::kConnect, false, "resolve: " + ec.message()};
    if (ep.tls) {
      tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc, tls_ctx);
      if (!SSL_set_tlsext_host_name(tls->native_handle(), ep.host.c_str())) {
        drop();
        return TransportError{TransportStage::kConnect, false, "TLS SNI setup failed"};
      }
      tls->set_verify_callback(ssl::host_name_verification(ep.host));
    } else {
      plain = std::make_unique<beast::tcp_stream>(ioc);
    }
    auto& stream = lowest();
    stream.expires_after(timeout);
    done = false;
    stream.async_connect(results,
                         [&](beast::error_code e, const tcp::endpoint&) { ec = e, done = true; });
    run_until(ioc, done);
    if (ec) {
      const bool timed_out = ec == beast::error::timeout;
      drop();
      return TransportError{TransportStage::kConnect, timed_out, "connect: " + ec.message()};
    }
    stream.socket().set_option(tcp::no_delay(true), ec);
    if (tls) {
      done = false;
      stream.expires_after(timeout);
      tls->async_handshake(ssl::stream_base::client,
                           [&](beast::error_code e) { ec = e, done = true; });
      run_until(ioc, done);
      if (ec) {
        const bool timed_out = ec == beast::error::timeout;
        drop();
        return TransportError{TransportStage::kConnect, timed_out,
                              "TLS handshake: " + ec.message()};
      }
    }
    return std::nullopt;
  }

  template <class Stream>
  Expected<HttpResult, TransportError> exchange(Stream& stream,
                                                http::request<http::string_body>& req) {
    beast::error_code ec;
    bool done = false;
    lowest().expires_after(timeout);
    http::async_write(stream, req, [&](beast::error_code e, std::size_t) { ec = e, done = true; });
    run_until(ioc, done);
    if (ec) {
      const bool timed_out = ec == beast::error::timeout;
      drop();
      return Unexpected(
          TransportError{TransportStage::kWrite, timed_out, "write: " + ec.message()});
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(16u << 20);
    done = false;
    lowest().expires_after(timeout);
    http::async_read(stream, buffer, parser,
                     [&](beast::error_code e, std::size_t) { ec = e, done = true; });
    run_until(ioc, done);
    if (ec) {
      const bool timed_out = ec == beast::error::timeout;
      drop();
      return Unexpected(TransportError{TransportStage::kRead, timed_out, "read: " + ec.message()});
    }
    auto res = parser.release();
    HttpResult out;
    out.status = static_cast<int>(res.result_int());
    out.used_weight_1m = header_int(res, "X-MBX-USED-WEIGHT-1M");
    out.order_count_10s = header_int(res, "X-MBX-ORDER-COUNT-10S");
    out.order_count_1d = header_int(res, "X-MBX-ORDER-COUNT-1D");
    out.retry_after_s = header_int(res, "Retry-After");
    out.body = std::move(res.body());
    if (!res.keep_alive()) drop();
    return out;
  }
};

HttpClient::HttpClient(Endpoint endpoint, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(std::move(endpoint), timeout)) {}
HttpClient::~HttpClient() {
  close();
}

void HttpClient::close() noexcept {
  if (impl_) impl_->drop();
}

Expected<HttpResult, TransportError> HttpClient::request(std::string_view method,
                                                         std::string_view target,
                                                         std::string_view api_key,
                                                         std::string_view body) {
  auto& s = *impl_;
  const http::verb verb = http::string_to_verb(beast::string_view(method.data(), method.size()));
  http::request<http::string_body> req{verb, beast::string_view(target.data(), target.size()), 11};
  req.set(http::field::host, s.ep.host_header());
  req.set(http::field::user_agent, "botengine");
  req.keep_alive(true);
  if (!api_key.empty()) req.set("X-MBX-APIKEY", beast::string_view(api_key.data(), api_key.size()));
  if (!body.empty()) {
    req.set(http::field::content_type, "application/x-www-form-urlencoded");
    req.body() = std::string(body);
  }
  req.prepare_payload();
  // A kept-alive connection the venue closed while idle fails on write or with an empty read;
  // one fresh connection is tried, and only when the venue cannot have seen the request.
  const bool reused = s.connected();
  if (!reused) {
    if (auto err = s.connect()) return Unexpected(std::move(*err));
  }
  auto result = s.tls ? s.exchange(*s.tls, req) : s.exchange(*s.plain, req);
  if (!result && reused && result.error().stage == TransportStage::kWrite) {
    if (auto err = s.connect()) return Unexpected(std::move(*err));
    result = s.tls ? s.exchange(*s.tls, req) : s.exchange(*s.plain, req);
  }
  return result;
}

// ---- WebSocket ----------------------------------------------------------------------------

struct WsClient::Impl {
  Endpoint ep;
  std::chrono::milliseconds timeout;
  asio::io_context ioc;
  ssl::context tls_ctx{ssl::context::tls_client};
  std::unique_ptr<websocket::stream<beast::tcp_stream>> plain;
  std::unique_ptr<websocket::stream<beast::ssl_stream<beast::tcp_stream>>> tls;
  beast::flat_buffer buffer;
  bool read_pending = false;
  bool read_done = false;
  beast::error_code read_ec;

  Impl(Endpoint e, std::chrono::milliseconds t) : ep(std::move(e)), timeout(t) {
    tls_ctx.set_default_verify_paths();
    tls_ctx.set_verify_mode(ssl::verify_peer);
  }

  beast::tcp_stream& lowest() {
    return tls ? beast::get_lowest_layer(*tls) : beast::get_lowest_layer(*plain);
  }

  void drop() noexcept {
    beast::error_code ignored;
    if (plain || tls) lowest().socket().close(ignored);
    // Let the aborted read's handler run while its buffers still exist.
    if (read_pending) {
      ioc.restart();
      ioc.poll();
    }
    plain.reset();
    tls.reset();
    buffer.clear();
    read_pending = read_done = false;
  }

  template <class Ws>
  void start_read(Ws& ws) {
    read_pending = true;
    read_done = false;
    ws.async_read(buffer, [this](beast::error_code e, std::size_t) {
      read_ec = e;
      read_done = true;
    });
  }
};

WsClient::WsClient(Endpoint endpoint, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(std::move(endpoint), timeout)) {}
WsClient::~WsClient() {
  close();
}

void WsClient::close() noexcept {
  if (impl_) impl_->drop();
}

Expected<bool, std::string> WsClient::connect(std::string_view target) {
  auto& s = *impl_;
  s.drop();
  tcp::resolver resolver(s.ioc);
  bool done = false;
  beast::error_code ec;
  tcp::resolver::results_type results;
  resolver.async_resolve(s.ep.host, std::to_string(s.ep.port),
                         [&](beast::error_code e, tcp::resolver::results_type r) {
                           ec = e, results = std::move(r), done = true;
                         });
  run_until(s.ioc, done);
  if (ec || !done) return Unexpected("resolve: " + ec.message());
  if (s.ep.tls) {
    s.tls =
        std::make_unique<websocket::stream<beast::ssl_stream<beast::tcp_stream>>>(s.ioc, s.tls_ctx);
    if (!SSL_set_tlsext_host_name(s.tls->next_layer().native_handle(), s.ep.host.c_str())) {
      s.drop();
      return Unexpected(std::string("TLS SNI setup failed"));
    }
    s.tls->next_layer().set_verify_callback(ssl::host_name_verification(s.ep.host));
  } else {
    s.plain = std::make_unique<websocket::stream<beast::tcp_stream>>(s.ioc);
  }
  auto& low = s.lowest();
  low.expires_after(s.timeout);
  done = false;
  low.async_connect(results,
                    [&](beast::error_code e, const tcp::endpoint&) { ec = e, done = true; });
  run_until(s.ioc, done);
  if (ec) {
    s.drop();
    return Unexpected("connect: " + ec.message());
  }
  if (s.tls) {
    done = false;
    low.expires_after(s.timeout);
    s.tls->next_layer().async_handshake(ssl::stream_base::client,
                                        [&](beast::error_code e) { ec = e, done = true; });
    run_until(s.ioc, done);
    if (ec) {
      s.drop();
      return Unexpected("TLS handshake: " + ec.message());
    }
  }
  const auto handshake = [&](auto& ws) {
    low.expires_never();  // the websocket stream keeps its own timeouts from here on
    websocket::stream_base::timeout opt =
        websocket::stream_base::timeout::suggested(beast::role_type::client);
    opt.handshake_timeout = s.timeout;
    ws.set_option(opt);
    ws.read_message_max(1u << 20);
    done = false;
    ws.async_handshake(s.ep.host_header(), std::string(target),
                       [&](beast::error_code e) { ec = e, done = true; });
    run_until(s.ioc, done);
  };
  if (s.tls) {
    handshake(*s.tls);
  } else {
    handshake(*s.plain);
  }
  if (ec) {
    s.drop();
    return Unexpected("WebSocket handshake: " + ec.message());
  }
  return true;
}

WsClient::ReadStatus WsClient::read(std::string& out, std::chrono::milliseconds wait,
                                    std::string& error) {
  auto& s = *impl_;
  if (!s.plain && !s.tls) {
    error = "not connected";
    return ReadStatus::kClosed;
  }
  if (!s.read_pending) {
    if (s.tls) {
      s.start_read(*s.tls);
    } else {
      s.start_read(*s.plain);
    }
  }
  s.ioc.restart();
  const Nanos deadline =
      monotonic_now() + std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count();
  while (!s.read_done) {
    const Nanos left = deadline - monotonic_now();
    if (left <= 0) break;
    if (s.ioc.run_one_for(std::chrono::nanoseconds(left)) == 0 && s.ioc.stopped()) break;
  }
  if (!s.read_done) return ReadStatus::kNothingYet;
  s.read_pending = false;
  s.read_done = false;
  if (s.read_ec) {
    error = s.read_ec.message();
    s.drop();
    return ReadStatus::kClosed;
  }
  out = beast::buffers_to_string(s.buffer.data());
  s.buffer.consume(s.buffer.size());
  return ReadStatus::kMessage;
}

}  // namespace be::binance
