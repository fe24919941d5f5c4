#include "core/codes.hpp"

namespace be {
namespace {

// Names indexed by code minus the first code. A code past the table (a newer build's, or
// garbage) prints as `other`: names are for people, never parsed back by the engine.
template <std::size_t N>
struct NameTable {
  std::uint32_t first;
  std::array<std::string_view, N> names;
  std::string_view other = "unknown";
  std::string_view operator()(std::uint32_t code) const noexcept {
    return code >= first && code - first < N ? names[code - first] : other;
  }
};

constexpr NameTable<kOrderEventCount> kOrderEventNames{
    0,
    {"accepted", "partial_fill", "fill", "rejected", "cancel_requested", "canceled",
     "cancel_rejected", "expired", "connection_lost", "reconciled_new", "reconciled_partial",
     "reconciled_filled", "reconciled_canceled", "reconciled_expired", "reconciled_not_found"},
    "invalid"};
static_assert(static_cast<std::size_t>(OrderEvent::kReconciledNotFound) + 1 == kOrderEventCount,
              "a new OrderEvent needs its name here");

constexpr NameTable<kRejectReasonCount> kRiskRejectNames{0,
                                                         {"none",
                                                          "unknown_instrument",
                                                          "unknown_bot",
                                                          "invalid_intent",
                                                          "kill_switch",
                                                          "circuit_open",
                                                          "reduce_only_would_increase",
                                                          "no_reference_price",
                                                          "quote_amount_too_small",
                                                          "tick_size",
                                                          "step_size",
                                                          "min_notional",
                                                          "price_band",
                                                          "max_order_quantity",
                                                          "max_order_notional",
                                                          "max_position_quantity",
                                                          "max_position_notional",
                                                          "max_open_orders",
                                                          "max_daily_loss",
                                                          "max_drawdown",
                                                          "max_daily_trades",
                                                          "insufficient_balance",
                                                          "order_rate_throttle",
                                                          "cancel_rate_throttle"}};
static_assert(static_cast<std::size_t>(RiskRejectReason::kCancelRateThrottle) + 1 ==
                  kRejectReasonCount,
              "a new RiskRejectReason needs its name here");

constexpr NameTable<5> kConnectivityNames{
    1, {"connected", "disconnected", "stale", "recovered", "gap"}};
static_assert(static_cast<std::uint32_t>(ConnectivityState::kGap) == 5,
              "a new ConnectivityState needs its name here");

constexpr NameTable<kNotificationKinds.size()> kNotificationNames{
    1,
    {"trade", "stop_loss", "take_profit", "trailing_stop", "risk_reject", "kill_switch",
     "bot_error", "feed_status", "bot_status"}};
static_assert(static_cast<std::uint32_t>(NotificationKind::kBotStatus) == kNotificationKinds.size(),
              "a new NotificationKind needs its name here and in kNotificationKinds");

}  // namespace

std::string_view to_string(OrderEvent e) noexcept {
  return kOrderEventNames(static_cast<std::uint32_t>(e));
}
std::string_view to_string(RiskRejectReason r) noexcept {
  return kRiskRejectNames(static_cast<std::uint32_t>(r));
}
std::string_view to_string(ConnectivityState s) noexcept {
  return kConnectivityNames(static_cast<std::uint32_t>(s));
}
std::string_view to_string(NotificationKind k) noexcept {
  return kNotificationNames(static_cast<std::uint32_t>(k));
}

std::optional<NotificationKind> notification_kind_from(std::string_view name) noexcept {
  for (const NotificationKind k : kNotificationKinds) {
    if (to_string(k) == name) return k;
  }
  return std::nullopt;
}

}  // namespace be
