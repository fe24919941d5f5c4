#include "feed/types.hpp"

namespace be::feed {

std::string_view to_string(MessageKind kind) noexcept {
  switch (kind) {
    case MessageKind::kUnknown:
      return "unknown";
    case MessageKind::kBinanceTrade:
      return "binance.trade";
    case MessageKind::kBinanceAggTrade:
      return "binance.aggTrade";
    case MessageKind::kBinanceBookTicker:
      return "binance.bookTicker";
    case MessageKind::kBinanceKline:
      return "binance.kline";
    case MessageKind::kBinanceDepthUpdate:
      return "binance.depthUpdate";
    case MessageKind::kBinanceDepthSnapshot:
      return "binance.depthSnapshot";
    case MessageKind::kBinanceExchangeInfo:
      return "binance.exchangeInfo";
    case MessageKind::kBinanceResponse:
      return "binance.response";
    case MessageKind::kCoinbaseTicker:
      return "coinbase.ticker";
    case MessageKind::kCoinbaseMatch:
      return "coinbase.match";
    case MessageKind::kCoinbaseLastMatch:
      return "coinbase.last_match";
    case MessageKind::kCoinbaseSnapshot:
      return "coinbase.snapshot";
    case MessageKind::kCoinbaseL2Update:
      return "coinbase.l2update";
    case MessageKind::kCoinbaseHeartbeat:
      return "coinbase.heartbeat";
    case MessageKind::kCoinbaseSubscriptions:
      return "coinbase.subscriptions";
    case MessageKind::kCoinbaseError:
      return "coinbase.error";
    case MessageKind::kKrakenTicker:
      return "kraken.ticker";
    case MessageKind::kKrakenTrade:
      return "kraken.trade";
    case MessageKind::kKrakenBookSnapshot:
      return "kraken.book.snapshot";
    case MessageKind::kKrakenBookUpdate:
      return "kraken.book.update";
    case MessageKind::kKrakenHeartbeat:
      return "kraken.heartbeat";
    case MessageKind::kKrakenSystemStatus:
      return "kraken.systemStatus";
    case MessageKind::kKrakenSubscriptionStatus:
      return "kraken.subscriptionStatus";
    case MessageKind::kKrakenV2Ticker:
      return "kraken.v2.ticker";
    case MessageKind::kKrakenV2Trade:
      return "kraken.v2.trade";
    case MessageKind::kKrakenV2Status:
      return "kraken.v2.status";
    case MessageKind::kCount:
      break;
  }
  return "invalid";
}

bool is_control(MessageKind kind) noexcept {
  switch (kind) {
    case MessageKind::kBinanceResponse:
    case MessageKind::kCoinbaseHeartbeat:
    case MessageKind::kCoinbaseSubscriptions:
    case MessageKind::kCoinbaseError:
    case MessageKind::kKrakenHeartbeat:
    case MessageKind::kKrakenSystemStatus:
    case MessageKind::kKrakenSubscriptionStatus:
    case MessageKind::kKrakenV2Status:
      return true;
    default:
      return false;
  }
}

std::string_view to_string(RejectReason reason) noexcept {
  switch (reason) {
    case RejectReason::kNone:
      return "none";
    case RejectReason::kEmpty:
      return "empty";
    case RejectReason::kOversized:
      return "oversized";
    case RejectReason::kMalformedJson:
      return "malformed_json";
    case RejectReason::kUnknownMessageType:
      return "unknown_message_type";
    case RejectReason::kMissingField:
      return "missing_field";
    case RejectReason::kWrongType:
      return "wrong_type";
    case RejectReason::kBadNumber:
      return "bad_number";
    case RejectReason::kNonPositivePrice:
      return "non_positive_price";
    case RejectReason::kNegativeQuantity:
      return "negative_quantity";
    case RejectReason::kBadTimestamp:
      return "bad_timestamp";
    case RejectReason::kUnknownSymbol:
      return "unknown_symbol";
    case RejectReason::kTooManyLevels:
      return "too_many_levels";
    case RejectReason::kCount:
      break;
  }
  return "invalid";
}

std::uint64_t FeedStats::accepted() const noexcept {
  std::uint64_t n = 0;
  for (auto c : by_kind)
    n += c;
  return n;
}

std::uint64_t FeedStats::rejected() const noexcept {
  std::uint64_t n = 0;
  for (auto c : by_reject)
    n += c;
  return n;
}

void FeedStats::merge(const FeedStats& other) noexcept {
  for (std::size_t i = 0; i < by_kind.size(); ++i)
    by_kind[i] += other.by_kind[i];
  for (std::size_t i = 0; i < by_reject.size(); ++i)
    by_reject[i] += other.by_reject[i];
  events += other.events;
  bytes += other.bytes;
}

}  // namespace be::feed
