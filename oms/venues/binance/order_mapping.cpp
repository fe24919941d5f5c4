// Venue reports -> OrderUpdate: the execution types and order statuses Binance names, and
// what each means to the order state machine (journal-stable event numbers, core/codes.hpp).
#include <array>
#include <optional>

#include "core/names.hpp"
#include "oms/order_state_machine.hpp"
#include "oms/venue.hpp"
#include "oms/venues/binance/messages.hpp"

namespace be::binance {

namespace {

// Binance's words for the execution types and order statuses we tell apart; kOther (last)
// stands for every other word.
constexpr std::array<Named<ExecType>, 7> kExecTypeNames{{
    {ExecType::kNew, "NEW"},
    {ExecType::kCanceled, "CANCELED"},
    {ExecType::kReplaced, "REPLACED"},
    {ExecType::kRejected, "REJECTED"},
    {ExecType::kTrade, "TRADE"},
    {ExecType::kExpired, "EXPIRED"},
    {ExecType::kTradePrevention, "TRADE_PREVENTION"},
}};
static_assert(names_every_code(kExecTypeNames, static_cast<std::size_t>(ExecType::kOther)),
              "a new ExecType needs Binance's word for it here");

constexpr std::array<Named<OrderStatus>, 8> kOrderStatusNames{{
    {OrderStatus::kNew, "NEW"},
    {OrderStatus::kPartiallyFilled, "PARTIALLY_FILLED"},
    {OrderStatus::kFilled, "FILLED"},
    {OrderStatus::kCanceled, "CANCELED"},
    {OrderStatus::kPendingCancel, "PENDING_CANCEL"},
    {OrderStatus::kRejected, "REJECTED"},
    {OrderStatus::kExpired, "EXPIRED"},
    {OrderStatus::kExpiredInMatch, "EXPIRED_IN_MATCH"},
}};
static_assert(names_every_code(kOrderStatusNames, static_cast<std::size_t>(OrderStatus::kOther)),
              "a new OrderStatus needs Binance's word for it here");

}  // namespace

ExecType parse_exec_type(std::string_view t) noexcept {
  return code_of(kExecTypeNames, t).value_or(ExecType::kOther);
}

OrderStatus parse_order_status(std::string_view t) noexcept {
  return code_of(kOrderStatusNames, t).value_or(OrderStatus::kOther);
}

namespace {

// The order event an execution report stands for; nothing for the ones that change no state
// (REPLACED and types we do not know).
std::optional<oms::OrderEvent> event_of(const ExecutionReport& r) noexcept {
  switch (r.exec) {
    case ExecType::kNew:
      return oms::OrderEvent::kAccepted;
    case ExecType::kTrade:
      return r.status == OrderStatus::kFilled ? oms::OrderEvent::kFill
                                              : oms::OrderEvent::kPartialFill;
    case ExecType::kCanceled:
      return oms::OrderEvent::kCanceled;
    case ExecType::kRejected:
      return oms::OrderEvent::kRejected;
    case ExecType::kExpired:
    case ExecType::kTradePrevention:
      return oms::OrderEvent::kExpired;
    case ExecType::kReplaced:
    case ExecType::kOther:
      break;
  }
  return std::nullopt;
}

// What reconciliation makes of each order status (in OrderStatus order); an open order with
// fills is partially filled.
constexpr std::array<oms::OrderEvent, 9> kReconciledAs = {
    oms::OrderEvent::kReconciledNew,       // kNew
    oms::OrderEvent::kReconciledPartial,   // kPartiallyFilled
    oms::OrderEvent::kReconciledFilled,    // kFilled
    oms::OrderEvent::kReconciledCanceled,  // kCanceled
    oms::OrderEvent::kReconciledNew,       // kPendingCancel
    oms::OrderEvent::kReconciledNotFound,  // kRejected: never lived at the venue
    oms::OrderEvent::kReconciledExpired,   // kExpired
    oms::OrderEvent::kReconciledExpired,   // kExpiredInMatch
    oms::OrderEvent::kReconciledNotFound,  // kOther
};
static_assert(kReconciledAs.size() == static_cast<std::size_t>(OrderStatus::kOther) + 1);

}  // namespace

std::optional<OrderUpdate> to_order_update(const ExecutionReport& r, AccountId account) noexcept {
  const std::optional<oms::OrderEvent> event = event_of(r);
  if (!r.ours || !event) return std::nullopt;
  OrderUpdate u =
      oms::order_update(r.client.bot, r.client.sequence, r.instrument, account, *event, 0);
  u.venue_order_id = r.order_id;
  u.cumulative_quantity = r.cumulative_quantity;
  if (r.exec == ExecType::kTrade) {
    u.last_price = r.last_price;
    u.last_quantity = r.last_quantity;
    u.fee = r.fee;
    u.trade_id = r.trade_id;
    u.liquidity = r.maker ? OrderUpdate::kMaker : OrderUpdate::kTaker;
  }
  return u;
}

OrderUpdate reconciled_update(const OrderSnapshot& o, AccountId account) noexcept {
  oms::OrderEvent e = kReconciledAs[static_cast<std::size_t>(o.status)];
  if (e == oms::OrderEvent::kReconciledNew && o.executed_quantity > 0) {
    e = oms::OrderEvent::kReconciledPartial;
  }
  OrderUpdate u = oms::order_update(o.client.bot, o.client.sequence, o.instrument, account, e, 0);
  u.venue_order_id = o.order_id;
  u.cumulative_quantity = o.executed_quantity;
  u.last_price = o.price;
  return u;
}

}  // namespace be::binance
