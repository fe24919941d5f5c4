#include "oms/venues/binance/errors.hpp"

#include <charconv>

namespace be::binance {

std::string_view to_string(VenueReason reason) noexcept {
  switch (reason) {
    case VenueReason::kNone:
      return "none";
    case VenueReason::kPriceFilter:
      return "price_filter";
    case VenueReason::kLotSize:
      return "lot_size";
    case VenueReason::kMinNotional:
      return "min_notional";
    case VenueReason::kOtherFilter:
      return "other_filter";
    case VenueReason::kInvalidQuantity:
      return "invalid_quantity";
    case VenueReason::kInvalidParameter:
      return "invalid_parameter";
    case VenueReason::kInvalidSymbol:
      return "invalid_symbol";
    case VenueReason::kInsufficientBalance:
      return "insufficient_balance";
    case VenueReason::kDuplicateOrder:
      return "duplicate_order";
    case VenueReason::kNewOrderRejected:
      return "new_order_rejected";
    case VenueReason::kUnknownOrder:
      return "unknown_order";
    case VenueReason::kTimestampOutsideRecvWindow:
      return "timestamp_outside_recv_window";
    case VenueReason::kBadSignature:
      return "bad_signature";
    case VenueReason::kBadApiKey:
      return "bad_api_key";
    case VenueReason::kTooManyRequests:
      return "too_many_requests";
    case VenueReason::kIpBanned:
      return "ip_banned";
    case VenueReason::kLocalRateLimit:
      return "local_rate_limit";
    case VenueReason::kServerError:
      return "server_error";
    case VenueReason::kTimeout:
      return "timeout";
    case VenueReason::kDisconnected:
      return "disconnected";
    case VenueReason::kMalformedAnswer:
      return "malformed_answer";
    case VenueReason::kQueueFull:
      return "queue_full";
    case VenueReason::kUnknownInstrument:
      return "unknown_instrument";
    case VenueReason::kNotRunning:
      return "not_running";
    case VenueReason::kOther:
      return "other";
  }
  return "other";
}

namespace {

MappedError filter_failure(std::string_view msg) noexcept {
  // Binance names the filter after "Filter failure: "; MIN_NOTIONAL was renamed NOTIONAL on
  // newer symbols and both mean the order's value is outside the allowed range.
  constexpr std::string_view kPrefix = "Filter failure: ";
  const auto at = msg.find(kPrefix);
  if (at == std::string_view::npos) return {VenueReason::kInvalidQuantity, RetryClass::kFinal};
  std::string_view name = msg.substr(at + kPrefix.size());
  while (!name.empty() && (name.back() == '.' || name.back() == ' '))
    name.remove_suffix(1);
  if (name == "PRICE_FILTER") return {VenueReason::kPriceFilter, RetryClass::kFinal};
  if (name == "LOT_SIZE" || name == "MARKET_LOT_SIZE") {
    return {VenueReason::kLotSize, RetryClass::kFinal};
  }
  if (name == "MIN_NOTIONAL" || name == "NOTIONAL") {
    return {VenueReason::kMinNotional, RetryClass::kFinal};
  }
  return {VenueReason::kOtherFilter, RetryClass::kFinal};
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
