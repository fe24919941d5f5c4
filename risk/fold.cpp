// RiskEngine's state fold: what each input changes. Fills move positions, PnL, reservations
// and balances; order inputs move open-order counts and reservations; marks revalue
// positions and fire protection exits; the UTC day resets daily figures; operator commands
// latch kill switches; venue errors feed the circuit breaker. Every call folds one input and
// nothing else, so the same inputs in the same order give the same state (docs/RISK.md,
// "State folding").
#include <algorithm>

#include "risk/risk_engine.hpp"

namespace be::risk {

namespace {

using state::ceil_div;
using state::floor_div;

// Keeps the account's rounded quote reservation in step with its exact resting-buy notional.
void reserve_quote(state::AccountInstrument& account, std::int64_t qty_unit) noexcept {
  account.reserved_quote = static_cast<std::int64_t>(ceil_div(account.open_buy_notional, qty_unit));
}

// Releases `quantity` of a resting buy at `price` from the account's exact reservation.
void release_buy_notional(state::AccountInstrument& account, std::int64_t price,
                          std::int64_t quantity, std::int64_t qty_unit) noexcept {
  account.open_buy_notional -= static_cast<Wide>(price) * quantity;
  if (account.open_buy_notional < 0 || account.open_buy == 0) account.open_buy_notional = 0;
  reserve_quote(account, qty_unit);
}

// Which protection rule a mark fires on a position, or 0: stop loss, then trailing stop, then
// take profit, each compared exactly (mark x 10^4 against price x (10^4 -+ bps)).
std::uint32_t protection_exit_tag(const Protection& pr, bool is_long, std::int64_t mark,
                                  std::int64_t entry_price, std::int64_t best_price) noexcept {
  const Wide m = static_cast<Wide>(mark) * 10'000;
  const Wide entry = entry_price;
  const Wide best = best_price;
  const auto below = [](std::uint32_t bps) { return 10'000 - static_cast<Wide>(bps); };
  const auto above = [](std::uint32_t bps) { return 10'000 + static_cast<Wide>(bps); };
  if (is_long) {
    if (pr.stop_loss_bps != 0 && m <= entry * below(pr.stop_loss_bps)) return kTagStopLoss;
    if (pr.trailing_stop_bps != 0 && m <= best * below(pr.trailing_stop_bps)) {
      return kTagTrailingStop;
    }
    if (pr.take_profit_bps != 0 && m >= entry * above(pr.take_profit_bps)) return kTagTakeProfit;
    return 0;
  }
  if (pr.stop_loss_bps != 0 && m >= entry * above(pr.stop_loss_bps)) return kTagStopLoss;
  if (pr.trailing_stop_bps != 0 && m >= best * above(pr.trailing_stop_bps)) {
    return kTagTrailingStop;
  }
  if (pr.take_profit_bps != 0 && m <= entry * below(pr.take_profit_bps)) return kTagTakeProfit;
  return 0;
}

// The exit a protection rule fires: the whole position, market IOC, reduce-only.
OrderIntent protection_exit(std::uint32_t bot, std::uint32_t instrument, std::int64_t position,
                            std::uint32_t tag) noexcept {
  OrderIntent exit{};
  exit.bot = BotId{bot};
  exit.instrument = InstrumentId{instrument};
  exit.side = position > 0 ? Side::kSell : Side::kBuy;
  exit.type = OrderType::kMarket;
  exit.time_in_force = TimeInForce::kIoc;
  exit.flags = OrderIntent::kReduceOnly;
  exit.tag = tag;
  exit.quantity = position > 0 ? position : -position;
  return exit;
}

}  // namespace

// ---- Time ----------------------------------------------------------------------------------

void RiskEngine::start_day(Nanos event_time) noexcept {
  day_ = floor_div(event_time, kDayNanos);
  for (Bot& b : bots_) {
    b.s.day_start_equity = b.s.equity();
    b.s.daily_trades = 0;
  }
  for (Account& a : accounts_) {
    a.s.day_start_equity = a.s.equity();
    a.s.daily_trades = 0;
  }
}

// ---- PnL -------------------------------------------------------------------------------------

void RiskEngine::add_pnl(std::uint32_t b, std::int64_t delta, std::int64_t fee) noexcept {
  Scoped& bs = bots_[b].s;
  bs.pnl += delta;
  bs.fees += fee;
  bs.peak_equity = std::max(bs.peak_equity, bs.equity());
  // The account's peak is settled once the whole input is folded (on_mark, apply_fill), so
  // it never depends on the order in which one price update revalues several bots.
  Scoped& as = accounts_[bots_[b].account].s;
  as.pnl += delta;
  as.fees += fee;
}

std::int64_t RiskEngine::revalue(std::uint32_t b, std::uint32_t i) noexcept {
  const Position& p = positions_[bi(b, i)];
  const Instrument& in = instruments_[i];
  const Wide exact =
      p.realized_exact() - p.cost_basis_exact() + static_cast<Wide>(p.quantity()) * in.valuation();
  const std::int64_t contribution = static_cast<std::int64_t>(divide_rounded(exact, in.qty_unit));
  BotInstrument& state = bot_instruments_[bi(b, i)];
  const std::int64_t delta = contribution - state.contribution;
  state.contribution = contribution;
  return delta;
}

// ---- Fills, orders, balances -------------------------------------------------------------------

bool RiskEngine::apply_fill(const FillInput& fill, Nanos t) noexcept {
  advance_time(t);
  if (!valid(fill.bot) || !valid(fill.instrument) || fill.quantity <= 0 ||
      (fill.side != Side::kBuy && fill.side != Side::kSell)) {
    ++bad_inputs_;
    return false;
  }
  const std::uint32_t b = index_of(fill.bot);
  const std::uint32_t i = index_of(fill.instrument);
  Bot& bot = bots_[b];
  Instrument& in = instruments_[i];
  if (!bot.s.configured || !in.defined) {
    ++bad_inputs_;
    return false;
  }
  const bool buy = fill.side == Side::kBuy;
  const std::int64_t signed_qty = buy ? fill.quantity : -fill.quantity;

  Position& p = positions_[bi(b, i)];
  const std::int64_t before = p.quantity();
  p.apply_fill(fill.side, fill.price, fill.quantity, fill.fee);
  const std::int64_t after = p.quantity();
  note_holder(b, i, after != 0);
  in.last_fill_price = fill.price;

  BotInstrument& state = bot_instruments_[bi(b, i)];
  AccountInstrument& acct = account_instruments_[ai(bot.account, i)];
  acct.position += signed_qty;
  if (fill.from_open_order) {
    std::int64_t& open = buy ? state.open_buy : state.open_sell;
    open -= std::min(open, fill.quantity);
    std::int64_t& acct_open = buy ? acct.open_buy : acct.open_sell;
    acct_open -= std::min(acct_open, fill.quantity);
    if (buy) release_buy_notional(acct, fill.order_price, fill.quantity, in.qty_unit);
  }
  state.exit_pending = 0;
  const bool opened =
      (before == 0 && after != 0) || (before > 0 && after < 0) || (before < 0 && after > 0);
  if (opened) state.best_price = fill.price;
  if (after == 0) state.best_price = 0;

  add_pnl(b, revalue(b, i), fill.fee);  // one step: no transient peak without the fee
  Scoped& as = accounts_[bot.account].s;
  as.peak_equity = std::max(as.peak_equity, as.equity());

  // Spot balances move with the fill until the venue's next absolute balance replaces them.
  const std::size_t row = static_cast<std::size_t>(bot.account) * capacity_.assets;
  const std::int64_t notional = static_cast<std::int64_t>(
      divide_rounded(static_cast<Wide>(fill.price) * fill.quantity, in.qty_unit));
  balances_[row + in.base] += signed_qty;
  balances_[row + in.quote] += (buy ? -notional : notional) - fill.fee;
  return true;
}

// An order input names a known, configured bot and a defined instrument, with a side and
// non-negative quantity and price; anything else is refused and counted, never applied.
bool RiskEngine::accept_order_input(const OrderInput& order) noexcept {
  const bool ok = valid(order.bot) && valid(order.instrument) && order.quantity >= 0 &&
                  order.price >= 0 && (order.side == Side::kBuy || order.side == Side::kSell) &&
                  instruments_[index_of(order.instrument)].defined &&
                  bots_[index_of(order.bot)].s.configured;
  if (!ok) ++bad_inputs_;
  return ok;
}

bool RiskEngine::apply_order_opened(const OrderInput& order) noexcept {
  if (!accept_order_input(order)) return false;
  move_resting(order, /*opened=*/true);
  return true;
}

bool RiskEngine::apply_order_closed(const OrderInput& order) noexcept {
  if (!accept_order_input(order)) return false;
  move_resting(order, /*opened=*/false);
  return true;
}

// An order starts resting (opened) or stops (closed, with its unfilled quantity): the open
// order counts of the bot and its account, the side's resting quantities, and for a buy the
// quote it reserves. Releases never go below zero (a late or repeated close is harmless).
void RiskEngine::move_resting(const OrderInput& order, bool opened) noexcept {
  const std::uint32_t b = index_of(order.bot);
  const std::uint32_t i = index_of(order.instrument);
  Bot& bot = bots_[b];
  Scoped& account = accounts_[bot.account].s;
  if (opened) {
    ++bot.s.open_orders;
    ++account.open_orders;
  } else {
    if (bot.s.open_orders > 0) --bot.s.open_orders;
    if (account.open_orders > 0) --account.open_orders;
  }
  const bool buy = order.side == Side::kBuy;
  BotInstrument& state = bot_instruments_[bi(b, i)];
  AccountInstrument& acct = account_instruments_[ai(bot.account, i)];
  std::int64_t& bot_open = buy ? state.open_buy : state.open_sell;
  std::int64_t& account_open = buy ? acct.open_buy : acct.open_sell;
  if (opened) {
    bot_open += order.quantity;
    account_open += order.quantity;
  } else {
    bot_open -= std::min(bot_open, order.quantity);
    account_open -= std::min(account_open, order.quantity);
  }
  if (!buy) return;
  const std::int64_t qty_unit = instruments_[i].qty_unit;
  if (opened) {
    acct.open_buy_notional += static_cast<Wide>(order.price) * order.quantity;
    reserve_quote(acct, qty_unit);
  } else {
    release_buy_notional(acct, order.price, order.quantity, qty_unit);
  }
}

bool RiskEngine::apply_balance(const BalanceInput& balance) noexcept {
  const auto a = static_cast<std::uint32_t>(balance.account);
  const auto s = static_cast<std::uint32_t>(balance.asset);
  if (a >= capacity_.accounts || s >= capacity_.assets) {
    ++bad_inputs_;
    return false;
  }
  balances_[static_cast<std::size_t>(a) * capacity_.assets + s] = balance.amount;
  return true;
}

// ---- Marks and position protection ---------------------------------------------------------

std::size_t RiskEngine::apply_trade(const Trade& trade, Nanos t,
                                    std::span<OrderIntent> exits) noexcept {
  advance_time(t);
  if (!valid(trade.instrument) || trade.price <= 0) return 0;
  return on_mark(index_of(trade.instrument), trade.price, exits);
}

std::size_t RiskEngine::apply_quote(const Quote& quote, Nanos t,
                                    std::span<OrderIntent> exits) noexcept {
  advance_time(t);
  if (!valid(quote.instrument) || quote.bid_price <= 0 || quote.ask_price <= 0 ||
      quote.bid_price > quote.ask_price) {
    return 0;  // a one-sided or crossed book has no mid
  }
  // Mid rounded half up: (bid + ask) / 2 without overflow.
  const std::int64_t mid = quote.bid_price + (quote.ask_price - quote.bid_price + 1) / 2;
  return on_mark(index_of(quote.instrument), mid, exits);
}

std::size_t RiskEngine::on_mark(std::uint32_t i, std::int64_t mark,
                                std::span<OrderIntent> exits) noexcept {
  Instrument& in = instruments_[i];
  if (!in.defined) return 0;
  in.reference = mark;
  std::size_t fired = 0;
  // The bots holding a position on the instrument, in id order (holders_).
  const std::uint64_t* words = holders_.data() + i * holder_words_;
  for (std::size_t w = 0; w < holder_words_; ++w) {
    for (std::uint64_t bits = words[w]; bits != 0; bits &= bits - 1) {
      const auto b =
          static_cast<std::uint32_t>(w * 64 + static_cast<std::size_t>(__builtin_ctzll(bits)));
      if (mark_holder(b, i, mark, exits, fired)) ++fired;
    }
  }
  // Only the holders' accounts changed equity: settle their peaks once everything is folded,
  // so it never depends on the order in which one price update revalues several bots.
  for (std::size_t w = 0; w < holder_words_; ++w) {
    for (std::uint64_t bits = words[w]; bits != 0; bits &= bits - 1) {
      const auto b =
          static_cast<std::uint32_t>(w * 64 + static_cast<std::size_t>(__builtin_ctzll(bits)));
      if (!bots_[b].s.configured) continue;
      Scoped& as = accounts_[bots_[b].account].s;
      as.peak_equity = std::max(as.peak_equity, as.equity());
    }
  }
  return fired;
}

// One holder of instrument i re-marked: its PnL, trailing best price and protection exit
// (true when it fired one into exits[fired]).
bool RiskEngine::mark_holder(std::uint32_t b, std::uint32_t i, std::int64_t mark,
                             std::span<OrderIntent> exits, std::size_t fired) noexcept {
  const Position& p = positions_[bi(b, i)];
  if (p.quantity() == 0 || !bots_[b].s.configured) return false;
  add_pnl(b, revalue(b, i), 0);
  BotInstrument& state = bot_instruments_[bi(b, i)];
  const bool is_long = p.quantity() > 0;
  state.best_price = is_long ? std::max(state.best_price, mark)
                             : (state.best_price == 0 ? mark : std::min(state.best_price, mark));
  const Protection& pr = bots_[b].config.protection;
  if (state.exit_pending || (pr.stop_loss_bps | pr.take_profit_bps | pr.trailing_stop_bps) == 0) {
    return false;
  }
  const std::uint32_t tag =
      protection_exit_tag(pr, is_long, mark, p.average_entry_price(), state.best_price);
  // An exit that does not fit fires on a later update: exit_pending stays clear.
  if (tag == 0 || fired == exits.size()) return false;
  exits[fired] = protection_exit(b, i, p.quantity(), tag);
  state.exit_pending = 1;
  return true;
}

// ---- Kill switch (latched) -------------------------------------------------------------------

std::uint8_t* RiskEngine::kill_flag(Scope scope, std::uint32_t id) noexcept {
  if (scope == Scope::kGlobal) return &global_kill_;
  if (scope == Scope::kBot && id < capacity_.bots) return &bots_[id].s.killed;
  if (scope == Scope::kAccount && id < capacity_.accounts) return &accounts_[id].s.killed;
  return nullptr;
}

bool RiskEngine::set_kill_switch(Scope scope, std::uint32_t id) noexcept {
  std::uint8_t* flag = kill_flag(scope, id);
  if (flag == nullptr || (*flag & kKillBit)) return false;
  *flag |= kKillBit;
  if (scope == Scope::kBot) ++bot_flag_changes_;  // an account's or the global: not a bot view
  return true;
}

bool RiskEngine::reset_kill_switch(Scope scope, std::uint32_t id) noexcept {
  std::uint8_t* flag = kill_flag(scope, id);
  if (flag == nullptr || !(*flag & kKillBit)) return false;
  *flag = static_cast<std::uint8_t>(*flag & ~kKillBit);
  if (scope == Scope::kBot) ++bot_flag_changes_;  // an account's or the global: not a bot view
  return true;
}

bool RiskEngine::set_disk_reserve(bool on) noexcept {
  if (disk_reserve() == on) return false;
  global_kill_ = static_cast<std::uint8_t>(on ? global_kill_ | kDiskReserveBit
                                              : global_kill_ & ~kDiskReserveBit);
  return true;
}

bool RiskEngine::apply(const OperatorCommand& command) noexcept {
  const Scope scope = command.bot == kNoBot ? Scope::kGlobal : Scope::kBot;
  const std::uint32_t id = command.bot == kNoBot ? 0 : index_of(command.bot);
  if (command.kind == OperatorCommandKind::kKillSwitchSet) return set_kill_switch(scope, id);
  if (command.kind == OperatorCommandKind::kKillSwitchReset) return reset_kill_switch(scope, id);
  return false;
}

// ---- Circuit breaker and error window --------------------------------------------------------

bool RiskEngine::on_error(BotId bot_id, ErrorKind kind, Nanos t) noexcept {
  advance_time(t);
  if (!valid(bot_id) || static_cast<int>(kind) >= kErrorKindCount) return false;
  const std::uint32_t b = index_of(bot_id);
  Bot& bot = bots_[b];
  const std::int64_t minute = floor_div(t, kBucketNanos);
  const std::int64_t slot = ((minute % kWindowBuckets) + kWindowBuckets) % kWindowBuckets;
  ErrorBucket& bucket =
      error_buckets_[static_cast<std::size_t>(b) * kWindowBuckets + static_cast<std::size_t>(slot)];
  if (bucket.minute < minute) {  // an older minute's counts: recycle the bucket
    bucket = ErrorBucket{};
    bucket.minute = minute;
  }
  if (bucket.minute == minute) ++bucket.counts[static_cast<int>(kind)];
  ++bot.error_streak;
  const std::uint32_t threshold = bot.config.max_consecutive_errors;
  if (threshold != 0 && bot.error_streak >= threshold && !bot.circuit_open) {
    bot.circuit_open = 1;
    ++bot_flag_changes_;
    return true;
  }
  return false;
}

void RiskEngine::on_success(BotId bot) noexcept {
  if (valid(bot)) bots_[index_of(bot)].error_streak = 0;
}

bool RiskEngine::reset_circuit(BotId bot) noexcept {
  if (!valid(bot)) return false;
  Bot& b = bots_[index_of(bot)];
  const bool was_open = b.circuit_open != 0;
  b.circuit_open = 0;
  b.error_streak = 0;
  if (was_open) ++bot_flag_changes_;
  return was_open;
}

}  // namespace be::risk
