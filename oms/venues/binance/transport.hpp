// Blocking HTTP/1.1 and WebSocket clients with deadlines, for the gateway's own I/O threads
// (Boost.Beast over Asio; TLS with OpenSSL for https/wss, plain TCP for loopback tests).
//
// Every operation is bounded by the client's timeout: a venue that stops answering turns
// into a TransportError (kTimeout), never a hung thread. The HTTP client keeps one
// keep-alive connection and reconnects on the next request after any failure.
//
// The error says where the request failed, because that decides what a caller may retry:
// kConnect and kWrite mean the venue cannot have acted on it; kRead means it may have.
//
// Thread-safety: one client per thread. Only transport.cpp includes Beast (slow to compile).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace be::binance {

struct Endpoint {
  bool tls = false;
  std::string host;
  std::uint16_t port = 0;
  std::string host_header() const;
};
// http://, https://, ws://, wss:// with an optional port; a path is refused (targets are
// given per request).
Expected<Endpoint, std::string> parse_endpoint(std::string_view url);

struct HttpResult {
  int status = 0;
  std::string body;
  std::optional<std::int64_t> used_weight_1m;   // X-MBX-USED-WEIGHT-1M
  std::optional<std::int64_t> order_count_10s;  // X-MBX-ORDER-COUNT-10S
  std::optional<std::int64_t> order_count_1d;   // X-MBX-ORDER-COUNT-1D
  std::optional<std::int64_t> retry_after_s;    // Retry-After
};

enum class TransportStage : std::uint8_t { kConnect, kWrite, kRead };
struct TransportError {
  TransportStage stage = TransportStage::kConnect;
  bool timeout = false;
  std::string message;
};

class HttpClient {
 public:
  HttpClient(Endpoint endpoint, std::chrono::milliseconds timeout);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // `api_key` empty: no X-MBX-APIKEY header. The key is copied into the request buffer only.
  Expected<HttpResult, TransportError> request(std::string_view method, std::string_view target,
                                               std::string_view api_key,
                                               std::string_view body = {});
  void close() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class WsClient {
 public:
  enum class ReadStatus : std::uint8_t { kMessage, kNothingYet, kClosed };

  WsClient(Endpoint endpoint, std::chrono::milliseconds timeout);
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  Expected<bool, std::string> connect(std::string_view target);
  // Waits at most `wait` for the next text message. kClosed: the connection is gone
  // (`error` says why); connect() again.
  ReadStatus read(std::string& out, std::chrono::milliseconds wait, std::string& error);
  void close() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace be::binance
