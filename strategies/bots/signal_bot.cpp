#include "strategies/bots/signal_bot.hpp"

#include "core/fixed_point.hpp"
#include "strategies/indicators/state.hpp"

namespace be::bots {

__extension__ typedef __int128 Wide;

bool OrderSizing::read(config::ObjectReader& p, const InstrumentInfo& info, OrderSizing& out,
                       std::string_view fraction_key) {
  using config::Presence;
  const int given = static_cast<int>(p.has("quantity")) + static_cast<int>(p.has("quote_amount")) +
                    static_cast<int>(p.has(fraction_key));
  auto quantity = p.decimal("quantity", info.qty_scale, Presence::kOptional, 1, INT64_MAX);
  auto quote = p.decimal("quote_amount", info.price_scale, Presence::kOptional, 1, INT64_MAX);
  auto fraction = p.decimal(fraction_key, 6, Presence::kOptional, 1, 1'000'000);
  if (given != 1) {
    p.error("quantity", "give exactly one of quantity (base), quote_amount (quote) or " +
                            std::string(fraction_key) + " (share of capital, 0 to 1)");
    return false;
  }
  if ((p.has("quantity") && !quantity) || (p.has("quote_amount") && !quote) ||
      (p.has(fraction_key) && !fraction)) {
    return false;
  }
  out.quantity = quantity.value_or(0);
  out.quote_amount = quote.value_or(0);
  out.capital_ppm = fraction.value_or(0);
  return true;
}

bool read_optional(config::ObjectReader& p, std::string_view key, int min, int max, int& out) {
  const auto value = p.integer(key, config::Presence::kOptional, min, max);
  if (value) out = static_cast<int>(*value);
  return value || !p.has(key);
}

bool read_optional(config::ObjectReader& p, std::string_view key, double min, double max,
                   double& out) {
  const auto value = p.number(key, config::Presence::kOptional, min, max);
  if (value) out = *value;
  return value || !p.has(key);
}

double SignalBot::to_price(std::int64_t fixed) const noexcept {
  return static_cast<double>(fixed) / static_cast<double>(pow10(info_.price_scale));
}

void SignalBot::on_bar(const Bar& bar, BotContext& ctx) {
  if (bar.instrument != instrument() || bar.interval_seconds != timeframe_seconds_ ||
      bar.closed == 0) {
    return;
  }
  const std::int64_t position = ctx.position(instrument());
  const Signal signal = evaluate(bar, position > 0);
  if (signal == Signal::kEntry && position == 0) {
    if (entry_pending_ || !ctx.tradable(instrument()) || !active(ctx.now())) {
      ++signals_skipped_;
      return;
    }
    OrderIntent intent =
        market_intent(instrument(), Side::kBuy, sizing_.quantity, sizing_.quote_amount, kEntry);
    if (sizing_.capital_ppm > 0) {
      intent.quote_amount = static_cast<std::int64_t>(
          static_cast<Wide>(ctx.available_quote(instrument())) * sizing_.capital_ppm / 1'000'000);
      if (intent.quote_amount <= 0) {
        ++signals_skipped_;
        return;
      }
    }
    ctx.submit(intent);
    entry_pending_ = true;
  } else if (signal == Signal::kExit && position > 0) {
    if (exit_pending_ || !ctx.tradable(instrument())) {
      ++signals_skipped_;
      return;
    }
    const OrderIntent intent =
        market_intent(instrument(), Side::kSell, position, 0, kExit, OrderIntent::kReduceOnly);
    ctx.submit(intent);
    exit_pending_ = true;
  }
}

void SignalBot::on_fill(const BotFill& fill, BotContext& /*ctx*/) {
  if (fill.instrument != instrument()) return;
  if (fill.side == Side::kBuy) {
    entry_quantity_ += fill.quantity;
    entry_cost_ += static_cast<Wide>(fill.price) * fill.quantity;
  } else {
    entry_quantity_ -= fill.quantity < entry_quantity_ ? fill.quantity : entry_quantity_;
    if (entry_quantity_ == 0) entry_cost_ = 0;
  }
  entry_price_ = entry_quantity_ > 0 ? static_cast<std::int64_t>(entry_cost_ / entry_quantity_) : 0;
}

void SignalBot::on_order_update(const BotOrderUpdate& update, BotContext& /*ctx*/) {
  const bool done = is_final(update.status);
  if (!done) return;
  if (update.tag == kEntry) entry_pending_ = false;
  if (update.tag == kExit) exit_pending_ = false;
}

}  // namespace be::bots
