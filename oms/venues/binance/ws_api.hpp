// Binance's spot WebSocket API (wss://ws-api.binance.com:443/ws-api/v3) without sockets: the
// request frames the gateway writes and the answers it reads (docs/BINANCE.md cites the docs).
//
//   request  {"id":7,"method":"order.place","params":{"apiKey":"..","price":"49000",..}}
//   answer   {"id":7,"status":200,"result":{..},"rateLimits":[{"rateLimitType":"ORDERS",..}]}
//   error    {"id":7,"status":400,"error":{"code":-2010,"msg":"..","data":{"retryAfter":T}},..}
//   event    {"subscriptionId":0,"event":{"e":"executionReport",..}}   (MessageParser::parse_user)
//
// A request's signature covers every parameter but `signature`, sorted by name and joined as
// "k=v&k=v" (the API's "signature payload"); INT parameters go out as JSON integers, DECIMAL
// and the rest as strings. WsApiRequest builds a frame in fixed buffers: no heap allocation,
// so the order manager's thread can build an order frame itself (gateway.hpp: the seam).
//
// Thread-safety: a WsApiRequest is owned by one thread. Errors: a frame that does not fit its
// buffers (never for the requests the gateway makes) finishes empty.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "oms/venues/binance/messages.hpp"
#include "oms/venues/binance/signing.hpp"

namespace be::binance {

class WsApiRequest {
 public:
  static constexpr std::size_t kMaxParams = 16;
  static constexpr std::size_t kArenaBytes = 768;
  static constexpr std::size_t kFrameBytes = 1536;

  // Starts a new request; earlier content is dropped.
  void begin(std::uint64_t id, std::string_view method) noexcept;
  // Values must be JSON-safe without escaping (symbols, ids, decimals, enums, base64).
  WsApiRequest& text(std::string_view key, std::string_view value) noexcept;
  WsApiRequest& integer(std::string_view key, std::int64_t value) noexcept;
  WsApiRequest& decimal(std::string_view key, std::int64_t value, int scale) noexcept;
  // Sorts the parameters, signs them when `signer` is given (adding `signature`) and writes the
  // frame. Empty when something did not fit or the signature failed.
  std::string_view finish(const RequestSigner* signer) noexcept;
  // The signature payload of the last finish() ("k=v&..."), for tests.
  std::string_view payload() const noexcept { return {payload_.data(), payload_size_}; }

 private:
  struct Param {
    std::string_view key;
    std::uint16_t offset = 0, size = 0;  // the value, in arena_
    bool number = false;
  };
  WsApiRequest& add(std::string_view key, std::string_view value, bool number) noexcept;
  std::string_view value_of(const Param& p) const noexcept {
    return {arena_.data() + p.offset, p.size};
  }

  std::uint64_t id_ = 0;
  std::string_view method_;
  std::array<Param, kMaxParams> params_{};
  std::size_t count_ = 0;
  std::array<char, kArenaBytes> arena_{};
  std::size_t arena_used_ = 0;
  std::array<char, kArenaBytes> payload_{};
  std::size_t payload_size_ = 0;
  std::array<char, kFrameBytes> frame_{};
  bool overflow_ = false;
};

}  // namespace be::binance
