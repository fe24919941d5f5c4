// The simulator's control plane, free of sockets: Binance's live-subscription requests
// ({"method":"SUBSCRIBE","params":[..],"id":N}) and their replies, and fault commands.
//
// Replies follow Binance's documented shapes:
//   {"result":null,"id":N}                        SUBSCRIBE / UNSUBSCRIBE accepted
//   {"result":["btcusdt@trade"],"id":N}           LIST_SUBSCRIPTIONS
//   {"code":C,"msg":"...","id":N}                 error (id omitted when it was unreadable)
// with the error codes 0 unknown property, 1 invalid value type, 2 invalid request,
// 3 invalid JSON.
//
// Thread-safety: pure functions; they allocate (control traffic, not the market path).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "core/ids.hpp"

namespace be::sim {

struct ControlRequest {
  enum class Method : std::uint8_t { kSubscribe, kUnsubscribe, kList };
  Method method = Method::kSubscribe;
  std::vector<std::string> params;
  std::uint64_t id = 0;
};

struct ControlError {
  int code = 2;
  std::string msg;
  std::optional<std::uint64_t> id;
};

inline constexpr std::size_t kMaxControlBytes = 4096;

Expected<ControlRequest, ControlError> parse_control_request(std::string_view text);
std::string reply_ok(std::uint64_t id);
std::string reply_list(const std::vector<std::string>& streams, std::uint64_t id);
std::string reply_error(const ControlError& error);

// A fault to inject, from the in-process API or POST /sim/fault with a JSON body:
//   {"kind":"drop"}                          close every client connection abruptly
//   {"kind":"stall","ms":500}                send no market data for 500 ms (pings go on)
//   {"kind":"malformed","count":3}           send 3 malformed text frames to every client
//   {"kind":"skip_sequence","count":1,"symbol":"btcusdt"}
//                                            withhold the next `count` depthUpdates of the
//                                            symbol (all symbols when absent): a U/u gap
struct Fault {
  enum class Kind : std::uint8_t { kDrop, kStall, kMalformed, kSkipSequence };
  Kind kind = Kind::kDrop;
  Nanos duration = 0;       // kStall
  std::uint32_t count = 1;  // kMalformed, kSkipSequence
  std::string symbol;       // kSkipSequence; lower case; empty = every symbol
};

std::string_view to_string(Fault::Kind kind) noexcept;
// Errors name the bad field: "field 'ms' must be a positive integer".
Expected<Fault, std::string> parse_fault(std::string_view json);

// JSON string escaping for text we echo back (error messages quoting client input).
void append_json_escaped(std::string& out, std::string_view text);

}  // namespace be::sim
