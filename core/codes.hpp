// The journaled vocabulary: every code that travels in a record and is read by more than one
// stage or tool, with its number and its name, in one place: a journaled code has one owner.
// Producers and consumers import these; nobody copies a number by hand.
//
// Stable numbering: append, never renumber or reuse; a journal written by an older build
// must mean the same thing to a newer one. Names are what the API, the stream, the webhooks
// and `journal inspect` print: changing one changes their output.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/event.hpp"

namespace be {

// OrderUpdate.event: what happened to an order. The order state table (oms/) is its main
// consumer; the strategy and risk stages read it too.
enum class OrderEvent : std::uint8_t {
  kAccepted = 0,       // venue acknowledged the new order
  kPartialFill,        // a fill that leaves quantity open
  kFill,               // the fill that completes the order
  kRejected,           // venue refused the new order
  kCancelRequested,    // we send a cancel
  kCanceled,           // venue confirms the order is canceled
  kCancelRejected,     // venue refused our cancel (unknown order, already filled)
  kExpired,            // venue expired the remainder
  kConnectionLost,     // a crash or disconnect while the order's fate is open
  kReconciledNew,      // reconciliation: open at the venue, nothing filled
  kReconciledPartial,  // reconciliation: open at the venue, partly filled
  kReconciledFilled,
  kReconciledCanceled,
  kReconciledExpired,
  kReconciledNotFound,  // the venue does not know the order
};
inline constexpr std::size_t kOrderEventCount = 15;
std::string_view to_string(OrderEvent e) noexcept;

// RiskReject.reason and Notification.code of kRiskReject: why pre-trade risk refused an intent.
enum class RiskRejectReason : std::uint8_t {
  kNone = 0,  // accepted
  kUnknownInstrument = 1,
  kUnknownBot = 2,
  kInvalidIntent = 3,  // side, quantity, price or quote amount malformed
  kKillSwitch = 4,
  kCircuitOpen = 5,
  kReduceOnlyWouldIncrease = 6,
  kNoReferencePrice = 7,
  kQuoteAmountTooSmall = 8,  // a quote-amount buy rounds down to zero quantity
  kTickSize = 9,
  kStepSize = 10,
  kMinNotional = 11,
  kPriceBand = 12,
  kMaxOrderQuantity = 13,
  kMaxOrderNotional = 14,
  kMaxPositionQuantity = 15,
  kMaxPositionNotional = 16,
  kMaxOpenOrders = 17,
  kMaxDailyLoss = 18,
  kMaxDrawdown = 19,
  kMaxDailyTrades = 20,
  kInsufficientBalance = 21,
  kOrderRateThrottle = 22,
  kCancelRateThrottle = 23,
  kDiskReserve = 24,  // the journal's disk is below its reserve floor: only reductions pass
};
inline constexpr int kRejectReasonCount = 25;
std::string_view to_string(RiskRejectReason reason) noexcept;

// Side (core/ids.hpp): "buy", "sell", "none".
std::string_view to_string(Side side) noexcept;

// BotStatus.reason (core/event.hpp), as the read model and the API name it.
std::string_view to_string(BotStatusReason reason) noexcept;

// Connectivity.state (core/event.hpp) and Notification.code of kFeedStatus.
std::string_view to_string(ConnectivityState s) noexcept;

// Notification.kind (core/event.hpp), as webhook filters and the stream name them.
std::string_view to_string(NotificationKind k) noexcept;
inline constexpr std::array<NotificationKind, 10> kNotificationKinds{
    NotificationKind::kTrade,      NotificationKind::kStopLoss,
    NotificationKind::kTakeProfit, NotificationKind::kTrailingStop,
    NotificationKind::kRiskReject, NotificationKind::kKillSwitch,
    NotificationKind::kBotError,   NotificationKind::kFeedStatus,
    NotificationKind::kBotStatus,  NotificationKind::kReplicaDivergence};
// The kind a name names (the inverse of to_string), or nothing.
std::optional<NotificationKind> notification_kind_from(std::string_view name) noexcept;

}  // namespace be
