#include "oms/venues/binance/errors.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string_view>

namespace be::binance {
namespace {

struct Row {
  int status;
  std::optional<int> code;
  std::string_view msg;
  VenueReason reason;
  RetryClass retry;
};

// Binance's documented codes and messages (spot "Error codes" page) -> our reasons.
constexpr Row kTable[] = {
    {400, -1013, "Filter failure: PRICE_FILTER", VenueReason::kPriceFilter, RetryClass::kFinal},
    {400, -1013, "Filter failure: LOT_SIZE", VenueReason::kLotSize, RetryClass::kFinal},
    {400, -1013, "Filter failure: MARKET_LOT_SIZE", VenueReason::kLotSize, RetryClass::kFinal},
    {400, -1013, "Filter failure: MIN_NOTIONAL", VenueReason::kMinNotional, RetryClass::kFinal},
    {400, -1013, "Filter failure: NOTIONAL", VenueReason::kMinNotional, RetryClass::kFinal},
    {400, -1013, "Filter failure: PERCENT_PRICE_BY_SIDE", VenueReason::kOtherFilter,
     RetryClass::kFinal},
    {400, -1013, "Invalid quantity.", VenueReason::kInvalidQuantity, RetryClass::kFinal},
    {400, -2010, "Account has insufficient balance for requested action.",
     VenueReason::kInsufficientBalance, RetryClass::kFinal},
    {400, -2010, "Duplicate order sent.", VenueReason::kDuplicateOrder, RetryClass::kFinal},
    {400, -2010, "Order would immediately match and take.", VenueReason::kNewOrderRejected,
     RetryClass::kFinal},
    {400, -2011, "Unknown order sent.", VenueReason::kUnknownOrder, RetryClass::kFinal},
    {400, -2013, "Order does not exist.", VenueReason::kUnknownOrder, RetryClass::kFinal},
    {400, -1021, "Timestamp for this request is outside of the recvWindow.",
     VenueReason::kTimestampOutsideRecvWindow, RetryClass::kResyncTime},
    {400, -1022, "Signature for this request is not valid.", VenueReason::kBadSignature,
     RetryClass::kFinal},
    {401, -2015, "Invalid API-key, IP, or permissions for action.", VenueReason::kBadApiKey,
     RetryClass::kFinal},
    {400, -2014, "API-key format invalid.", VenueReason::kBadApiKey, RetryClass::kFinal},
    {400, -1121, "Invalid symbol.", VenueReason::kInvalidSymbol, RetryClass::kFinal},
    {400, -1102, "Mandatory parameter 'price' was not sent, was empty/null, or malformed.",
     VenueReason::kInvalidParameter, RetryClass::kFinal},
    {400, -1003, "Too much request weight used", VenueReason::kTooManyRequests,
     RetryClass::kBackOff},
    {400, -1015, "Too many new orders; current limit is 100 orders per 10 SECOND.",
     VenueReason::kTooManyRequests, RetryClass::kBackOff},
    {429, -1003, "Too much request weight used", VenueReason::kTooManyRequests,
     RetryClass::kBackOff},
    {418, -1003, "Way too much request weight used; IP banned until 1.", VenueReason::kIpBanned,
     RetryClass::kBackOff},
    {500, -1000, "An unknown error occurred while processing the request.",
     VenueReason::kServerError, RetryClass::kOutcomeUnknown},
    {503, std::nullopt, "", VenueReason::kServerError, RetryClass::kOutcomeUnknown},
    {400, -1007,
     "Timeout waiting for response from backend server. Send status unknown; "
     "execution status unknown.",
     VenueReason::kServerError, RetryClass::kOutcomeUnknown},
    {400, std::nullopt, "", VenueReason::kMalformedAnswer, RetryClass::kFinal},
    {400, -9999, "something new", VenueReason::kOther, RetryClass::kFinal},
};

TEST(BinanceErrors, shouldMapEveryDocumentedErrorToItsReasonAndRetryClass) {
  for (const Row& row : kTable) {
    const MappedError m = map_error(row.status, row.code, row.msg);
    EXPECT_EQ(m.reason, row.reason) << row.status << " " << row.code.value_or(0) << " " << row.msg;
    EXPECT_EQ(m.retry, row.retry) << row.status << " " << row.code.value_or(0) << " " << row.msg;
  }
}

TEST(BinanceErrors, shouldNameEveryReason) {
  for (const Row& row : kTable) {
    EXPECT_NE(to_string(row.reason), "") << static_cast<int>(row.reason);
  }
  EXPECT_EQ(to_string(VenueReason::kInsufficientBalance), "insufficient_balance");
  EXPECT_EQ(to_string(VenueReason::kQueueFull), "queue_full");
}

TEST(BinanceErrors, shouldParseRetryAfterSecondsAndRefuseGarbage) {
  EXPECT_EQ(parse_retry_after_seconds("7"), 7);
  EXPECT_EQ(parse_retry_after_seconds(" 120 "), 120);
  EXPECT_EQ(parse_retry_after_seconds("0"), 0);
  EXPECT_FALSE(parse_retry_after_seconds(""));
  EXPECT_FALSE(parse_retry_after_seconds("-1"));
  EXPECT_FALSE(parse_retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT"));
  EXPECT_FALSE(parse_retry_after_seconds("5s"));
}

}  // namespace
}  // namespace be::binance
