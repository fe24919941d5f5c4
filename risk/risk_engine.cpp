// RiskEngine: construction, configuration, the decisions (check, check_cancel) and the
// queries. The rules are risk/checks.hpp, the state fold risk/fold.cpp, the snapshot
// risk/snapshot.cpp.
#include "risk/risk_engine.hpp"

#include <algorithm>
#include <array>

#include "core/fixed_point.hpp"
#include "core/names.hpp"

namespace be::risk {

namespace {

bool limits_fit(const Limits& l) noexcept {
  // Bucket capacity count x window must fit int64 (units are 1/window_ns token).
  const auto fits = [](std::uint32_t count, std::int64_t window) {
    if (window < 0) return false;
    return static_cast<Wide>(count) * window <= static_cast<Wide>(INT64_MAX);
  };
  return fits(l.order_rate_count, l.order_rate_window_ns) &&
         fits(l.cancel_rate_count, l.cancel_rate_window_ns);
}

RiskReject reject_of(const checks::Breach& breach, const OrderIntent& intent, Nanos t) noexcept {
  return RiskReject{.reason = breach.reason,
                    .scope = breach.scope,
                    .scope_id = breach.scope_id,
                    .bot = intent.bot,
                    .instrument = intent.instrument,
                    .limit = breach.limit,
                    .observed = breach.observed,
                    .cause = intent.cause,
                    .event_time = t};
}

constexpr std::array<Named<Scope>, kScopeCount> kScopeNames{{
    {Scope::kNone, "none"},
    {Scope::kBot, "bot"},
    {Scope::kAccount, "account"},
    {Scope::kGlobal, "global"},
}};
static_assert(names_every_code(kScopeNames, kScopeCount), "a new Scope needs its name here");

}  // namespace

std::string_view to_string(Scope scope) noexcept {
  return name_of(kScopeNames, scope);
}

RiskEngine::RiskEngine(Capacity capacity)
    : capacity_(capacity),
      instruments_(capacity.instruments),
      bots_(capacity.bots),
      accounts_(capacity.accounts),
      bot_instruments_(static_cast<std::size_t>(capacity.bots) * capacity.instruments),
      account_instruments_(static_cast<std::size_t>(capacity.accounts) * capacity.instruments),
      balances_(static_cast<std::size_t>(capacity.accounts) * capacity.assets),
      error_buckets_(static_cast<std::size_t>(capacity.bots) * kWindowBuckets),
      holder_words_((capacity.bots + 63) / 64),
      holders_(holder_words_ * capacity.instruments, 0) {
  // Value-initialised vectors zero every field, reserved bytes included, so hashes and
  // snapshots never see indeterminate bytes.
  positions_.reserve(bot_instruments_.size());
  for (std::size_t k = 0; k < bot_instruments_.size(); ++k)
    positions_.emplace_back(0);
  for (auto& b : error_buckets_)
    b.minute = INT64_MIN;
}

bool RiskEngine::define_instrument(const InstrumentDefined& def, AssetId base,
                                   AssetId quote) noexcept {
  if (!valid(def.instrument) || def.qty_scale > kMaxDecimalScale ||
      def.price_scale > kMaxDecimalScale || def.tick_size < 0 || def.step_size < 0 ||
      def.min_notional < 0 || static_cast<std::uint32_t>(base) >= capacity_.assets ||
      static_cast<std::uint32_t>(quote) >= capacity_.assets) {
    return false;
  }
  const std::uint32_t i = index_of(def.instrument);
  Instrument& in = instruments_[i];
  const bool scale_changed =
      in.defined && in.qty_unit != static_cast<std::int64_t>(pow10(def.qty_scale));
  if (scale_changed) return false;  // positions are held at the first definition's scale
  in.tick_size = def.tick_size;
  in.step_size = def.step_size;
  in.min_notional = def.min_notional;
  in.qty_unit = static_cast<std::int64_t>(pow10(def.qty_scale));
  in.base = static_cast<std::uint16_t>(base);
  in.quote = static_cast<std::uint16_t>(quote);
  if (!in.defined) {
    for (std::uint32_t b = 0; b < capacity_.bots; ++b)
      positions_[bi(b, i)] = Position(def.qty_scale);
  }
  in.defined = 1;
  return true;
}

bool RiskEngine::configure_bot(BotId bot, AccountId account, const BotConfig& config) noexcept {
  const auto a = static_cast<std::uint32_t>(account);
  if (!valid(bot) || a >= capacity_.accounts || !limits_fit(config.limits)) return false;
  Bot& b = bots_[index_of(bot)];
  if (b.s.configured && b.account != a) return false;  // a bot never changes account
  b.config = config;
  b.account = a;
  b.s.configured = 1;
  return true;
}

AccountId RiskEngine::bot_account(BotId bot) const noexcept {
  if (!valid(bot) || !bots_[index_of(bot)].s.configured) return kNoAccount;
  return AccountId{bots_[index_of(bot)].account};
}

bool RiskEngine::configure_account(AccountId account, const AccountConfig& config) noexcept {
  const auto a = static_cast<std::uint32_t>(account);
  if (a >= capacity_.accounts || !limits_fit(config.limits)) return false;
  accounts_[a].config = config;
  accounts_[a].s.configured = 1;
  return true;
}

// ---- Decisions --------------------------------------------------------------------------------

// flatten: the rules are small functions of one sequence; inlining them all into the hot
// path keeps check() as fast as the single function it was (bench/risk: ~30% slower without).
[[gnu::flatten]] Decision RiskEngine::check(const OrderIntent& intent, Nanos t) noexcept {
  advance_time(t);
  Decision d;
  Approval approval;
  if (const checks::Outcome breach = first_breach(intent, t, approval)) {
    d.reject = reject_of(*breach, intent, t);
    return d;
  }
  // Accepted: spend the tokens and count the trade.
  Bot& bot = bots_[index_of(intent.bot)];
  Account& account = accounts_[bot.account];
  const Limits& bl = bot.config.limits;
  const Limits& al = account.config.limits;
  bot.s.orders.spend(bl.order_rate_count, bl.order_rate_window_ns, approval.bot_tokens, t);
  account.s.orders.spend(al.order_rate_count, al.order_rate_window_ns, approval.account_tokens, t);
  if (!intent.reduce_only()) {
    ++bot.s.daily_trades;
    ++account.s.daily_trades;
  }
  d.quantity = approval.quantity;
  return d;
}

// The order of the rules is the reject precedence of docs/RISK.md: who, shape, may trade at
// all, price, the venue's filters, the band, the scope limits (bot, then account), balance,
// and the throttles last so that a rejected intent never spends a token.
checks::Outcome RiskEngine::first_breach(const OrderIntent& intent, Nanos t,
                                         Approval& approval) const noexcept {
  using checks::Breach;
  if (!valid(intent.instrument) || !instruments_[index_of(intent.instrument)].defined) {
    return Breach{RejectReason::kUnknownInstrument, Scope::kGlobal};
  }
  if (!valid(intent.bot) || !bots_[index_of(intent.bot)].s.configured) {
    return Breach{RejectReason::kUnknownBot, Scope::kGlobal};
  }
  const std::uint32_t b = index_of(intent.bot);
  const std::uint32_t i = index_of(intent.instrument);
  const Bot& bot = bots_[b];
  const Account& account = accounts_[bot.account];
  const Instrument& in = instruments_[i];
  const Limits& bl = bot.config.limits;
  const Limits& al = account.config.limits;

  if (auto breach = checks::intent_shape(intent, b)) return breach;
  if (auto breach =
          checks::kill_switch(global_kill_ & kKillBit, account.s, bot.account, bot.s, b)) {
    return breach;
  }
  if (auto breach = checks::disk_reserve(disk_reserve(), intent)) return breach;
  if (auto breach = checks::circuit_breaker(bot, b)) return breach;
  if (auto breach = checks::reference_price(intent, in.reference, bl, b, al, bot.account)) {
    return breach;
  }
  std::int64_t quantity = 0;
  if (auto breach = checks::quote_amount(intent, in, quantity)) return breach;

  const bool market = intent.type == OrderType::kMarket;
  const std::int64_t price = market ? in.reference : intent.price;
  const checks::Order order{intent,
                            market,
                            intent.side == Side::kBuy,
                            price,
                            quantity,
                            static_cast<Wide>(price) * quantity,
                            in.reference,
                            in.reference != 0 ? in.reference : price,
                            in.qty_unit};
  const BotInstrument& bot_orders = bot_instruments_[bi(b, i)];
  const AccountInstrument& account_orders = account_instruments_[ai(bot.account, i)];
  const std::int64_t position = positions_[bi(b, i)].quantity();

  if (auto breach = checks::reduce_only(order, position, b)) return breach;
  if (auto breach = checks::tick_size(order, in)) return breach;
  if (auto breach = checks::step_size(order, in)) return breach;
  if (auto breach = checks::min_notional(order, in)) return breach;
  if (auto breach = checks::price_band(order, Scope::kBot, b, bl.price_band_bps)) return breach;
  if (auto breach = checks::price_band(order, Scope::kAccount, bot.account, al.price_band_bps)) {
    return breach;
  }
  const checks::ScopeView bot_scope{
      Scope::kBot, b, bl, bot.s, position, order.buy ? bot_orders.open_buy : -bot_orders.open_sell};
  if (auto breach = checks::scope_limits(bot_scope, order)) return breach;
  const checks::ScopeView account_scope{
      Scope::kAccount,
      bot.account,
      al,
      account.s,
      account_orders.position,
      order.buy ? account_orders.open_buy : -account_orders.open_sell};
  if (auto breach = checks::scope_limits(account_scope, order)) return breach;
  if (account.config.check_balance) {
    const Wide available = available_balance(bot.account, in, order.buy);
    if (auto breach = checks::balance(order, available, bot.account)) return breach;
  }
  if (auto breach =
          checks::order_throttle(bl, bot.s.orders, Scope::kBot, b, t, approval.bot_tokens)) {
    return breach;
  }
  if (auto breach = checks::order_throttle(al, account.s.orders, Scope::kAccount, bot.account, t,
                                           approval.account_tokens)) {
    return breach;
  }
  approval.quantity = quantity;
  return std::nullopt;
}

Wide RiskEngine::available_balance(std::uint32_t account, const Instrument& in,
                                   bool buy) const noexcept {
  const std::uint16_t asset = buy ? in.quote : in.base;
  Wide reserved = 0;
  for (std::uint32_t j = 0; j < capacity_.instruments; ++j) {
    const Instrument& other = instruments_[j];
    if (!other.defined || (buy ? other.quote : other.base) != asset) continue;
    const AccountInstrument& orders = account_instruments_[ai(account, j)];
    reserved += buy ? orders.reserved_quote : orders.open_sell;
  }
  return static_cast<Wide>(
             balances_[static_cast<std::size_t>(account) * capacity_.assets + asset]) -
         reserved;
}

RiskReject RiskEngine::check_cancel(BotId bot_id, Nanos t) noexcept {
  advance_time(t);
  RiskReject r;
  r.bot = bot_id;
  r.event_time = t;
  if (!valid(bot_id) || !bots_[index_of(bot_id)].s.configured) {
    r.reason = RejectReason::kUnknownBot;
    r.scope = Scope::kGlobal;
    return r;
  }
  const std::uint32_t b = index_of(bot_id);
  Bot& bot = bots_[b];
  Account& account = accounts_[bot.account];
  const Limits& bl = bot.config.limits;
  const Limits& al = account.config.limits;
  std::int64_t bot_tokens = 0;
  std::int64_t account_tokens = 0;
  checks::Outcome breach =
      checks::cancel_throttle(bl, bot.s.cancels, Scope::kBot, b, t, bot_tokens);
  if (!breach) {
    breach = checks::cancel_throttle(al, account.s.cancels, Scope::kAccount, bot.account, t,
                                     account_tokens);
  }
  if (breach) {
    r.reason = breach->reason;
    r.scope = breach->scope;
    r.scope_id = breach->scope_id;
    r.limit = breach->limit;
    r.observed = breach->observed;
    return r;
  }
  bot.s.cancels.spend(bl.cancel_rate_count, bl.cancel_rate_window_ns, bot_tokens, t);
  account.s.cancels.spend(al.cancel_rate_count, al.cancel_rate_window_ns, account_tokens, t);
  return r;
}

// ---- Queries ---------------------------------------------------------------------------------

bool RiskEngine::kill_switch_latched(Scope scope, std::uint32_t id) const noexcept {
  const std::uint8_t* flag = const_cast<RiskEngine*>(this)->kill_flag(scope, id);
  return flag != nullptr && (*flag & kKillBit) != 0;
}

bool RiskEngine::kill_switch_active(BotId bot) const noexcept {
  if (global_kill_ & kKillBit) return true;
  if (!valid(bot)) return false;
  const Bot& b = bots_[index_of(bot)];
  return b.s.killed || (b.s.configured && accounts_[b.account].s.killed);
}

bool RiskEngine::circuit_open(BotId bot) const noexcept {
  return valid(bot) && bots_[index_of(bot)].circuit_open != 0;
}

std::uint32_t RiskEngine::error_count(BotId bot, ErrorKind kind, Nanos now) const noexcept {
  if (!valid(bot) || static_cast<int>(kind) >= kErrorKindCount) return 0;
  const std::int64_t minute = state::floor_div(now, kBucketNanos);
  std::uint32_t total = 0;
  const std::size_t row = static_cast<std::size_t>(index_of(bot)) * kWindowBuckets;
  for (int k = 0; k < kWindowBuckets; ++k) {
    const ErrorBucket& bucket = error_buckets_[row + static_cast<std::size_t>(k)];
    if (bucket.minute <= minute && bucket.minute > minute - kWindowBuckets) {
      total += bucket.counts[static_cast<int>(kind)];
    }
  }
  return total;
}

std::int64_t RiskEngine::position(BotId bot, InstrumentId instrument) const noexcept {
  if (!valid(bot) || !valid(instrument)) return 0;
  return positions_[bi(index_of(bot), index_of(instrument))].quantity();
}

std::int64_t RiskEngine::average_entry(BotId bot, InstrumentId instrument) const noexcept {
  if (!valid(bot) || !valid(instrument)) return 0;
  return positions_[bi(index_of(bot), index_of(instrument))].average_entry_price();
}

std::int64_t RiskEngine::bot_equity(BotId bot) const noexcept {
  return valid(bot) ? bots_[index_of(bot)].s.equity() : 0;
}

std::int64_t RiskEngine::bot_daily_pnl(BotId bot) const noexcept {
  if (!valid(bot)) return 0;
  const Scoped& s = bots_[index_of(bot)].s;
  return s.equity() - s.day_start_equity;
}

std::int64_t RiskEngine::account_equity(AccountId account) const noexcept {
  const auto a = static_cast<std::uint32_t>(account);
  return a < capacity_.accounts ? accounts_[a].s.equity() : 0;
}

std::int64_t RiskEngine::account_daily_pnl(AccountId account) const noexcept {
  const auto a = static_cast<std::uint32_t>(account);
  if (a >= capacity_.accounts) return 0;
  return accounts_[a].s.equity() - accounts_[a].s.day_start_equity;
}

std::uint32_t RiskEngine::open_orders(BotId bot) const noexcept {
  return valid(bot) ? bots_[index_of(bot)].s.open_orders : 0;
}

std::uint32_t RiskEngine::daily_trades(BotId bot) const noexcept {
  return valid(bot) ? bots_[index_of(bot)].s.daily_trades : 0;
}

std::int64_t RiskEngine::balance(AccountId account, AssetId asset) const noexcept {
  const auto a = static_cast<std::uint32_t>(account);
  const auto s = static_cast<std::uint32_t>(asset);
  if (a >= capacity_.accounts || s >= capacity_.assets) return 0;
  return balances_[static_cast<std::size_t>(a) * capacity_.assets + s];
}

std::int64_t RiskEngine::reference_price(InstrumentId instrument) const noexcept {
  return valid(instrument) ? instruments_[index_of(instrument)].reference : 0;
}

}  // namespace be::risk
