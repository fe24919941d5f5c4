// Venue reports -> OrderUpdate: the execution types and order statuses Binance names, and
// what each means to the order state machine (journal-stable event numbers, core/codes.hpp).
#include <array>

#include "core/names.hpp"
#include "oms/order_state_machine.hpp"
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

std::optional<OrderUpdate> to_order_update(const ExecutionReport& r, AccountId account) noexcept {
  if (!r.ours) return std::nullopt;
  OrderUpdate u;
  u.bot = r.client.bot;
  u.client_sequence = r.client.sequence;
  u.instrument = r.instrument;
  u.account = account;
  u.venue_order_id = r.order_id;
  u.cumulative_quantity = r.cumulative_quantity;
  switch (r.exec) {
    case ExecType::kNew:
      u.event = static_cast<std::uint8_t>(oms::OrderEvent::kAccepted);
      return u;
    case ExecType::kTrade:
      u.event = static_cast<std::uint8_t>(r.status == OrderStatus::kFilled
                                              ? oms::OrderEvent::kFill
                                              : oms::OrderEvent::kPartialFill);
      u.last_price = r.last_price;
      u.last_quantity = r.last_quantity;
      u.fee = r.fee;
      u.trade_id = r.trade_id;
      u.liquidity = r.maker ? OrderUpdate::kMaker : OrderUpdate::kTaker;
      return u;
    case ExecType::kCanceled:
      u.event = static_cast<std::uint8_t>(oms::OrderEvent::kCanceled);
      return u;
    case ExecType::kRejected:
      u.event = static_cast<std::uint8_t>(oms::OrderEvent::kRejected);
      return u;
    case ExecType::kExpired:
    case ExecType::kTradePrevention:
      u.event = static_cast<std::uint8_t>(oms::OrderEvent::kExpired);
      return u;
    case ExecType::kReplaced:
    case ExecType::kOther:
      break;
  }
  return std::nullopt;
}

OrderUpdate reconciled_update(const OrderSnapshot& o, AccountId account) noexcept {
  OrderUpdate u;
  u.bot = o.client.bot;
  u.client_sequence = o.client.sequence;
  u.instrument = o.instrument;
  u.account = account;
  u.venue_order_id = o.order_id;
  u.cumulative_quantity = o.executed_quantity;
  u.last_price = o.price;
  oms::OrderEvent e = oms::OrderEvent::kReconciledNotFound;
  switch (o.status) {
    case OrderStatus::kNew:
    case OrderStatus::kPendingCancel:
      e = o.executed_quantity > 0 ? oms::OrderEvent::kReconciledPartial
                                  : oms::OrderEvent::kReconciledNew;
      break;
    case OrderStatus::kPartiallyFilled:
      e = oms::OrderEvent::kReconciledPartial;
      break;
    case OrderStatus::kFilled:
      e = oms::OrderEvent::kReconciledFilled;
      break;
    case OrderStatus::kCanceled:
      e = oms::OrderEvent::kReconciledCanceled;
      break;
    case OrderStatus::kExpired:
    case OrderStatus::kExpiredInMatch:
      e = oms::OrderEvent::kReconciledExpired;
      break;
    case OrderStatus::kRejected:  // never lived at the venue
    case OrderStatus::kOther:
      e = oms::OrderEvent::kReconciledNotFound;
      break;
  }
  u.event = static_cast<std::uint8_t>(e);
  return u;
}

}  // namespace be::binance
