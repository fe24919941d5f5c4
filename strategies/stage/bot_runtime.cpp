// The strategy stage, running bots: the BotContext through which a bot submits, cancels and
// arms timers; venue order updates turned into the bot's fills, position and order updates;
// the bots' own timers fired in deadline order. Hot path: nothing here allocates.
#include <algorithm>
#include <limits>

#include "core/codes.hpp"
#include "core/order_intent.hpp"
#include "strategies/stage/stage_state.hpp"

namespace be::stage {
namespace {

// What an order event means to the bot that placed the order. Events not listed (cancel
// requested or rejected, connection lost, reconciled new, a number this build does not know)
// change nothing the bot sees.
struct BotStatusOf {
  OrderEvent event;
  bots::BotOrderStatus status;
};
constexpr BotStatusOf kBotStatuses[] = {
    {OrderEvent::kAccepted, bots::BotOrderStatus::kAccepted},
    {OrderEvent::kPartialFill, bots::BotOrderStatus::kPartiallyFilled},
    {OrderEvent::kReconciledPartial, bots::BotOrderStatus::kPartiallyFilled},
    {OrderEvent::kFill, bots::BotOrderStatus::kFilled},
    {OrderEvent::kReconciledFilled, bots::BotOrderStatus::kFilled},
    {OrderEvent::kRejected, bots::BotOrderStatus::kRejected},
    {OrderEvent::kReconciledNotFound, bots::BotOrderStatus::kRejected},
    {OrderEvent::kCanceled, bots::BotOrderStatus::kCanceled},
    {OrderEvent::kReconciledCanceled, bots::BotOrderStatus::kCanceled},
    {OrderEvent::kExpired, bots::BotOrderStatus::kExpired},
    {OrderEvent::kReconciledExpired, bots::BotOrderStatus::kExpired},
};

const bots::BotOrderStatus* bot_status_of(OrderEvent event) noexcept {
  for (const BotStatusOf& entry : kBotStatuses) {
    if (entry.event == event) return &entry.status;
  }
  return nullptr;
}

}  // namespace

void StrategyStage::Context::submit(const OrderIntent& requested) noexcept {
  OrderIntent intent = requested;
  intent.bot = slot_.bot->id();
  const bool entry = !intent.reduce_only();
  // A paused bot, or an entry on an instrument in safe mode, is held back: the intent is
  // journaled flagged kFlagHeld and comes back to the bot as a local reject, so the bot
  // knows (it never waits for an order that was not sent).
  const bool held =
      slot_.state != BotState::kRunning || (entry && !stage_.health_.tradable(intent.instrument));
  if (held) ++slot_.suppressed;
  if (stage_.intents_this_input_ >= stage_.capacity_.intents_per_input ||
      slot_.orders.size() >= stage_.capacity_.orders_per_bot) {
    ++stage_.stats_["intents_dropped"];
    return;
  }
  intent.cause = client_sequence(stage_.input_ordinal_, stage_.intents_this_input_++);
  slot_.orders.push_back(
      TrackedOrder{.client_sequence = intent.cause,
                   .instrument = intent.instrument,
                   .tag = intent.tag,
                   .side = intent.side,
                   .price = intent.price,
                   .quantity = intent.quantity});  // capacity reserved at creation: no allocation
  if (intent.side == Side::kBuy && intent.type == OrderType::kLimit) {
    if (const auto* info = stage_.instrument(intent.instrument)) {
      slot_.open_buy_quote += notional(intent.price, intent.quantity, info->qty_scale);
    }
  }
  ++stage_.stats_["intents"];
  out_.emit(intent, stage_.now_, 0,
            static_cast<std::uint16_t>(kFlagDerived | (held ? kFlagHeld : kFlagNone)));
}

void StrategyStage::Context::cancel(InstrumentId instrument, std::uint32_t tag) noexcept {
  for (const TrackedOrder& o : slot_.orders) {
    if (o.instrument != instrument || (tag != 0 && o.tag != tag)) continue;
    ++stage_.stats_["cancels"];
    emit_cancel(slot_.bot->id(), o, stage_.now_, out_);
  }
}

void StrategyStage::Context::set_timer(std::uint32_t timer_id, Nanos deadline) noexcept {
  for (TimerSlot& t : slot_.timers) {
    if (t.armed && t.id == timer_id) {
      t.deadline = deadline;
      stage_.timer_floor_ = std::min(stage_.timer_floor_, deadline);
      return;
    }
  }
  for (TimerSlot& t : slot_.timers) {
    if (!t.armed) {
      t = {timer_id, 1, deadline};
      stage_.timer_floor_ = std::min(stage_.timer_floor_, deadline);
      return;
    }
  }
  ++stage_.stats_["intents_dropped"];  // no free timer slot: a configuration limit
}

std::int64_t StrategyStage::Context::available_quote(InstrumentId id) const noexcept {
  const auto i = index_of(id);
  if (i >= stage_.instruments_.size() || !stage_.instruments_[i].defined) return 0;
  const auto asset = index_of(stage_.instruments_[i].quote);
  const std::int64_t free =
      asset < stage_.free_quote_.size() ? stage_.free_quote_[asset] : std::int64_t{0};
  return std::max<std::int64_t>(0, free - slot_.open_buy_quote);
}

void StrategyStage::on_order_update(const OrderUpdate& update, Nanos /*t*/, Outbox& out) {
  BotSlot* slot = find(update.bot);
  if (slot == nullptr) {
    ++stats_["unknown_orders"];
    return;
  }
  auto it = std::find_if(slot->orders.begin(), slot->orders.end(), [&](const TrackedOrder& o) {
    return o.client_sequence == update.client_sequence;
  });
  if (it == slot->orders.end()) {
    ++stats_["unknown_orders"];
    return;
  }
  // By index, not by reference: the bot's on_fill may place orders, and the order is read
  // again after it. (The table never moves today, its capacity reserved at creation; this keeps
  // that an optimisation rather than what correctness hangs on.)
  const auto index = static_cast<std::size_t>(it - slot->orders.begin());
  TrackedOrder& order_before = *it;  // valid until the bot's first call
  const bots::InstrumentInfo* info = instrument(order_before.instrument);
  const int qty_scale = info != nullptr ? info->qty_scale : 8;
  Context ctx(*this, *slot, out);
  const auto event = static_cast<OrderEvent>(update.event);
  const bool is_fill = event == OrderEvent::kPartialFill || event == OrderEvent::kFill;
  if (is_fill && update.last_quantity > 0) {
    const std::int64_t q = update.last_quantity;
    order_before.filled += q;
    slot->position += order_before.side == Side::kBuy ? q : -q;
    ++slot->fills;
    const std::int64_t value = notional(update.last_price, q, qty_scale);
    if (info != nullptr) {
      const auto quote = index_of(instruments_[index_of(order_before.instrument)].quote);
      if (quote < free_quote_.size()) {
        free_quote_[quote] +=
            order_before.side == Side::kBuy ? -(value + update.fee) : value - update.fee;
      }
    }
    if (order_before.side == Side::kBuy && order_before.price != 0) {
      slot->open_buy_quote -= notional(order_before.price, q, qty_scale);
    }
    bots::BotFill fill;
    fill.instrument = order_before.instrument;
    fill.side = order_before.side;
    fill.tag = order_before.tag;
    fill.price = update.last_price;
    fill.quantity = q;
    fill.fee = update.fee;
    slot->bot->on_fill(fill, ctx);
  }
  const TrackedOrder& order = slot->orders[index];
  bots::BotOrderUpdate u{.instrument = order.instrument,
                         .tag = order.tag,
                         .side = order.side,
                         .price = order.price,
                         .quantity = order.quantity,
                         .filled_quantity = order.filled};
  const bots::BotOrderStatus* status = bot_status_of(event);
  if (status == nullptr) {  // nothing the bot's view of the order changes on
    fail_if_stopped(*slot, out);
    return;
  }
  u.status = *status;
  const bool closed = bots::is_final(u.status);
  if (closed) {
    if (order.side == Side::kBuy && order.price != 0 && order.quantity > order.filled) {
      slot->open_buy_quote -= notional(order.price, order.quantity - order.filled, qty_scale);
    }
    // No allocation: an erase moves the later orders down within the table.
    slot->orders.erase(slot->orders.begin() + static_cast<std::ptrdiff_t>(index));
  }
  slot->bot->on_order_update(u, ctx);
  fail_if_stopped(*slot, out);
}

void StrategyStage::fire_timers(Nanos t, Outbox& out) {
  if (t < timer_floor_) return;
  // Deadline order across bots; ties by bot id (map order) then timer slot order. Each scan
  // also finds the earliest armed deadline (a stopped bot's too: it may start again), the
  // floor below which the next call need not scan.
  for (;;) {
    BotSlot* best_slot = nullptr;
    TimerSlot* best = nullptr;
    Nanos floor = std::numeric_limits<Nanos>::max();
    for (auto& [id, slot] : bots_) {
      const bool runs = slot->receives_callbacks();
      for (TimerSlot& timer : slot->timers) {
        if (!timer.armed) continue;
        floor = std::min(floor, timer.deadline);
        if (runs && timer.deadline <= t && (best == nullptr || timer.deadline < best->deadline)) {
          best = &timer;
          best_slot = slot.get();
        }
      }
    }
    if (best == nullptr) {
      timer_floor_ = floor;
      return;
    }
    const std::uint32_t id = best->id;
    best->armed = 0;
    Context ctx(*this, *best_slot, out);
    best_slot->bot->timer(id, ctx);
    fail_if_stopped(*best_slot, out);
  }
}

}  // namespace be::stage
