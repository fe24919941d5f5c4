#include "oms/venues/binance/errors.hpp"

#include <array>
#include <charconv>

#include "core/names.hpp"

namespace be::binance {

namespace {

// The numbers are sparse (grouped by hundreds), so names_every_code does not apply.
constexpr std::array<Named<VenueReason>, 26> kVenueReasonNames{{
    {VenueReason::kNone, "none"},
    {VenueReason::kPriceFilter, "price_filter"},
    {VenueReason::kLotSize, "lot_size"},
    {VenueReason::kMinNotional, "min_notional"},
    {VenueReason::kOtherFilter, "other_filter"},
    {VenueReason::kInvalidQuantity, "invalid_quantity"},
    {VenueReason::kInvalidParameter, "invalid_parameter"},
    {VenueReason::kInvalidSymbol, "invalid_symbol"},
    {VenueReason::kInsufficientBalance, "insufficient_balance"},
    {VenueReason::kDuplicateOrder, "duplicate_order"},
    {VenueReason::kNewOrderRejected, "new_order_rejected"},
    {VenueReason::kUnknownOrder, "unknown_order"},
    {VenueReason::kTimestampOutsideRecvWindow, "timestamp_outside_recv_window"},
    {VenueReason::kBadSignature, "bad_signature"},
    {VenueReason::kBadApiKey, "bad_api_key"},
    {VenueReason::kTooManyRequests, "too_many_requests"},
    {VenueReason::kIpBanned, "ip_banned"},
    {VenueReason::kLocalRateLimit, "local_rate_limit"},
    {VenueReason::kServerError, "server_error"},
    {VenueReason::kTimeout, "timeout"},
    {VenueReason::kDisconnected, "disconnected"},
    {VenueReason::kMalformedAnswer, "malformed_answer"},
    {VenueReason::kQueueFull, "queue_full"},
    {VenueReason::kUnknownInstrument, "unknown_instrument"},
    {VenueReason::kNotRunning, "not_running"},
    {VenueReason::kOther, "other"},
}};

}  // namespace

std::string_view to_string(VenueReason reason) noexcept {
  return name_of(kVenueReasonNames, reason, "other");
}

namespace {

// Binance's filter names, as "Filter failure: NAME" reports them.
constexpr std::array<Named<VenueReason>, 5> kFilterNames{{
    {VenueReason::kPriceFilter, "PRICE_FILTER"},
    {VenueReason::kLotSize, "LOT_SIZE"},
    {VenueReason::kLotSize, "MARKET_LOT_SIZE"},
    {VenueReason::kMinNotional, "MIN_NOTIONAL"},
    {VenueReason::kMinNotional, "NOTIONAL"},
}};

MappedError filter_failure(std::string_view msg) noexcept {
  // Binance names the filter after "Filter failure: "; MIN_NOTIONAL was renamed NOTIONAL on
  // newer symbols and both mean the order's value is outside the allowed range.
  constexpr std::string_view kPrefix = "Filter failure: ";
  const auto at = msg.find(kPrefix);
  if (at == std::string_view::npos) return {VenueReason::kInvalidQuantity, RetryClass::kFinal};
  std::string_view name = msg.substr(at + kPrefix.size());
  while (!name.empty() && (name.back() == '.' || name.back() == ' '))
    name.remove_suffix(1);
  return {code_of(kFilterNames, name).value_or(VenueReason::kOtherFilter), RetryClass::kFinal};
}

}  // namespace

MappedError map_error(int http_status, std::optional<int> code, std::string_view msg) noexcept {
  // The HTTP status decides first where Binance documents it as authoritative.
  if (http_status == 418) return {VenueReason::kIpBanned, RetryClass::kBackOff};
  if (http_status == 429) return {VenueReason::kTooManyRequests, RetryClass::kBackOff};
  if (http_status >= 500) return {VenueReason::kServerError, RetryClass::kOutcomeUnknown};
  if (!code) return {VenueReason::kMalformedAnswer, RetryClass::kFinal};
  switch (*code) {
    case -1003:
    case -1015:
      return {VenueReason::kTooManyRequests, RetryClass::kBackOff};
    case -1007:  // "Timeout waiting for response from backend server. Send status unknown"
    case -1006:  // "An unexpected response was received from the message bus."
      return {VenueReason::kServerError, RetryClass::kOutcomeUnknown};
    case -1013:
      return filter_failure(msg);
    case -1021:
      return {VenueReason::kTimestampOutsideRecvWindow, RetryClass::kResyncTime};
    case -1022:
      return {VenueReason::kBadSignature, RetryClass::kFinal};
    case -1121:
      return {VenueReason::kInvalidSymbol, RetryClass::kFinal};
    case -2010:
      if (msg.find("insufficient balance") != std::string_view::npos) {
        return {VenueReason::kInsufficientBalance, RetryClass::kFinal};
      }
      if (msg.find("Duplicate order") != std::string_view::npos) {
        return {VenueReason::kDuplicateOrder, RetryClass::kFinal};
      }
      return {VenueReason::kNewOrderRejected, RetryClass::kFinal};
    case -2011:
    case -2013:
      return {VenueReason::kUnknownOrder, RetryClass::kFinal};
    case -2014:
    case -2015:
      return {VenueReason::kBadApiKey, RetryClass::kFinal};
    default:
      break;
  }
  if (*code <= -1100 && *code >= -1199) return {VenueReason::kInvalidParameter, RetryClass::kFinal};
  return {VenueReason::kOther, RetryClass::kFinal};
}

std::optional<std::int64_t> parse_retry_after_seconds(std::string_view value) noexcept {
  while (!value.empty() && value.front() == ' ')
    value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ')
    value.remove_suffix(1);
  std::int64_t seconds = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec != std::errc{} || end != value.data() + value.size() || seconds < 0) return std::nullopt;
  return seconds;
}

}  // namespace be::binance
