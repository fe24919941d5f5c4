#include "strategies/bots/grid_bot.hpp"

#include <cmath>

#include "core/fixed_point.hpp"

namespace be::bots {

using config::Presence;

GridBot::GridBot(const BotSetup& setup, const Params& params)
    : Bot(setup.id, setup.instrument.id, setup.seed),
      params_(params),
      info_(setup.instrument),
      timeframe_seconds_(setup.timeframe_seconds) {
  const std::int64_t tick = info_.tick_size > 0 ? info_.tick_size : 1;
  for (std::uint32_t i = 0; i <= params_.grids; ++i) {
    std::int64_t price = 0;
    if (params_.geometric) {
      const double ratio = static_cast<double>(params_.upper) / static_cast<double>(params_.lower);
      price = static_cast<std::int64_t>(
          std::floor(static_cast<double>(params_.lower) *
                     std::pow(ratio, static_cast<double>(i) / params_.grids)));
    } else {
      __extension__ typedef __int128 Wide;
      price =
          params_.lower + static_cast<std::int64_t>(
                              static_cast<Wide>(params_.upper - params_.lower) * i / params_.grids);
    }
    levels_[i] = price - price % tick;  // down to the tick
  }
  levels_[0] = params_.lower - params_.lower % tick;
  levels_[params_.grids] = params_.upper - params_.upper % tick;
}

std::unique_ptr<Bot> GridBot::create(const BotSetup& setup, config::ObjectReader& p) {
  Params params;
  const int ps = setup.instrument.price_scale;
  auto lower = p.decimal("lower", ps, Presence::kRequired, 1, INT64_MAX);
  auto upper = p.decimal("upper", ps, Presence::kRequired, 1, INT64_MAX);
  auto grids = p.integer("grids", Presence::kRequired, 2, kMaxGrids);
  auto spacing = p.string("spacing", Presence::kOptional, {"arithmetic", "geometric"});
  auto quantity =
      p.decimal("quantity_per_grid", setup.instrument.qty_scale, Presence::kRequired, 1, INT64_MAX);
  bool ok = lower && upper && grids && quantity && !(p.has("spacing") && !spacing);
  if (lower && upper && *lower >= *upper) {
    p.error("lower", "must be below upper");
    ok = false;
  }
  if (ok && setup.instrument.tick_size > 0 &&
      (*upper - *lower) / *grids < setup.instrument.tick_size) {
    p.error("grids", "levels would be closer than one tick");
    ok = false;
  }
  if (!ok) return nullptr;
  params.lower = *lower;
  params.upper = *upper;
  params.grids = static_cast<std::uint32_t>(*grids);
  params.geometric = spacing.value_or("arithmetic") == "geometric";
  params.quantity_per_grid = *quantity;
  return std::make_unique<GridBot>(setup, params);
}

void GridBot::place(BotContext& ctx, Side side, std::uint32_t i) {
  OrderIntent intent;
  intent.instrument = instrument();
  intent.side = side;
  intent.type = OrderType::kLimit;
  intent.price = levels_[i];
  intent.quantity = params_.quantity_per_grid;
  intent.tag = (side == Side::kBuy ? kBuyBase : kSellBase) + i;
  if (side == Side::kSell) intent.flags = OrderIntent::kReduceOnly;
  ctx.submit(intent);
}

void GridBot::on_bar(const Bar& bar, BotContext& ctx) {
  if (started_ || bar.instrument != instrument() || bar.interval_seconds != timeframe_seconds_ ||
      bar.closed == 0) {
    return;
  }
  if (bar.close < levels_[0] || bar.close > levels_[params_.grids] || !ctx.tradable(instrument())) {
    ++out_of_range_bars_;
    return;
  }
  started_ = true;
  start_price_ = bar.close;
  std::uint32_t above = 0;
  for (std::uint32_t i = 0; i <= params_.grids; ++i) {
    if (levels_[i] > start_price_) {
      ++above;
    } else if (levels_[i] < start_price_) {
      place(ctx, Side::kBuy, i);
    }
  }
  // The base the sells above need, less what the bot already holds (a restart after the
  // schedule closed keeps its inventory).
  const std::int64_t needed = params_.quantity_per_grid * above - ctx.position(instrument());
  if (needed > 0) {
    ctx.submit(market_intent(instrument(), Side::kBuy, needed, 0, kInitialBuy));
  } else {
    place_sells(ctx);
  }
}

void GridBot::place_sells(BotContext& ctx) {
  for (std::uint32_t i = 0; i <= params_.grids; ++i) {
    if (levels_[i] > start_price_) place(ctx, Side::kSell, i);
  }
}

void GridBot::on_order_update(const BotOrderUpdate& update, BotContext& ctx) {
  if (update.instrument != instrument() || update.tag != kInitialBuy ||
      update.status != BotOrderStatus::kFilled) {
    return;
  }
  place_sells(ctx);
}

void GridBot::on_fill(const BotFill& fill, BotContext& ctx) {
  if (fill.instrument != instrument() || fill.tag == kInitialBuy) return;
  if (fill.tag >= kSellBase && fill.tag <= kSellBase + params_.grids) {
    const std::uint32_t i = fill.tag - kSellBase;
    if (i == 0) return;
    ++round_trips_;
    __extension__ typedef __int128 Wide;
    grid_profit_ += static_cast<Wide>(levels_[i] - levels_[i - 1]) * fill.quantity;
    place(ctx, Side::kBuy, i - 1);
  } else if (fill.tag >= kBuyBase && fill.tag < kBuyBase + params_.grids) {
    place(ctx, Side::kSell, fill.tag - kBuyBase + 1);
  }
}

void GridBot::on_schedule_change(bool is_active, BotContext& ctx) {
  // The ladder rests only while the schedule is active; it is rebuilt from the first bar
  // inside the range once the schedule opens again.
  if (!is_active && started_) {
    ctx.cancel(instrument(), 0);
    started_ = false;
  }
}

}  // namespace be::bots
