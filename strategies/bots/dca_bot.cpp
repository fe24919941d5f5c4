#include "strategies/bots/dca_bot.hpp"

#include <cmath>

#include "core/fixed_point.hpp"

namespace be::bots {

namespace {
__extension__ typedef __int128 Wide;

constexpr std::int64_t kPpmPerPercent = 10'000;  // 1% = 10,000 parts per million

std::int64_t round_down(std::int64_t value, std::int64_t step) noexcept {
  return step > 0 ? value - value % step : value;
}
std::int64_t round_up(std::int64_t value, std::int64_t step) noexcept {
  if (step <= 0 || value % step == 0) return value;
  return value - value % step + step;
}
}  // namespace

DcaBot::DcaBot(const BotSetup& setup, const Params& params,
               std::vector<cond::ConditionDef> triggers)
    : Bot(setup.id, setup.instrument.id, setup.seed),
      params_(params),
      info_(setup.instrument),
      triggers_(std::move(triggers)) {}

std::unique_ptr<Bot> DcaBot::create(const BotSetup& setup, config::ObjectReader& p) {
  using config::Presence;
  Params params;
  bool ok = true;
  const int ps = setup.instrument.price_scale;
  auto base = p.decimal("base_order_quote", ps, Presence::kRequired, 1, INT64_MAX);
  auto interval = p.integer("interval_minutes", Presence::kOptional, 1, 525'600);
  auto take_profit = p.decimal("take_profit_pct", 4, Presence::kRequired, 1, 1'000'000);
  ok = base.has_value() && take_profit.has_value() && !(p.has("interval_minutes") && !interval);
  if (auto safety = p.object("safety_orders", Presence::kOptional)) {
    auto count = safety->integer("count", Presence::kRequired, 1, kMaxSafetyOrders);
    auto quote = safety->decimal("quote", ps, Presence::kRequired, 1, INT64_MAX);
    auto deviation = safety->decimal("deviation_pct", 4, Presence::kRequired, 1, 990'000);
    auto step = safety->number("step_scale", Presence::kOptional, 0.1, 10.0);
    auto volume = safety->number("volume_scale", Presence::kOptional, 0.1, 10.0);
    safety->finish();
    if (!count || !quote || !deviation || (safety->has("step_scale") && !step) ||
        (safety->has("volume_scale") && !volume)) {
      ok = false;
    } else {
      params.safety_count = static_cast<std::uint32_t>(*count);
      params.safety_order_quote = *quote;
      params.deviation_ppm = *deviation;  // scale 4 percent == ppm
      params.step_scale = step.value_or(1.0);
      params.volume_scale = volume.value_or(1.0);
      // The deepest safety order must stay above zero.
      const double total =
          static_cast<double>(params.deviation_ppm) *
          (params.step_scale == 1.0
               ? params.safety_count
               : (std::pow(params.step_scale, params.safety_count) - 1) / (params.step_scale - 1));
      if (total >= static_cast<double>(100 * kPpmPerPercent)) {
        safety->error("deviation_pct", "the deepest safety order would be at or below zero");
        ok = false;
      }
    }
  } else if (p.has("safety_orders")) {
    ok = false;
  }
  std::vector<cond::ConditionDef> triggers;
  if (const config::Value* trigger = p.object_value("trigger")) {
    if (interval) {
      p.error("trigger", "give interval_minutes or trigger, not both");
      ok = false;
    }
    cond::ConditionContext context;
    context.default_instrument = setup.instrument.id;
    context.default_timeframe_seconds = setup.timeframe_seconds;
    context.resolve = [&setup](std::string_view symbol) -> std::optional<InstrumentId> {
      const InstrumentInfo* info =
          setup.resolve != nullptr ? (*setup.resolve)(setup.venue, symbol) : nullptr;
      return info != nullptr ? std::optional(info->id) : std::nullopt;
    };
    auto def = cond::read_condition(*trigger, p.field_path("trigger"), context, *p.errors());
    if (def) {
      triggers.push_back(std::move(*def));
    } else {
      ok = false;
    }
  }
  if (!ok) return nullptr;
  params.base_order_quote = *base;
  params.interval_minutes = interval.value_or(0);
  params.take_profit_ppm = *take_profit;
  return std::make_unique<DcaBot>(setup, params, std::move(triggers));
}

std::int64_t DcaBot::average_entry_price() const noexcept {
  if (quantity_ == 0) return 0;
  return static_cast<std::int64_t>(cost_ / quantity_);
}

std::int64_t DcaBot::safety_price(std::int64_t base_price, std::uint32_t i) const noexcept {
  double factor = 0;
  double step = 1;
  for (std::uint32_t k = 0; k < i; ++k) {
    factor += step;
    step *= params_.step_scale;
  }
  const auto deviation =
      static_cast<std::int64_t>(std::floor(static_cast<double>(params_.deviation_ppm) * factor));
  const Wide price =
      static_cast<Wide>(base_price) * (100 * kPpmPerPercent - deviation) / (100 * kPpmPerPercent);
  return round_down(static_cast<std::int64_t>(price), info_.tick_size);
}

std::int64_t DcaBot::safety_quote(std::uint32_t i) const noexcept {
  const double scale = std::pow(params_.volume_scale, static_cast<double>(i - 1));
  return static_cast<std::int64_t>(
      std::floor(static_cast<double>(params_.safety_order_quote) * scale));
}

void DcaBot::on_start(BotContext& ctx) {
  if (!triggers_.empty()) return;  // buys wait for the condition
  buy_base(ctx);
  if (params_.interval_minutes > 0) {
    ctx.set_timer(kIntervalTimer, ctx.now() + params_.interval_minutes * 60 * 1'000'000'000LL);
  }
}

void DcaBot::on_condition(std::uint32_t index, BotContext& ctx) {
  if (index < triggers_.size()) buy_base(ctx);
}

void DcaBot::on_timer(std::uint32_t timer_id, BotContext& ctx) {
  if (timer_id != kIntervalTimer) return;
  buy_base(ctx);
  ctx.set_timer(kIntervalTimer, ctx.now() + params_.interval_minutes * 60 * 1'000'000'000LL);
}

void DcaBot::buy_base(BotContext& ctx) {
  if (base_pending_ || !ctx.tradable(instrument()) || !active(ctx.now())) {
    ++skipped_;
    return;
  }
  ctx.submit(market_intent(instrument(), Side::kBuy, 0, params_.base_order_quote, kBase));
  base_pending_ = true;
}

void DcaBot::place_safety_orders(std::int64_t base_price, BotContext& ctx) {
  for (std::uint32_t i = 1; i <= params_.safety_count; ++i) {
    const std::int64_t price = safety_price(base_price, i);
    if (price <= 0) break;
    const Wide qty =
        static_cast<Wide>(safety_quote(i)) * static_cast<Wide>(pow10(info_.qty_scale)) / price;
    OrderIntent intent;
    intent.instrument = instrument();
    intent.side = Side::kBuy;
    intent.type = OrderType::kLimit;
    intent.price = price;
    intent.quantity = round_down(static_cast<std::int64_t>(qty), info_.step_size);
    intent.tag = kSafetyBase + i;
    if (intent.quantity > 0) ctx.submit(intent);
  }
  safety_placed_ = true;
}

void DcaBot::replace_take_profit(BotContext& ctx) {
  // Cancel by tag before the new one: the order manager handles the cancel first, so only
  // the previous take profit goes (its "canceled" update may arrive after the new one is live).
  if (take_profit_live_) ctx.cancel(instrument(), kTakeProfit);
  const Wide target = static_cast<Wide>(average_entry_price()) *
                      (100 * kPpmPerPercent + params_.take_profit_ppm) / (100 * kPpmPerPercent);
  OrderIntent intent;
  intent.instrument = instrument();
  intent.side = Side::kSell;
  intent.type = OrderType::kLimit;
  intent.price = round_up(static_cast<std::int64_t>(target), info_.tick_size);
  intent.quantity = quantity_;
  intent.flags = OrderIntent::kReduceOnly;
  intent.tag = kTakeProfit;
  ctx.submit(intent);
  take_profit_live_ = true;
}

void DcaBot::on_fill(const BotFill& fill, BotContext& ctx) {
  if (fill.instrument != instrument()) return;
  if (fill.side == Side::kBuy) {
    quantity_ += fill.quantity;
    cost_ += static_cast<Wide>(fill.price) * fill.quantity;
    replace_take_profit(ctx);
    return;
  }
  if (fill.tag != kTakeProfit) return;
  // Average-cost reduction: the cost basis leaves in proportion.
  const std::int64_t sold = fill.quantity < quantity_ ? fill.quantity : quantity_;
  cost_ -= quantity_ > 0 ? cost_ * sold / quantity_ : 0;
  quantity_ -= sold;
}

void DcaBot::on_order_update(const BotOrderUpdate& update, BotContext& ctx) {
  if (update.instrument != instrument()) return;
  const bool done = is_final(update.status);
  if (!done) return;
  if (update.tag == kBase) {
    base_pending_ = false;
    if (update.status == BotOrderStatus::kFilled && !safety_placed_ && params_.safety_count > 0) {
      // Safety orders hang below the cycle's first base fill: the average entry, since only
      // base fills exist in the cycle at this point.
      place_safety_orders(average_entry_price(), ctx);
    }
  } else if (update.tag == kTakeProfit) {
    if (update.status == BotOrderStatus::kFilled) {
      take_profit_live_ = false;
      // Cycle complete: drop the remaining safety orders and start again.
      ctx.cancel(instrument(), 0);
      quantity_ = 0;
      cost_ = 0;
      safety_placed_ = false;
      ++cycles_;
      if (params_.interval_minutes == 0 && triggers_.empty()) buy_base(ctx);
    }
  }
}

}  // namespace be::bots
