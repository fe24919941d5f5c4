// Binance's error answers mapped to one stable reason enum.
//
// The venue answers a failed request with an HTTP status and, usually, a JSON body
// {"code":-XXXX,"msg":"..."}. The reason code is what rides in OrderUpdate::reason (a
// uint16), so the values below are part of the journal format: append, never renumber.
// The mapping also says what the gateway may do next (retry class), so the retry policy is
// decided in one place.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace be::binance {

enum class VenueReason : std::uint16_t {
  kNone = 0,
  // Rejects of the request's content (-1013 and the filter failures, -11xx parameters).
  kPriceFilter = 100,       // "Filter failure: PRICE_FILTER" (tick size, min/max price)
  kLotSize = 101,           // "Filter failure: LOT_SIZE" (step size, min/max quantity)
  kMinNotional = 102,       // "Filter failure: MIN_NOTIONAL" or "Filter failure: NOTIONAL"
  kOtherFilter = 103,       // any other "Filter failure: ..." (PERCENT_PRICE, MAX_NUM_ORDERS)
  kInvalidQuantity = 104,   // -1013 without a filter name
  kInvalidParameter = 105,  // -1100..-1199: malformed or missing parameters
  kInvalidSymbol = 106,     // -1121
  // Account state.
  kInsufficientBalance = 200,  // -2010 "Account has insufficient balance for requested action."
  kDuplicateOrder = 201,       // -2010 "Duplicate order sent."
  kNewOrderRejected = 202,     // -2010 with another message
  kUnknownOrder = 203,         // -2011 (cancel) and -2013 (query)
  // Authentication and time.
  kTimestampOutsideRecvWindow = 300,  // -1021
  kBadSignature = 301,                // -1022
  kBadApiKey = 302,                   // -2014, -2015
  // Rate limits.
  kTooManyRequests = 400,  // HTTP 429, -1003 (request weight), -1015 (order count)
  kIpBanned = 401,         // HTTP 418
  kLocalRateLimit = 402,   // we stopped before the venue's limit and gave up waiting
  // Transport and venue health.
  kServerError = 500,   // HTTP 5xx: the outcome is unknown, resolved by querying
  kTimeout = 501,       // no answer in time: unknown outcome
  kDisconnected = 502,  // could not connect
  kMalformedAnswer = 503,
  // Local refusals (the request never left).
  kQueueFull = 600,
  kUnknownInstrument = 601,
  kNotRunning = 602,
  kOther = 999,
};

std::string_view to_string(VenueReason reason) noexcept;

// What the gateway may do about a failed request.
enum class RetryClass : std::uint8_t {
  kFinal = 0,       // the venue refused; report it
  kResyncTime,      // -1021: fetch /api/v3/time, then retry (a new order: query first)
  kBackOff,         // 429/418/-1003/-1015: wait Retry-After, then retry (query first)
  kOutcomeUnknown,  // 5xx/timeout: only a query by client id can tell what happened
};

struct MappedError {
  VenueReason reason = VenueReason::kOther;
  RetryClass retry = RetryClass::kFinal;
};

// `code`/`msg` come from the JSON body when it had them (nullopt/empty otherwise).
MappedError map_error(int http_status, std::optional<int> code, std::string_view msg) noexcept;

// Retry-After is seconds (Binance sends an integer). nullopt when absent or malformed.
std::optional<std::int64_t> parse_retry_after_seconds(std::string_view value) noexcept;

}  // namespace be::binance
