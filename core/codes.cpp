#include "core/codes.hpp"

#include "core/names.hpp"

namespace be {
namespace {

constexpr std::array<Named<OrderEvent>, kOrderEventCount> kOrderEventNames{{
    {OrderEvent::kAccepted, "accepted"},
    {OrderEvent::kPartialFill, "partial_fill"},
    {OrderEvent::kFill, "fill"},
    {OrderEvent::kRejected, "rejected"},
    {OrderEvent::kCancelRequested, "cancel_requested"},
    {OrderEvent::kCanceled, "canceled"},
    {OrderEvent::kCancelRejected, "cancel_rejected"},
    {OrderEvent::kExpired, "expired"},
    {OrderEvent::kConnectionLost, "connection_lost"},
    {OrderEvent::kReconciledNew, "reconciled_new"},
    {OrderEvent::kReconciledPartial, "reconciled_partial"},
    {OrderEvent::kReconciledFilled, "reconciled_filled"},
    {OrderEvent::kReconciledCanceled, "reconciled_canceled"},
    {OrderEvent::kReconciledExpired, "reconciled_expired"},
    {OrderEvent::kReconciledNotFound, "reconciled_not_found"},
}};
static_assert(names_every_code(kOrderEventNames, kOrderEventCount),
              "a new OrderEvent needs its name here");

constexpr std::array<Named<RiskRejectReason>, kRejectReasonCount> kRiskRejectNames{{
    {RiskRejectReason::kNone, "none"},
    {RiskRejectReason::kUnknownInstrument, "unknown_instrument"},
    {RiskRejectReason::kUnknownBot, "unknown_bot"},
    {RiskRejectReason::kInvalidIntent, "invalid_intent"},
    {RiskRejectReason::kKillSwitch, "kill_switch"},
    {RiskRejectReason::kCircuitOpen, "circuit_open"},
    {RiskRejectReason::kReduceOnlyWouldIncrease, "reduce_only_would_increase"},
    {RiskRejectReason::kNoReferencePrice, "no_reference_price"},
    {RiskRejectReason::kQuoteAmountTooSmall, "quote_amount_too_small"},
    {RiskRejectReason::kTickSize, "tick_size"},
    {RiskRejectReason::kStepSize, "step_size"},
    {RiskRejectReason::kMinNotional, "min_notional"},
    {RiskRejectReason::kPriceBand, "price_band"},
    {RiskRejectReason::kMaxOrderQuantity, "max_order_quantity"},
    {RiskRejectReason::kMaxOrderNotional, "max_order_notional"},
    {RiskRejectReason::kMaxPositionQuantity, "max_position_quantity"},
    {RiskRejectReason::kMaxPositionNotional, "max_position_notional"},
    {RiskRejectReason::kMaxOpenOrders, "max_open_orders"},
    {RiskRejectReason::kMaxDailyLoss, "max_daily_loss"},
    {RiskRejectReason::kMaxDrawdown, "max_drawdown"},
    {RiskRejectReason::kMaxDailyTrades, "max_daily_trades"},
    {RiskRejectReason::kInsufficientBalance, "insufficient_balance"},
    {RiskRejectReason::kOrderRateThrottle, "order_rate_throttle"},
    {RiskRejectReason::kCancelRateThrottle, "cancel_rate_throttle"},
    {RiskRejectReason::kDiskReserve, "disk_reserve"},
}};
static_assert(names_every_code(kRiskRejectNames, kRejectReasonCount),
              "a new RiskRejectReason needs its name here");

constexpr std::array<Named<Side>, 3> kSideNames{{
    {Side::kNone, "none"},
    {Side::kBuy, "buy"},
    {Side::kSell, "sell"},
}};
static_assert(names_every_code(kSideNames, 3), "a new Side needs its name here");

constexpr std::array<Named<BotStatusReason>, 7> kBotStatusReasonNames{{
    {BotStatusReason::kOperator, "operator"},
    {BotStatusReason::kCircuitBreaker, "circuit_breaker"},
    {BotStatusReason::kKillSwitch, "kill_switch"},
    {BotStatusReason::kConfigError, "config_error"},
    {BotStatusReason::kShutdown, "shutdown"},
    {BotStatusReason::kRecovered, "recovered"},
    {BotStatusReason::kScriptError, "script_error"},
}};
static_assert(names_every_code(kBotStatusReasonNames, 7),
              "a new BotStatusReason needs its name here");

constexpr std::array<Named<ConnectivityState>, 5> kConnectivityNames{{
    {ConnectivityState::kConnected, "connected"},
    {ConnectivityState::kDisconnected, "disconnected"},
    {ConnectivityState::kStale, "stale"},
    {ConnectivityState::kRecovered, "recovered"},
    {ConnectivityState::kGap, "gap"},
}};

constexpr std::array<Named<NotificationKind>, kNotificationKinds.size()> kNotificationNames{{
    {NotificationKind::kTrade, "trade"},
    {NotificationKind::kStopLoss, "stop_loss"},
    {NotificationKind::kTakeProfit, "take_profit"},
    {NotificationKind::kTrailingStop, "trailing_stop"},
    {NotificationKind::kRiskReject, "risk_reject"},
    {NotificationKind::kKillSwitch, "kill_switch"},
    {NotificationKind::kBotError, "bot_error"},
    {NotificationKind::kFeedStatus, "feed_status"},
    {NotificationKind::kBotStatus, "bot_status"},
    {NotificationKind::kReplicaDivergence, "replica_divergence"},
}};

}  // namespace

std::string_view to_string(OrderEvent e) noexcept {
  return name_of(kOrderEventNames, e, "invalid");
}
std::string_view to_string(RiskRejectReason r) noexcept {
  return name_of(kRiskRejectNames, r);
}
std::string_view to_string(Side side) noexcept {
  return name_of(kSideNames, side, "none");
}
std::string_view to_string(BotStatusReason reason) noexcept {
  return name_of(kBotStatusReasonNames, reason);
}
std::string_view to_string(ConnectivityState s) noexcept {
  return name_of(kConnectivityNames, s);
}
std::string_view to_string(NotificationKind k) noexcept {
  return name_of(kNotificationNames, k);
}

std::optional<NotificationKind> notification_kind_from(std::string_view name) noexcept {
  return code_of(kNotificationNames, name);
}

}  // namespace be
