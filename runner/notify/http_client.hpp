// A blocking HTTP/1.1 POST with one deadline for the whole exchange, over plain TCP or TLS
// (OpenSSL, SNI, certificate chain and host-name verification unless switched off).
//
// One connection per request: webhooks are rare, and a fresh connection never inherits a
// half-read response from a request that timed out. The request runs on the caller's thread
// (Asio's asynchronous operations driven by a private io_context with run_for), so a peer that
// accepts and never answers costs exactly the timeout.
//
// Thread-safety: an HttpClient is used by one thread at a time (the notifier's). Errors are
// values: a transport problem is HttpResult{status = 0, error = "..."}; never an exception.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/expected.hpp"

namespace be::notify {

struct HttpUrl {
  bool tls = false;
  std::string host;
  std::uint16_t port = 0;
  std::string target;  // path and query, starting with '/'
  std::string host_header() const;
};

// http://host[:port][/target] or https://...; IPv6 literals as [::1]. Errors name the problem.
Expected<HttpUrl, std::string> parse_http_url(std::string_view url);

struct HttpResult {
  int status = 0;     // 0: no response (DNS, connect, TLS, write, read or timeout failure)
  std::string error;  // why, when status == 0
  // Retry-After in whole seconds, when the response carried one that is a number
  // (an HTTP-date is ignored: the back-off schedule applies instead).
  std::optional<std::int64_t> retry_after_seconds;
  std::string body;  // at most kMaxResponseBody bytes are read
};

inline constexpr std::size_t kMaxResponseBody = 64 * 1024;

struct HttpClientOptions {
  bool verify_peer = true;
  std::string ca_file;  // added to the system's default trust store when not empty
};

class HttpClient {
 public:
  explicit HttpClient(const HttpClientOptions& options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // POSTs `body` with Content-Type application/json and the extra `headers`.
  HttpResult post(const HttpUrl& url,
                  const std::vector<std::pair<std::string, std::string>>& headers,
                  const std::string& body, std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace be::notify
