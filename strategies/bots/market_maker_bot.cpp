#include "strategies/bots/market_maker_bot.hpp"

#include <algorithm>

namespace be::bots {

using config::Presence;
__extension__ typedef __int128 Wide;

MarketMakerBot::MarketMakerBot(const BotSetup& setup, const Params& params)
    : Bot(setup.id, setup.instrument.id, setup.seed),
      params_(params),
      info_(setup.instrument),
      timeframe_seconds_(setup.timeframe_seconds) {}

std::unique_ptr<Bot> MarketMakerBot::create(const BotSetup& setup, config::ObjectReader& p) {
  Params params;
  auto spread = p.integer("spread_bps", Presence::kRequired, 1, 5000);
  auto skew = p.integer("skew_bps", Presence::kOptional, 0, 5000);
  auto requote = p.integer("requote_bps", Presence::kOptional, 0, 5000);
  const int qs = setup.instrument.qty_scale;
  auto size = p.decimal("order_size", qs, Presence::kRequired, 1, INT64_MAX);
  auto cap = p.decimal("inventory_cap", qs, Presence::kRequired, 1, INT64_MAX);
  bool ok =
      spread && size && cap && !(p.has("skew_bps") && !skew) && !(p.has("requote_bps") && !requote);
  if (size && cap && *size > *cap) {
    p.error("inventory_cap", "must be at least order_size");
    ok = false;
  }
  if (spread && skew && *skew * 2 > *spread) {
    p.error("skew_bps", "must be at most half of spread_bps, so quotes never cross the mid");
    ok = false;
  }
  if (!ok) return nullptr;
  params.spread_bps = *spread;
  params.skew_bps = skew.value_or(params.skew_bps);
  params.requote_bps = requote.value_or(params.requote_bps);
  params.order_size = *size;
  params.inventory_cap = *cap;
  return std::make_unique<MarketMakerBot>(setup, params);
}

MarketMakerBot::Quotes MarketMakerBot::quotes_for(std::int64_t mid,
                                                  std::int64_t inventory) const noexcept {
  // Basis points x 10^6 keeps the skew's fraction exact enough without floating point.
  constexpr Wide kScale = 10'000LL * 1'000'000;
  const Wide ratio_ppm = std::clamp<Wide>(
      static_cast<Wide>(inventory) * 1'000'000 / params_.inventory_cap, -1'000'000, 1'000'000);
  const Wide half = static_cast<Wide>(params_.spread_bps) * 1'000'000 / 2;
  const Wide skew = static_cast<Wide>(params_.skew_bps) * ratio_ppm;
  const std::int64_t tick = info_.tick_size > 0 ? info_.tick_size : 1;
  Quotes q;
  if (inventory + params_.order_size <= params_.inventory_cap) {
    const auto bid =
        static_cast<std::int64_t>(static_cast<Wide>(mid) * (kScale - half - skew) / kScale);
    q.bid = bid - bid % tick;
  }
  if (inventory >= params_.order_size) {
    const Wide num = static_cast<Wide>(mid) * (kScale + half - skew);
    auto ask = static_cast<std::int64_t>(num / kScale);
    if (num % kScale != 0) ++ask;
    q.ask = ask % tick == 0 ? ask : ask - ask % tick + tick;
  }
  return q;
}

void MarketMakerBot::on_mid(std::int64_t mid, BotContext& ctx, bool force) {
  last_mid_ = mid;
  if (!ctx.tradable(instrument()) || !active(ctx.now())) {
    if (quoted_mid_ != 0) {  // safe mode or off schedule: stop quoting
      ctx.cancel(instrument(), 0);
      quoted_mid_ = 0;
    }
    return;
  }
  if (!force && quoted_mid_ != 0) {
    const Wide moved = static_cast<Wide>(mid > quoted_mid_ ? mid - quoted_mid_ : quoted_mid_ - mid);
    if (moved * 10'000 < static_cast<Wide>(params_.requote_bps) * quoted_mid_) return;
  }
  if (quoted_mid_ != 0) ctx.cancel(instrument(), 0);
  const Quotes q = quotes_for(mid, ctx.position(instrument()));
  for (const auto& [price, side, tag] :
       {std::tuple{q.bid, Side::kBuy, kBid}, std::tuple{q.ask, Side::kSell, kAsk}}) {
    if (price <= 0) continue;
    OrderIntent intent;
    intent.instrument = instrument();
    intent.side = side;
    intent.type = OrderType::kLimit;
    intent.price = price;
    intent.quantity = params_.order_size;
    intent.flags = OrderIntent::kPostOnly | (side == Side::kSell ? OrderIntent::kReduceOnly : 0);
    intent.tag = tag;
    ctx.submit(intent);
  }
  quoted_mid_ = mid;
  ++requotes_;
}

void MarketMakerBot::on_quote(const Quote& quote, BotContext& ctx) {
  if (quote.instrument != instrument() || quote.bid_price <= 0 || quote.ask_price <= 0) return;
  seen_quote_ = true;
  on_mid((quote.bid_price + quote.ask_price) / 2, ctx, false);
}

void MarketMakerBot::on_bar(const Bar& bar, BotContext& ctx) {
  if (seen_quote_ || bar.instrument != instrument() || bar.interval_seconds != timeframe_seconds_ ||
      bar.closed == 0) {
    return;
  }
  on_mid(bar.close, ctx, false);
}

void MarketMakerBot::on_fill(const BotFill& fill, BotContext& ctx) {
  if (fill.instrument != instrument() || last_mid_ == 0) return;
  on_mid(last_mid_, ctx, true);  // inventory changed: requote at once
}

void MarketMakerBot::on_schedule_change(bool is_active, BotContext& ctx) {
  // Off schedule: withdraw at once rather than at the next quote; on again: quote at the last
  // mid without waiting for it to move.
  if (last_mid_ != 0) on_mid(last_mid_, ctx, is_active);
}

}  // namespace be::bots
