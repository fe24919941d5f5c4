#include "strategies/bots/rsi_bot.hpp"

namespace be::bots {

RsiBot::RsiBot(const BotSetup& setup, const Params& params)
    : Bot(setup.id, setup.instrument.id, setup.seed),
      params_(params),
      info_(setup.instrument),
      timeframe_seconds_(setup.timeframe_seconds),
      rsi_(params.period) {}

std::unique_ptr<Bot> RsiBot::create(const BotSetup& setup, config::ObjectReader& p) {
  using config::Presence;
  Params params;
  bool ok = true;
  auto period = p.integer("period", Presence::kOptional, 2, 1000);
  auto oversold = p.number("oversold", Presence::kOptional, 0, 100);
  auto overbought = p.number("overbought", Presence::kOptional, 0, 100);
  auto quantity =
      p.decimal("quantity", setup.instrument.qty_scale, Presence::kOptional, 1, INT64_MAX);
  auto quote =
      p.decimal("quote_amount", setup.instrument.price_scale, Presence::kOptional, 1, INT64_MAX);
  if (p.has("period") && !period) ok = false;
  if (p.has("oversold") && !oversold) ok = false;
  if (p.has("overbought") && !overbought) ok = false;
  if ((p.has("quantity") && !quantity) || (p.has("quote_amount") && !quote)) ok = false;
  if (period) params.period = static_cast<int>(*period);
  if (oversold) params.oversold = *oversold;
  if (overbought) params.overbought = *overbought;
  if (params.oversold >= params.overbought && oversold && overbought) {
    p.error("oversold", "must be below overbought");
    ok = false;
  }
  if (p.has("quantity") == p.has("quote_amount")) {
    p.error("quantity", "give exactly one of quantity (base) or quote_amount (quote)");
    ok = false;
  }
  params.quantity = quantity.value_or(0);
  params.quote_amount = quote.value_or(0);
  if (!ok) return nullptr;
  return std::make_unique<RsiBot>(setup, params);
}

void RsiBot::on_bar(const Bar& bar, BotContext& ctx) {
  if (bar.instrument != instrument() || bar.interval_seconds != timeframe_seconds_ ||
      bar.closed == 0) {
    return;
  }
  if (!rsi_.update(bar, info_.price_scale, info_.qty_scale)) return;
  const double rsi = rsi_.value();
  if (has_previous_) {
    const bool crossed_below = previous_ >= params_.oversold && rsi < params_.oversold;
    const bool crossed_above = previous_ <= params_.overbought && rsi > params_.overbought;
    const std::int64_t position = ctx.position(instrument());
    if (crossed_below && position == 0) {
      if (!ctx.tradable(instrument()) || entry_pending_) {
        ++signals_skipped_;
      } else {
        OrderIntent intent;
        intent.instrument = instrument();
        intent.side = Side::kBuy;
        intent.type = OrderType::kMarket;
        intent.quantity = params_.quantity;
        intent.quote_amount = params_.quote_amount;
        intent.tag = kEntry;
        ctx.submit(intent);
        entry_pending_ = true;
      }
    } else if (crossed_above && position > 0) {
      if (!ctx.tradable(instrument()) || exit_pending_) {
        ++signals_skipped_;
      } else {
        OrderIntent intent;
        intent.instrument = instrument();
        intent.side = Side::kSell;
        intent.type = OrderType::kMarket;
        intent.quantity = position;
        intent.flags = OrderIntent::kReduceOnly;
        intent.tag = kExit;
        ctx.submit(intent);
        exit_pending_ = true;
      }
    }
  }
  previous_ = rsi;
  has_previous_ = true;
}

void RsiBot::on_order_update(const BotOrderUpdate& update, BotContext& /*ctx*/) {
  const bool done = update.status != BotOrderStatus::kAccepted &&
                    update.status != BotOrderStatus::kPartiallyFilled;
  if (!done) return;
  if (update.tag == kEntry) entry_pending_ = false;
  if (update.tag == kExit) exit_pending_ = false;
}

void RsiBot::save_fields(StateWriter& w) const {
  save_indicator(w, rsi_);
  w.put(previous_);
  w.put(has_previous_);
  w.put(entry_pending_);
  w.put(exit_pending_);
  w.put(signals_skipped_);
}

bool RsiBot::load_fields(StateReader& r) {
  if (!load_indicator(r, rsi_)) return false;
  r.get(previous_);
  r.get(has_previous_);
  r.get(entry_pending_);
  r.get(exit_pending_);
  r.get(signals_skipped_);
  return !r.failed();
}

}  // namespace be::bots
