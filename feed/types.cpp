#include "feed/types.hpp"

#include "core/names.hpp"

namespace be::feed {

constexpr std::array<Named<MessageKind>, 27> kMessageKindNames{{
    {MessageKind::kUnknown, "unknown"},
    {MessageKind::kBinanceTrade, "binance.trade"},
    {MessageKind::kBinanceAggTrade, "binance.aggTrade"},
    {MessageKind::kBinanceBookTicker, "binance.bookTicker"},
    {MessageKind::kBinanceKline, "binance.kline"},
    {MessageKind::kBinanceDepthUpdate, "binance.depthUpdate"},
    {MessageKind::kBinanceDepthSnapshot, "binance.depthSnapshot"},
    {MessageKind::kBinanceExchangeInfo, "binance.exchangeInfo"},
    {MessageKind::kBinanceResponse, "binance.response"},
    {MessageKind::kCoinbaseTicker, "coinbase.ticker"},
    {MessageKind::kCoinbaseMatch, "coinbase.match"},
    {MessageKind::kCoinbaseLastMatch, "coinbase.last_match"},
    {MessageKind::kCoinbaseSnapshot, "coinbase.snapshot"},
    {MessageKind::kCoinbaseL2Update, "coinbase.l2update"},
    {MessageKind::kCoinbaseHeartbeat, "coinbase.heartbeat"},
    {MessageKind::kCoinbaseSubscriptions, "coinbase.subscriptions"},
    {MessageKind::kCoinbaseError, "coinbase.error"},
    {MessageKind::kKrakenTicker, "kraken.ticker"},
    {MessageKind::kKrakenTrade, "kraken.trade"},
    {MessageKind::kKrakenBookSnapshot, "kraken.book.snapshot"},
    {MessageKind::kKrakenBookUpdate, "kraken.book.update"},
    {MessageKind::kKrakenHeartbeat, "kraken.heartbeat"},
    {MessageKind::kKrakenSystemStatus, "kraken.systemStatus"},
    {MessageKind::kKrakenSubscriptionStatus, "kraken.subscriptionStatus"},
    {MessageKind::kKrakenV2Ticker, "kraken.v2.ticker"},
    {MessageKind::kKrakenV2Trade, "kraken.v2.trade"},
    {MessageKind::kKrakenV2Status, "kraken.v2.status"},
}};
static_assert(names_every_code(kMessageKindNames, static_cast<std::size_t>(MessageKind::kCount)),
              "a new MessageKind needs its name here");

std::string_view to_string(MessageKind kind) noexcept {
  return name_of(kMessageKindNames, kind, "invalid");
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

constexpr std::array<Named<RejectReason>, 13> kRejectReasonNames{{
    {RejectReason::kNone, "none"},
    {RejectReason::kEmpty, "empty"},
    {RejectReason::kOversized, "oversized"},
    {RejectReason::kMalformedJson, "malformed_json"},
    {RejectReason::kUnknownMessageType, "unknown_message_type"},
    {RejectReason::kMissingField, "missing_field"},
    {RejectReason::kWrongType, "wrong_type"},
    {RejectReason::kBadNumber, "bad_number"},
    {RejectReason::kNonPositivePrice, "non_positive_price"},
    {RejectReason::kNegativeQuantity, "negative_quantity"},
    {RejectReason::kBadTimestamp, "bad_timestamp"},
    {RejectReason::kUnknownSymbol, "unknown_symbol"},
    {RejectReason::kTooManyLevels, "too_many_levels"},
}};
static_assert(names_every_code(kRejectReasonNames, static_cast<std::size_t>(RejectReason::kCount)),
              "a new RejectReason needs its name here");

std::string_view to_string(RejectReason reason) noexcept {
  return name_of(kRejectReasonNames, reason, "invalid");
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
