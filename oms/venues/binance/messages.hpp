// Binance's JSON, in both directions we read it: the user-data stream (executionReport,
// outboundAccountPosition; raw or wrapped in {"subscriptionId":..,"event":{..}}) and the
// REST answers (order objects, open orders, account, server time, listenKey, errors).
// Parsed with simdjson On-Demand into fixed-point records through the SymbolMap; nothing is
// parsed through a double.
//
// A malformed message is an error return (counted by the caller), never a throw or a crash:
// fuzz/fuzz_binance_user.cpp feeds arbitrary bytes to every entry point.
//
// Thread-safety: a MessageParser is owned by one thread (it reuses its simdjson parser and
// buffers). Views into a parse result are valid until the next parse on the same parser.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"
#include "oms/order.hpp"
#include "oms/venues/binance/symbols.hpp"

namespace be::binance {

enum class ExecType : std::uint8_t {
  kNew,
  kCanceled,
  kReplaced,
  kRejected,
  kTrade,
  kExpired,
  kTradePrevention,
  kOther,
};
enum class OrderStatus : std::uint8_t {
  kNew,
  kPartiallyFilled,
  kFilled,
  kCanceled,
  kPendingCancel,
  kRejected,
  kExpired,
  kExpiredInMatch,
  kOther,
};
ExecType parse_exec_type(std::string_view text) noexcept;
OrderStatus parse_order_status(std::string_view text) noexcept;

// One executionReport, in the instrument's fixed point.
struct ExecutionReport {
  InstrumentId instrument = kNoInstrument;
  bool ours = false;  // the client id parses as one of ours ("be<bot>x<seq>")
  oms::ClientOrderId client;
  ExecType exec = ExecType::kOther;
  OrderStatus status = OrderStatus::kOther;
  std::uint64_t order_id = 0;
  std::int64_t last_quantity = 0;
  std::int64_t cumulative_quantity = 0;
  std::int64_t last_price = 0;
  std::int64_t fee = 0;   // in quote units at price scale
  bool fee_known = true;  // false: commission in a third asset (BNB), fee left 0
  std::uint64_t trade_id = 0;
  bool maker = false;
  Nanos event_time = 0;        // E
  Nanos transaction_time = 0;  // T
};

// executionReport -> the OrderUpdate it means, or nullopt when it means nothing to the order
// state machine (REPLACED, an unknown execution type). NEW->kAccepted, TRADE->kPartialFill or
// kFill (by X), CANCELED->kCanceled, REJECTED->kRejected, EXPIRED and TRADE_PREVENTION ->
// kExpired.
std::optional<OrderUpdate> to_order_update(const ExecutionReport& report,
                                           AccountId account) noexcept;

// A REST order object (POST/GET /api/v3/order, GET /api/v3/openOrders).
struct OrderSnapshot {
  InstrumentId instrument = kNoInstrument;
  bool ours = false;
  oms::ClientOrderId client;
  std::uint64_t order_id = 0;
  Side side = Side::kBuy;
  OrderStatus status = OrderStatus::kOther;
  std::int64_t price = 0;
  std::int64_t orig_quantity = 0;
  std::int64_t executed_quantity = 0;
  Nanos update_time = 0;  // updateTime, else transactTime, else time
};
// The reconciliation answer for an order the venue knows.
OrderUpdate reconciled_update(const OrderSnapshot& order, AccountId account) noexcept;

struct ApiError {
  int code = 0;
  std::string msg;
};

// One entry of an answer's rateLimits array.
struct WsRateLimit {
  enum class Type : std::uint8_t { kRequestWeight, kOrders, kOther };
  Type type = Type::kOther;
  std::int64_t interval_ms = 0;  // interval x intervalNum
  std::int64_t limit = 0;
  std::int64_t count = 0;
};

// An answer to one request, (MessageParser::parse_ws_api; ws_api.hpp).
struct WsApiAnswer {
  std::uint64_t id = 0;  // the gateway's ids are integers; a string id reads as 0
  int status = 0;
  bool has_order = false;  // `result` is an order object of a symbol the gateway trades
  OrderSnapshot order;
  bool has_error = false;
  ApiError error;
  std::int64_t retry_after_ms = 0;  // error.data.retryAfter: when the venue lifts the limit
  std::array<WsRateLimit, 6> rate_limits{};
  std::size_t rate_limit_count = 0;
};

class MessageParser {
 public:
  enum class UserKind : std::uint8_t { kExecutionReport, kAccountPosition, kIgnored, kMalformed };

  explicit MessageParser(const SymbolMap& symbols);
  ~MessageParser();
  MessageParser(const MessageParser&) = delete;
  MessageParser& operator=(const MessageParser&) = delete;

  // The user-data stream. After kExecutionReport read execution(); after kAccountPosition
  // read balances() (assets the SymbolMap does not know are skipped) and event_time().
  UserKind parse_user(std::string_view text, AccountId account);
  const ExecutionReport& execution() const noexcept { return execution_; }
  const std::vector<BalanceUpdate>& balances() const noexcept { return balances_; }
  Nanos event_time() const noexcept { return event_time_; }

  // REST bodies. false = malformed; error() says why.
  bool parse_error(std::string_view text, ApiError& out);
  bool parse_order(std::string_view text, OrderSnapshot& out);
  bool parse_open_orders(std::string_view text, std::vector<OrderSnapshot>& out);
  bool parse_account(std::string_view text, AccountId account, std::vector<BalanceUpdate>& out);
  bool parse_server_time(std::string_view text, std::int64_t& millis);
  bool parse_listen_key(std::string_view text, std::string& out);

  // The WebSocket API (ws_api.hpp). kAnswer fills `out`; kEvent: a user-data event pushed
  // on the subscription ({"subscriptionId":..,"event":{..}}), read with parse_user.
  enum class WsKind : std::uint8_t { kAnswer, kEvent, kMalformed };
  WsKind parse_ws_api(std::string_view text, WsApiAnswer& out);

  std::string_view error() const noexcept { return error_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  const SymbolMap* symbols_;
  ExecutionReport execution_;
  std::vector<BalanceUpdate> balances_;
  Nanos event_time_ = 0;
  std::string error_;
};

}  // namespace be::binance
