#include "core/codes.hpp"

namespace be {

std::string_view to_string(OrderEvent e) noexcept {
  switch (e) {
    case OrderEvent::kAccepted:
      return "accepted";
    case OrderEvent::kPartialFill:
      return "partial_fill";
    case OrderEvent::kFill:
      return "fill";
    case OrderEvent::kRejected:
      return "rejected";
    case OrderEvent::kCancelRequested:
      return "cancel_requested";
    case OrderEvent::kCanceled:
      return "canceled";
    case OrderEvent::kCancelRejected:
      return "cancel_rejected";
    case OrderEvent::kExpired:
      return "expired";
    case OrderEvent::kConnectionLost:
      return "connection_lost";
    case OrderEvent::kReconciledNew:
      return "reconciled_new";
    case OrderEvent::kReconciledPartial:
      return "reconciled_partial";
    case OrderEvent::kReconciledFilled:
      return "reconciled_filled";
    case OrderEvent::kReconciledCanceled:
      return "reconciled_canceled";
    case OrderEvent::kReconciledExpired:
      return "reconciled_expired";
    case OrderEvent::kReconciledNotFound:
      return "reconciled_not_found";
  }
  return "invalid";
}

std::string_view to_string(RiskRejectReason reason) noexcept {
  switch (reason) {
    case RiskRejectReason::kNone:
      return "none";
    case RiskRejectReason::kUnknownInstrument:
      return "unknown_instrument";
    case RiskRejectReason::kUnknownBot:
      return "unknown_bot";
    case RiskRejectReason::kInvalidIntent:
      return "invalid_intent";
    case RiskRejectReason::kKillSwitch:
      return "kill_switch";
    case RiskRejectReason::kCircuitOpen:
      return "circuit_open";
    case RiskRejectReason::kReduceOnlyWouldIncrease:
      return "reduce_only_would_increase";
    case RiskRejectReason::kNoReferencePrice:
      return "no_reference_price";
    case RiskRejectReason::kQuoteAmountTooSmall:
      return "quote_amount_too_small";
    case RiskRejectReason::kTickSize:
      return "tick_size";
    case RiskRejectReason::kStepSize:
      return "step_size";
    case RiskRejectReason::kMinNotional:
      return "min_notional";
    case RiskRejectReason::kPriceBand:
      return "price_band";
    case RiskRejectReason::kMaxOrderQuantity:
      return "max_order_quantity";
    case RiskRejectReason::kMaxOrderNotional:
      return "max_order_notional";
    case RiskRejectReason::kMaxPositionQuantity:
      return "max_position_quantity";
    case RiskRejectReason::kMaxPositionNotional:
      return "max_position_notional";
    case RiskRejectReason::kMaxOpenOrders:
      return "max_open_orders";
    case RiskRejectReason::kMaxDailyLoss:
      return "max_daily_loss";
    case RiskRejectReason::kMaxDrawdown:
      return "max_drawdown";
    case RiskRejectReason::kMaxDailyTrades:
      return "max_daily_trades";
    case RiskRejectReason::kInsufficientBalance:
      return "insufficient_balance";
    case RiskRejectReason::kOrderRateThrottle:
      return "order_rate_throttle";
    case RiskRejectReason::kCancelRateThrottle:
      return "cancel_rate_throttle";
  }
  return "unknown";
}

std::string_view to_string(ConnectivityState s) noexcept {
  switch (s) {
    case ConnectivityState::kConnected:
      return "connected";
    case ConnectivityState::kDisconnected:
      return "disconnected";
    case ConnectivityState::kStale:
      return "stale";
    case ConnectivityState::kRecovered:
      return "recovered";
    case ConnectivityState::kGap:
      return "gap";
  }
  return "unknown";
}

std::string_view to_string(NotificationKind k) noexcept {
  switch (k) {
    case NotificationKind::kTrade:
      return "trade";
    case NotificationKind::kStopLoss:
      return "stop_loss";
    case NotificationKind::kTakeProfit:
      return "take_profit";
    case NotificationKind::kTrailingStop:
      return "trailing_stop";
    case NotificationKind::kRiskReject:
      return "risk_reject";
    case NotificationKind::kKillSwitch:
      return "kill_switch";
    case NotificationKind::kBotError:
      return "bot_error";
    case NotificationKind::kFeedStatus:
      return "feed_status";
    case NotificationKind::kBotStatus:
      return "bot_status";
  }
  return "unknown";
}

std::optional<NotificationKind> notification_kind_from(std::string_view name) noexcept {
  for (const NotificationKind k : kNotificationKinds) {
    if (to_string(k) == name) return k;
  }
  return std::nullopt;
}

}  // namespace be
