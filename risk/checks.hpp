// The pre-trade rules, one named function each. Every rule is a pure function of the intent
// and the state records it reads (risk/state.hpp): it changes nothing and returns either
// nothing (the rule passes) or the Breach a RiskReject reports. RiskEngine::check() runs them
// in the fixed order of docs/RISK.md ("Order of checks and reason codes"); the first breach
// decides. Each rule says itself whether it applies to reduce-only intents.
//
// Inline on purpose: check() is on the hot path and calls all of them (one TU, no calls).
// Exact arithmetic: every comparison is on the 128-bit product; figures are rounded only for
// the report (clamp64, divide_rounded).
#pragma once

#include <cstdint>
#include <optional>

#include "core/order_intent.hpp"
#include "core/position.hpp"
#include "risk/state.hpp"
#include "risk/types.hpp"

namespace be::risk::checks {

// What a rule found: the reason, the scope it was judged in, and the limit and the observed
// figure in the limit's unit. The engine adds the intent's bot, instrument, cause and time.
struct Breach {
  RejectReason reason = RejectReason::kNone;
  Scope scope = Scope::kNone;
  std::uint32_t scope_id = 0;
  std::int64_t limit = 0;
  std::int64_t observed = 0;
};
// Empty: the rule passes.
using Outcome = std::optional<Breach>;

// The order as the rules after the reference price see it.
struct Order {
  const OrderIntent& intent;
  bool market;
  bool buy;
  std::int64_t price;        // the limit price; the reference for a market order
  std::int64_t quantity;     // a quote-amount buy's converted quantity
  Wide notional;             // price x quantity, exact at scale p+q
  std::int64_t reference;    // 0: no market data yet
  std::int64_t value_price;  // what exposure is valued at: the reference, else the price
  Wide unit;                 // 10^qty_scale
  bool reduce_only() const noexcept { return intent.reduce_only(); }
};

// One scope's side of an order: its limits and counters, and its position in the instrument.
struct ScopeView {
  Scope scope;
  std::uint32_t id;
  const Limits& limits;
  const state::Scoped& state;
  std::int64_t position;
  std::int64_t open_same_side;  // resting buys for a buy, minus resting sells for a sell
};

// ---- Before any price: who, what shape, and may this bot trade at all ----------------------

// invalid_intent: a side, a market or limit type, exactly one of quantity / quote amount
// (amounts only on market buys), and a positive price on limit orders.
inline Outcome intent_shape(const OrderIntent& intent, std::uint32_t bot) noexcept {
  const bool market = intent.type == OrderType::kMarket;
  const bool by_amount = intent.quote_amount != 0;
  const bool ok = (intent.side == Side::kBuy || intent.side == Side::kSell) &&
                  (market || intent.type == OrderType::kLimit) &&
                  (by_amount ? (market && intent.side == Side::kBuy && intent.quote_amount > 0 &&
                                intent.quantity == 0)
                             : intent.quantity > 0) &&
                  (market || intent.price > 0);
  if (ok) return std::nullopt;
  return Breach{RejectReason::kInvalidIntent, Scope::kBot, bot};
}

// kill_switch: latched at global, account or bot scope (reported in that order). Applies to
// reduce-only intents too.
inline Outcome kill_switch(bool global, const state::Scoped& account, std::uint32_t account_id,
                           const state::Scoped& bot, std::uint32_t bot_id) noexcept {
  if (global) return Breach{RejectReason::kKillSwitch, Scope::kGlobal};
  if (account.killed) return Breach{RejectReason::kKillSwitch, Scope::kAccount, account_id};
  if (bot.killed) return Breach{RejectReason::kKillSwitch, Scope::kBot, bot_id};
  return std::nullopt;
}

// disk_reserve: the journal's disk is below its reserve floor (engine/disk_guard.cpp): what
// would add exposure waits until space is freed; reduce-only intents (exits, stops) pass.
inline Outcome disk_reserve(bool reserve, const OrderIntent& intent) noexcept {
  if (!reserve || intent.reduce_only()) return std::nullopt;
  return Breach{RejectReason::kDiskReserve, Scope::kGlobal};
}

// circuit_open: the bot's consecutive venue errors opened its breaker; only the operator
// closes it. Reports the threshold and the current streak.
inline Outcome circuit_breaker(const state::Bot& bot, std::uint32_t bot_id) noexcept {
  if (!bot.circuit_open) return std::nullopt;
  return Breach{RejectReason::kCircuitOpen, Scope::kBot, bot_id, bot.config.max_consecutive_errors,
                bot.error_streak};
}

// no_reference_price: a market order is priced at the reference, and a band is measured
// from it; without market data yet, either is refused (bot's band before the account's).
inline Outcome reference_price(const OrderIntent& intent, std::int64_t reference, const Limits& bot,
                               std::uint32_t bot_id, const Limits& account,
                               std::uint32_t account_id) noexcept {
  if (reference != 0) return std::nullopt;
  if (intent.type == OrderType::kMarket || bot.price_band_bps != 0) {
    return Breach{RejectReason::kNoReferencePrice, Scope::kBot, bot_id};
  }
  if (account.price_band_bps != 0) {
    return Breach{RejectReason::kNoReferencePrice, Scope::kAccount, account_id};
  }
  return std::nullopt;
}

// quote_amount_too_small: a quote-amount market buy spends at most its amount at the
// reference, rounded DOWN to the step size; zero is refused. Sets `quantity` otherwise.
inline Outcome quote_amount(const OrderIntent& intent, const state::Instrument& in,
                            std::int64_t& quantity) noexcept {
  quantity = intent.quantity;
  if (intent.quote_amount == 0) return std::nullopt;
  Wide q = static_cast<Wide>(intent.quote_amount) * in.qty_unit / in.reference;
  if (in.step_size > 0) q -= q % in.step_size;
  if (q <= 0) {
    return Breach{RejectReason::kQuoteAmountTooSmall, Scope::kGlobal, 0, in.min_notional,
                  intent.quote_amount};
  }
  quantity = state::clamp64(q);
  return std::nullopt;
}

// reduce_only_would_increase: a reduce-only intent must shrink the bot's own position
// without flipping it.
inline Outcome reduce_only(const Order& o, std::int64_t position, std::uint32_t bot) noexcept {
  if (!o.reduce_only()) return std::nullopt;
  const bool shrinks =
      o.buy ? (position < 0 && o.quantity <= -position) : (position > 0 && o.quantity <= position);
  if (shrinks) return std::nullopt;
  return Breach{RejectReason::kReduceOnlyWouldIncrease, Scope::kBot, bot, state::abs64(position),
                o.quantity};
}

// ---- The venue's filters (global scope; reduce-only too: the venue would refuse it) -------

inline Outcome tick_size(const Order& o, const state::Instrument& in) noexcept {
  if (o.market || in.tick_size <= 0 || o.price % in.tick_size == 0) return std::nullopt;
  return Breach{RejectReason::kTickSize, Scope::kGlobal, 0, in.tick_size, o.price};
}

inline Outcome step_size(const Order& o, const state::Instrument& in) noexcept {
  if (in.step_size <= 0 || o.quantity % in.step_size == 0) return std::nullopt;
  return Breach{RejectReason::kStepSize, Scope::kGlobal, 0, in.step_size, o.quantity};
}

inline Outcome min_notional(const Order& o, const state::Instrument& in) noexcept {
  if (in.min_notional <= 0 || o.notional >= static_cast<Wide>(in.min_notional) * o.unit) {
    return std::nullopt;
  }
  return Breach{RejectReason::kMinNotional, Scope::kGlobal, 0, in.min_notional,
                state::clamp64(divide_rounded(o.notional, o.unit))};
}

// price_band (fat finger): |price - reference| <= band x reference / 10^4, exactly. Market
// orders are priced at the reference and always pass. Reports the deviation floored in bps.
inline Outcome price_band(const Order& o, Scope scope, std::uint32_t id,
                          std::uint32_t band_bps) noexcept {
  if (o.market || band_bps == 0) return std::nullopt;
  const Wide deviation = state::abs_wide(static_cast<Wide>(o.price) - o.reference) * 10'000;
  if (deviation <= static_cast<Wide>(band_bps) * o.reference) return std::nullopt;
  return Breach{RejectReason::kPriceBand, scope, id, band_bps,
                state::clamp64(deviation / o.reference)};
}

// ---- Scope limits (bot, then account). Zero means no limit. -------------------------------
// Size, exposure and loss limits never block a reduce-only intent (exits must get out).

inline Outcome max_order_quantity(const ScopeView& v, const Order& o) noexcept {
  const std::int64_t limit = v.limits.max_order_quantity;
  if (o.reduce_only() || limit == 0 || o.quantity <= limit) return std::nullopt;
  return Breach{RejectReason::kMaxOrderQuantity, v.scope, v.id, limit, o.quantity};
}

inline Outcome max_order_notional(const ScopeView& v, const Order& o) noexcept {
  const std::int64_t limit = v.limits.max_order_notional;
  if (o.reduce_only() || limit == 0 || o.notional <= static_cast<Wide>(limit) * o.unit) {
    return std::nullopt;
  }
  return Breach{RejectReason::kMaxOrderNotional, v.scope, v.id, limit,
                state::clamp64(divide_rounded(o.notional, o.unit))};
}

// |position + same-side resting quantity + this order|, in base units.
inline std::int64_t projected_exposure(const ScopeView& v, const Order& o) noexcept {
  const std::int64_t signed_quantity = o.buy ? o.quantity : -o.quantity;
  return state::abs64(v.position + v.open_same_side + signed_quantity);
}

inline Outcome max_position_quantity(const ScopeView& v, const Order& o) noexcept {
  const std::int64_t limit = v.limits.max_position_quantity;
  if (o.reduce_only() || limit == 0) return std::nullopt;
  const std::int64_t exposure = projected_exposure(v, o);
  if (exposure <= limit) return std::nullopt;
  return Breach{RejectReason::kMaxPositionQuantity, v.scope, v.id, limit, exposure};
}

inline Outcome max_position_notional(const ScopeView& v, const Order& o) noexcept {
  const std::int64_t limit = v.limits.max_position_notional;
  if (o.reduce_only() || limit == 0) return std::nullopt;
  const Wide exposure = static_cast<Wide>(projected_exposure(v, o)) * o.value_price;
  if (exposure <= static_cast<Wide>(limit) * o.unit) return std::nullopt;
  return Breach{RejectReason::kMaxPositionNotional, v.scope, v.id, limit,
                state::clamp64(divide_rounded(exposure, o.unit))};
}

// Applies to reduce-only intents too: every resting order is a venue-side commitment.
inline Outcome max_open_orders(const ScopeView& v) noexcept {
  const std::uint32_t limit = v.limits.max_open_orders;
  if (limit == 0 || v.state.open_orders < limit) return std::nullopt;
  return Breach{RejectReason::kMaxOpenOrders, v.scope, v.id, limit, v.state.open_orders};
}

inline Outcome max_daily_loss(const ScopeView& v, const Order& o) noexcept {
  const std::int64_t limit = v.limits.max_daily_loss;
  const std::int64_t loss = v.state.day_start_equity - v.state.equity();
  if (o.reduce_only() || limit == 0 || loss < limit) return std::nullopt;
  return Breach{RejectReason::kMaxDailyLoss, v.scope, v.id, limit, loss};
}

inline Outcome max_drawdown(const ScopeView& v, const Order& o) noexcept {
  const std::int64_t limit = v.limits.max_drawdown;
  const std::int64_t drawdown = v.state.peak_equity - v.state.equity();
  if (o.reduce_only() || limit == 0 || drawdown < limit) return std::nullopt;
  return Breach{RejectReason::kMaxDrawdown, v.scope, v.id, limit, drawdown};
}

// A reduce-only intent is not a trade: it is neither limited nor counted.
inline Outcome max_daily_trades(const ScopeView& v, const Order& o) noexcept {
  const std::uint32_t limit = v.limits.max_daily_trades;
  if (o.reduce_only() || limit == 0 || v.state.daily_trades < limit) return std::nullopt;
  return Breach{RejectReason::kMaxDailyTrades, v.scope, v.id, limit, v.state.daily_trades};
}

// Every limit of one scope, in the documented order.
inline Outcome scope_limits(const ScopeView& v, const Order& o) noexcept {
  if (Outcome b = max_order_quantity(v, o)) return b;
  if (Outcome b = max_order_notional(v, o)) return b;
  if (Outcome b = max_position_quantity(v, o)) return b;
  if (Outcome b = max_position_notional(v, o)) return b;
  if (Outcome b = max_open_orders(v)) return b;
  if (Outcome b = max_daily_loss(v, o)) return b;
  if (Outcome b = max_drawdown(v, o)) return b;
  return max_daily_trades(v, o);
}

// ---- After the limits ---------------------------------------------------------------------

// insufficient_balance (spot, when the account checks it): a buy's notional against the
// quote left after resting buys (`available` at price scale), a sell's quantity against the
// base left after resting sells (at qty scale). Reports available / needed.
inline Outcome balance(const Order& o, Wide available, std::uint32_t account) noexcept {
  if (o.buy) {
    if (o.notional <= available * o.unit) return std::nullopt;
    return Breach{RejectReason::kInsufficientBalance, Scope::kAccount, account,
                  state::clamp64(available), state::clamp64(state::ceil_div(o.notional, o.unit))};
  }
  if (o.quantity <= available) return std::nullopt;
  return Breach{RejectReason::kInsufficientBalance, Scope::kAccount, account,
                state::clamp64(available), o.quantity};
}

// order_rate_throttle / cancel_rate_throttle: the scope's token bucket holds less than one
// token at `t`. Run last, so that a rejected intent never spends a token. `tokens` is the
// bucket's content at `t` (untouched when the throttle is off), for spend() on acceptance.
// Reports the count and the whole tokens left.
inline Outcome throttle(RejectReason reason, std::uint32_t count, std::int64_t window,
                        const state::Bucket& bucket, Scope scope, std::uint32_t id, Nanos t,
                        std::int64_t& tokens) noexcept {
  if (count == 0 || window == 0) return std::nullopt;
  tokens = bucket.refilled(count, window, t);
  if (tokens >= window) return std::nullopt;
  return Breach{reason, scope, id, count, tokens / window};
}

inline Outcome order_throttle(const Limits& l, const state::Bucket& bucket, Scope scope,
                              std::uint32_t id, Nanos t, std::int64_t& tokens) noexcept {
  return throttle(RejectReason::kOrderRateThrottle, l.order_rate_count, l.order_rate_window_ns,
                  bucket, scope, id, t, tokens);
}

inline Outcome cancel_throttle(const Limits& l, const state::Bucket& bucket, Scope scope,
                               std::uint32_t id, Nanos t, std::int64_t& tokens) noexcept {
  return throttle(RejectReason::kCancelRateThrottle, l.cancel_rate_count, l.cancel_rate_window_ns,
                  bucket, scope, id, t, tokens);
}

}  // namespace be::risk::checks
