#include "runner/notify/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>
#include <string>

#include "net/url.hpp"

namespace be::notify {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

std::string HttpUrl::host_header() const {
  net::WsUrl ws{tls, host, port, target};
  return ws.host_header();
}

Expected<HttpUrl, std::string> parse_http_url(std::string_view url) {
  // The authority/target grammar is the WebSocket one (net/url.hpp) with other
  // schemes; translate the scheme rather than keep a second parser.
  std::string translated;
  if (url.starts_with("http://")) {
    translated = "ws://" + std::string(url.substr(7));
  } else if (url.starts_with("https://")) {
    translated = "wss://" + std::string(url.substr(8));
  } else {
    const auto colon = url.find(':');
    return Unexpected{"unsupported scheme '" + std::string(url.substr(0, colon)) +
                      "' (expected http:// or https://)"};
  }
  auto ws = net::parse_ws_url(translated);
  if (!ws) return Unexpected{ws.error()};
  return HttpUrl{ws->tls, std::move(ws->host), ws->port, std::move(ws->target)};
}

struct HttpClient::Impl {
  explicit Impl(const HttpClientOptions& o) : options(o) {
    beast::error_code ec;
    ssl_ctx.set_default_verify_paths(ec);
    if (!options.ca_file.empty()) {
      ssl_ctx.load_verify_file(options.ca_file, ec);
      if (ec) ssl_error = "cannot load ca_file '" + options.ca_file + "': " + ec.message();
    }
  }

  HttpClientOptions options;
  asio::io_context ioc;
  ssl::context ssl_ctx{ssl::context::tls_client};
  std::string ssl_error;  // a bad ca_file fails every https request with this reason
};

namespace {

// One request/response exchange. Lives on post()'s stack; every handler has run (or been
// aborted) before post() returns, so `this` in the handlers is always valid.
template <class Stream>
class Exchange {
 public:
  template <class... StreamArgs>
  Exchange(const HttpUrl& url, http::request<http::string_body>& req, StreamArgs&&... args)
      : url_(url),
        req_(req),
        resolver_(first(args...)),
        stream_(std::forward<StreamArgs>(args)...) {}

  // TLS only: verify the chain and that the certificate names url.host (default on).
  void verify(bool on) noexcept { verify_ = on; }

  HttpResult run(asio::io_context& ioc, std::chrono::milliseconds timeout) {
    beast::get_lowest_layer(stream_).expires_after(timeout);
    resolver_.async_resolve(url_.host, std::to_string(url_.port),
                            [this](beast::error_code ec, const tcp::resolver::results_type& r) {
                              if (ec) return fail("resolve", ec);
                              connect(r);
                            });
    ioc.restart();
    ioc.run_for(timeout);
    if (!done_) {
      // The resolver is not bound by the stream's deadline; run_for is the backstop for all.
      done_ = true;
      result_.status = 0;
      result_.error = "timed out after " + std::to_string(timeout.count()) + " ms";
    }
    resolver_.cancel();
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().close(ignored);
    ioc.restart();
    ioc.run();  // drain the aborted handlers before this object goes away
    return std::move(result_);
  }

 private:
  static asio::io_context& first(asio::io_context& ioc) { return ioc; }
  static asio::io_context& first(asio::io_context& ioc, ssl::context&) { return ioc; }

  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  void fail(std::string_view what, beast::error_code ec) {
    if (done_) return;
    done_ = true;
    result_.status = 0;
    result_.error = std::string(what) + ": " + ec.message();
  }

  void connect(const tcp::resolver::results_type& results) {
    beast::get_lowest_layer(stream_).async_connect(
        results, [this](beast::error_code ec, const tcp::endpoint&) {
          if (ec) return fail("connect", ec);
          if constexpr (kTls) {
            // SNI: virtual-hosted endpoints pick the certificate by it.
            if (!SSL_set_tlsext_host_name(stream_.native_handle(), url_.host.c_str())) {
              return fail("tls", beast::error_code(static_cast<int>(::ERR_get_error()),
                                                   asio::error::get_ssl_category()));
            }
            if (verify_) {
              stream_.set_verify_mode(ssl::verify_peer);
              stream_.set_verify_callback(ssl::host_name_verification(url_.host));
            } else {
              stream_.set_verify_mode(ssl::verify_none);
            }
            stream_.async_handshake(ssl::stream_base::client, [this](beast::error_code hec) {
              if (hec) return fail("tls handshake", hec);
              write();
            });
          } else {
            write();
          }
        });
  }

  void write() {
    http::async_write(stream_, req_, [this](beast::error_code ec, std::size_t) {
      if (ec) return fail("write", ec);
      parser_.body_limit(kMaxResponseBody);
      http::async_read(stream_, buffer_, parser_, [this](beast::error_code rec, std::size_t) {
        if (rec) return fail("read", rec);
        done_ = true;
        const auto& res = parser_.get();
        result_.status = static_cast<int>(res.result_int());
        result_.body = res.body();
        const auto retry = res[http::field::retry_after];
        std::int64_t seconds = 0;
        const auto [end, err] = std::from_chars(retry.data(), retry.data() + retry.size(), seconds);
        if (!retry.empty() && err == std::errc() && end == retry.data() + retry.size() &&
            seconds >= 0) {
          result_.retry_after_seconds = seconds;
        }
      });
    });
  }

  const HttpUrl& url_;
  http::request<http::string_body>& req_;
  tcp::resolver resolver_;
  Stream stream_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
  HttpResult result_;
  bool done_ = false;
  bool verify_ = true;
};

}  // namespace

HttpClient::HttpClient(const HttpClientOptions& options) : impl_(std::make_unique<Impl>(options)) {}
HttpClient::~HttpClient() = default;

HttpResult HttpClient::post(const HttpUrl& url,
                            const std::vector<std::pair<std::string, std::string>>& headers,
                            const std::string& body, std::chrono::milliseconds timeout) {
  http::request<http::string_body> req{http::verb::post, url.target, 11};
  req.set(http::field::host, url.host_header());
  req.set(http::field::user_agent, "botengine-notifier");
  req.set(http::field::content_type, "application/json");
  req.set(http::field::connection, "close");
  for (const auto& [name, value] : headers)
    req.set(name, value);
  req.body() = body;
  req.prepare_payload();

  if (!url.tls) {
    Exchange<beast::tcp_stream> exchange(url, req, impl_->ioc);
    return exchange.run(impl_->ioc, timeout);
  }
  if (!impl_->ssl_error.empty()) return HttpResult{0, impl_->ssl_error, std::nullopt, {}};
  Exchange<beast::ssl_stream<beast::tcp_stream>> exchange(url, req, impl_->ioc, impl_->ssl_ctx);
  exchange.verify(impl_->options.verify_peer);
  return exchange.run(impl_->ioc, timeout);
}

}  // namespace be::notify
