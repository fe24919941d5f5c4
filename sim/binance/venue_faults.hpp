// Faults of the Binance mock, as `POST /sim/exchange/fault` takes them (JSON, one per request)
// and MockExchange::inject applies them. Each one is something the real venue does that a
// gateway must survive; docs/SIMULATOR.md says what each ends in.
//
//   {"kind":"reject_orders","count":2,"code":-2010,"msg":"..."}
//        the next `count` new orders (REST or WebSocket API) are refused with this Binance
//        error (HTTP/status 400) without being placed; default -2010 "Account has
//        insufficient balance for requested action."
//   {"kind":"rate_limit","status":429,"retry_after_s":2,"count":1}
//        the next `count` requests are refused with 429 -1003 and Retry-After; with 418 the
//        venue bans for retry_after_s (every request refused with 418 until it lifts)
//   {"kind":"drop_user_streams"}        cuts every WebSocket API connection (no close frame)
//   {"kind":"stale","ms":3000}          for `ms`, nothing leaves the WebSocket API connections:
//        no answers, no user-data events (they are lost, as on a stale link); pings are still
//        answered by the server scaffold's WebSocket layer
//   {"kind":"clock_skew","ms":-7000}    the venue's clock = wall clock + ms (-1021 outside
//        recvWindow, serverTime skewed)
//   {"kind":"cancel_order","client_order_id":"..."}   the venue cancels that open order on its
//        own (an executionReport CANCELED the client did not ask for); without an id, every
//        open order (of `symbol` when given)
//   {"kind":"fill_before_ack","count":1,"ms":200}     the next `count` new orders fill in full
//        on arrival (a limit at its own price), their execution reports go out first and the
//        order's answer `ms` later (REST: the response is held; WebSocket API: the events
//        precede the answer on the connection)
// Every kind takes "account" (a name MockVenue knows); without it the fault applies to every
// account of the venue.
//
// Thread-safety: pure functions. Allocation: control traffic, not a hot path.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace be::binance::mock {

struct VenueFault {
  enum class Kind : std::uint8_t {
    kRejectOrders,
    kRateLimit,
    kDropUserStreams,
    kStale,
    kClockSkew,
    kCancelOrder,
    kFillBeforeAck,
  };
  static constexpr std::size_t kKinds = 7;
  Kind kind = Kind::kRejectOrders;
  int count = 1;
  int code = -2010;
  std::string msg = "Account has insufficient balance for requested action.";
  int status = 429;
  std::int64_t retry_after_s = 1;
  std::int64_t ms = 0;  // kStale, kClockSkew (may be negative), kFillBeforeAck
  std::string client_order_id;
  std::string symbol;   // upper case, as the venue names it
  std::string account;  // empty: every account
};

std::string_view to_string(VenueFault::Kind kind) noexcept;
// Errors name every bad field: "field 'status' must be 429 or 418; field 'x' is unknown".
Expected<VenueFault, std::string> parse_venue_fault(std::string_view json);

}  // namespace be::binance::mock
