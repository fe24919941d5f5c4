// The one HTTP client of the project: blocking HTTP/1.1 requests to one origin (http:// or
// https://, OpenSSL per net/tls_client.hpp), each bounded by one deadline.
//
//   caller thread --request()--> [resolve, TCP, TLS]? -> write -> read --> HttpResponse | HttpError
//
// - Deadline: one per request, for the whole exchange (resolve, connect, TLS, write, read),
//   so a peer that accepts and never answers costs exactly the timeout, never a hung thread.
// - Keep-alive (default): one connection is kept between requests and reused; any failure,
//   or a response that says "Connection: close", drops it and the next request connects
//   afresh, so a request never inherits half a response. Before reuse, a kept connection
//   with anything readable (the peer's FIN after its idle timeout, a TLS close_notify) is
//   dropped unused. Should the peer close it during the request anyway, the request is tried
//   once more on a fresh connection when the peer cannot have seen it (the write failed), or
//   when it closed without a byte of answer and the method is GET, HEAD or OPTIONS (RFC 9110
//   9.2.2; a POST, PUT or DELETE is never sent twice). With keep_alive false every request
//   has its own connection and says "Connection: close".
// - Errors are values that say where the request failed, because that decides what a caller
//   may retry: kConnect and kWrite mean the peer cannot have acted on it; kRead means it may.
//
// The request runs on the caller's thread (Asio's asynchronous operations driven by a
// private io_context). No Beast type appears here: only http_client.cpp pays for them.
// Thread-safety: one thread at a time per client. Never on a hot path.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/expected.hpp"
#include "net/tls_client.hpp"
#include "net/url.hpp"

namespace be::net {

struct HttpClientOptions {
  TlsClientOptions tls;                       // https only
  std::chrono::milliseconds timeout{10'000};  // per request, unless the request says otherwise
  bool keep_alive = true;
  std::string user_agent = "botengine";
  std::size_t max_response_body = 16u << 20;  // a longer body is a kRead error
};

struct HttpHeader {
  std::string_view name;
  std::string_view value;
};

struct HttpRequest {
  std::string_view method = "GET";      // any verb Beast knows: GET, POST, PUT, DELETE, ...
  std::string_view target = "/";        // path and query
  std::string_view body;                // sent with Content-Length (0 when empty)
  std::string_view content_type;        // set when not empty
  std::span<const HttpHeader> headers;  // copied into the request only
  std::optional<std::chrono::milliseconds> timeout;  // overrides HttpClientOptions::timeout
};

struct HttpResponse {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // as received

  // The first header of that name (case-insensitive), if any.
  std::optional<std::string_view> header(std::string_view name) const noexcept;
  // That header as a whole decimal integer; nothing when absent or not a number
  // ("Retry-After: <HTTP-date>" therefore reads as nothing).
  std::optional<std::int64_t> header_int(std::string_view name) const noexcept;
};

enum class HttpStage : std::uint8_t { kConnect, kWrite, kRead };

struct HttpError {
  HttpStage stage = HttpStage::kConnect;
  bool timeout = false;  // the deadline passed
  std::string message;   // "connect: Connection refused", "read: timed out after 200 ms", ...
};

struct HttpClientStats {
  std::uint64_t requests = 0;     // request() calls
  std::uint64_t connections = 0;  // connections opened (TCP, and TLS when https)
  std::uint64_t reused = 0;       // requests sent on a connection kept from an earlier one
  std::uint64_t stale = 0;        // kept connections found closed by the peer, not reused
  std::uint64_t resent = 0;       // requests sent again after a kept connection failed them
};

class HttpClient {
 public:
  // `origin`: http(s)://host[:port]; a target in it is ignored (requests name theirs). A
  // CA file that cannot be loaded fails every request with the reason (kConnect).
  HttpClient(Url origin, HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  Expected<HttpResponse, HttpError> request(const HttpRequest& request);
  // Drops the kept connection, if any.
  void close() noexcept;

  const Url& origin() const noexcept;
  HttpClientStats stats() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace be::net
