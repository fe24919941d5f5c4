#include "risk/risk_engine.hpp"

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "core/fixed_point.hpp"

namespace be::risk {


namespace {

constexpr Wide abs_wide(Wide v) noexcept {
  return v < 0 ? -v : v;
}
constexpr std::int64_t abs64(std::int64_t v) noexcept {
  return v < 0 ? -v : v;
}

// Reported figures only: comparisons are made on the exact 128-bit values.
constexpr std::int64_t clamp64(Wide v) noexcept {
  constexpr Wide kMax = INT64_MAX;
  constexpr Wide kMin = INT64_MIN;
  return static_cast<std::int64_t>(v > kMax ? kMax : (v < kMin ? kMin : v));
}

constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

constexpr Wide ceil_div(Wide a, Wide b) noexcept {  // a >= 0, b > 0
  return (a + b - 1) / b;
}

class Fnv {
 public:
  template <class T>
  void add(const T& v) noexcept {
    static_assert(std::has_unique_object_representations_v<T>);
    add_bytes(&v, sizeof(T));
  }
  template <class T>
  void add_all(const std::vector<T>& v) noexcept {
    static_assert(std::has_unique_object_representations_v<T>);
    add_bytes(v.data(), v.size() * sizeof(T));
  }
  void add_bytes(const void* p, std::size_t n) noexcept {
    const auto* b = static_cast<const unsigned char*>(p);
    for (std::size_t k = 0; k < n; ++k) {
      h_ ^= b[k];
      h_ *= 0x100000001b3ULL;
    }
  }
  std::uint64_t value() const noexcept { return h_; }

 private:
  std::uint64_t h_ = 0xcbf29ce484222325ULL;
};

// Writes into a buffer sized up front (snapshot_size()), so there is one allocation.
struct Writer {
  std::byte* out;
  template <class T>
  void put(const T& v) noexcept {
    std::memcpy(out, &v, sizeof(T));
    out += sizeof(T);
  }
  template <class T>
  void put_all(const std::vector<T>& v) noexcept {
    std::memcpy(out, static_cast<const void*>(v.data()), v.size() * sizeof(T));
    out += v.size() * sizeof(T);
  }
};

struct Reader {
  std::span<const std::byte> in;
  std::size_t pos = 0;
  bool ok = true;
  template <class T>
  void get(T& v) noexcept {
    if (pos + sizeof(T) > in.size()) {
      ok = false;
      return;
    }
    std::memcpy(&v, in.data() + pos, sizeof(T));
    pos += sizeof(T);
  }
};

// Token bucket state after refilling up to `t`; refill is path-independent (tokens only grow
// until the cap), so computing it without storing changes nothing.
std::int64_t refilled(const std::int64_t tokens, Nanos last, bool primed, std::uint32_t count,
                      std::int64_t window, Nanos t) noexcept {
  const Wide cap = static_cast<Wide>(count) * window;
  if (!primed) return static_cast<std::int64_t>(cap);
  if (t <= last) return tokens;
  const Wide sum = static_cast<Wide>(tokens) + static_cast<Wide>(t - last) * count;
  return static_cast<std::int64_t>(sum > cap ? cap : sum);
}

bool limits_fit(const Limits& l) noexcept {
  // Bucket capacity count x window must fit int64 (units are 1/window_ns token).
  const auto fits = [](std::uint32_t count, std::int64_t window) {
    if (window < 0) return false;
    return static_cast<Wide>(count) * window <= static_cast<Wide>(INT64_MAX);
  };
  return fits(l.order_rate_count, l.order_rate_window_ns) &&
         fits(l.cancel_rate_count, l.cancel_rate_window_ns);
}

RiskReject make_reject(RejectReason reason, Scope scope, std::uint32_t id,
                       const OrderIntent& intent, std::int64_t limit, std::int64_t observed,
                       Nanos t) noexcept {
  RiskReject r;
  r.reason = reason;
  r.scope = scope;
  r.scope_id = id;
  r.bot = intent.bot;
  r.instrument = intent.instrument;
  r.limit = limit;
  r.observed = observed;
  r.cause = intent.cause;
  r.event_time = t;
  return r;
}

// Position has no public way to be built from its parts, which a restore needs. Its
// snapshot record is its four public figures (deterministic bytes); the object is rebuilt
// from a mirror of its layout, and the rebuild is verified through the same accessors, so
// a change of Position's layout makes restore fail loudly (kCorrupt; the tests catch
// it) instead of misreading. The lead is asked for Position::from_parts() instead.
struct PositionRecord {
  std::int64_t quantity;
  std::int64_t fees;
  Wide cost;
  Wide realized;
};
static_assert(std::has_unique_object_representations_v<PositionRecord>);

struct PositionMirror {  // Position's members, in declaration order
  Wide scale;
  std::int64_t quantity;
  Wide cost;
  Wide realized;
  std::int64_t fees;
};
static_assert(sizeof(PositionMirror) == sizeof(Position) &&
              alignof(PositionMirror) == alignof(Position) &&
              std::is_trivially_copyable_v<Position>);

bool rebuild(const PositionRecord& r, std::int64_t qty_unit, Position& out) noexcept {
  PositionMirror m{};
  m.scale = qty_unit;
  m.quantity = r.quantity;
  m.cost = r.cost;
  m.realized = r.realized;
  m.fees = r.fees;
  Position p(0);
  std::memcpy(static_cast<void*>(&p), &m, sizeof p);
  // Verified through the accessors, including the scale (realized_pnl divides by it).
  const bool same =
      p.quantity() == r.quantity && p.fees() == r.fees && p.cost_basis_exact() == r.cost &&
      p.realized_exact() == r.realized &&
      p.realized_pnl() == static_cast<std::int64_t>(divide_rounded(r.realized, qty_unit));
  if (same) out = p;
  return same;
}

PositionRecord record_of(const Position& p) noexcept {
  return PositionRecord{p.quantity(), p.fees(), p.cost_basis_exact(), p.realized_exact()};
}

}  // namespace

std::string_view to_string(Scope scope) noexcept {
  switch (scope) {
    case Scope::kNone:
      return "none";
    case Scope::kBot:
      return "bot";
    case Scope::kAccount:
      return "account";
    case Scope::kGlobal:
      return "global";
  }
  return "unknown";
}

RiskEngine::RiskEngine(Capacity capacity)
    : capacity_(capacity),
      instruments_(capacity.instruments),
      bots_(capacity.bots),
      accounts_(capacity.accounts),
      bot_instruments_(static_cast<std::size_t>(capacity.bots) * capacity.instruments),
      account_instruments_(static_cast<std::size_t>(capacity.accounts) * capacity.instruments),
      balances_(static_cast<std::size_t>(capacity.accounts) * capacity.assets),
      error_buckets_(static_cast<std::size_t>(capacity.bots) * kWindowBuckets) {
  static_assert(std::has_unique_object_representations_v<Instrument>);
  static_assert(std::has_unique_object_representations_v<Bot>);
  static_assert(std::has_unique_object_representations_v<Account>);
  static_assert(std::has_unique_object_representations_v<BotInstrument>);
  static_assert(std::has_unique_object_representations_v<AccountInstrument>);
  static_assert(std::has_unique_object_representations_v<ErrorBucket>);
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
  bots_in_use_ = std::max(bots_in_use_, index_of(bot) + 1);
  return true;
}

bool RiskEngine::configure_account(AccountId account, const AccountConfig& config) noexcept {
  const auto a = static_cast<std::uint32_t>(account);
  if (a >= capacity_.accounts || !limits_fit(config.limits)) return false;
  accounts_[a].config = config;
  accounts_[a].s.configured = 1;
  return true;
}

void RiskEngine::advance_time(Nanos event_time) noexcept {
  // Fast path without a division: still inside the current day (or earlier: time never
  // moves the day backwards).
  if (event_time < (day_ + 1) * kDayNanos) return;
  const std::int64_t day = floor_div(event_time, kDayNanos);
  day_ = day;
  for (Bot& b : bots_) {
    b.s.day_start_equity = b.s.equity();
    b.s.daily_trades = 0;
  }
  for (Account& a : accounts_) {
    a.s.day_start_equity = a.s.equity();
    a.s.daily_trades = 0;
  }
}

bool RiskEngine::check_scope(const Limits& l, const Scoped& s, Scope scope, std::uint32_t id,
                             const OrderIntent& intent, std::int64_t quantity, Wide notional,
                             std::int64_t position, std::int64_t open_same_side,
                             std::int64_t value_price, const Instrument& in,
                             RiskReject& out) const noexcept {
  const Nanos t = 0;  // stamped by the caller
  const Wide unit = in.qty_unit;
  const bool reduce = intent.reduce_only();
  if (!reduce) {
    if (l.max_order_quantity != 0 && quantity > l.max_order_quantity) {
      out = make_reject(RejectReason::kMaxOrderQuantity, scope, id, intent, l.max_order_quantity,
                        quantity, t);
      return false;
    }
    if (l.max_order_notional != 0 && notional > static_cast<Wide>(l.max_order_notional) * unit) {
      out = make_reject(RejectReason::kMaxOrderNotional, scope, id, intent, l.max_order_notional,
                        clamp64(divide_rounded(notional, unit)), t);
      return false;
    }
    const std::int64_t signed_qty = intent.side == Side::kBuy ? quantity : -quantity;
    const std::int64_t projected = position + open_same_side + signed_qty;
    const std::int64_t exposure = abs64(projected);
    if (l.max_position_quantity != 0 && exposure > l.max_position_quantity) {
      out = make_reject(RejectReason::kMaxPositionQuantity, scope, id, intent,
                        l.max_position_quantity, exposure, t);
      return false;
    }
    const Wide exposure_notional = static_cast<Wide>(exposure) * value_price;
    if (l.max_position_notional != 0 &&
        exposure_notional > static_cast<Wide>(l.max_position_notional) * unit) {
      out =
          make_reject(RejectReason::kMaxPositionNotional, scope, id, intent,
                      l.max_position_notional, clamp64(divide_rounded(exposure_notional, unit)), t);
      return false;
    }
  }
  if (l.max_open_orders != 0 && s.open_orders >= l.max_open_orders) {
    out = make_reject(RejectReason::kMaxOpenOrders, scope, id, intent, l.max_open_orders,
                      s.open_orders, t);
    return false;
  }
  if (!reduce) {
    const std::int64_t loss = s.day_start_equity - s.equity();
    if (l.max_daily_loss != 0 && loss >= l.max_daily_loss) {
      out = make_reject(RejectReason::kMaxDailyLoss, scope, id, intent, l.max_daily_loss, loss, t);
      return false;
    }
    const std::int64_t drawdown = s.peak_equity - s.equity();
    if (l.max_drawdown != 0 && drawdown >= l.max_drawdown) {
      out = make_reject(RejectReason::kMaxDrawdown, scope, id, intent, l.max_drawdown, drawdown, t);
      return false;
    }
    if (l.max_daily_trades != 0 && s.daily_trades >= l.max_daily_trades) {
      out = make_reject(RejectReason::kMaxDailyTrades, scope, id, intent, l.max_daily_trades,
                        s.daily_trades, t);
      return false;
    }
  }
  return true;
}

Decision RiskEngine::check(const OrderIntent& intent, Nanos t) noexcept {
  advance_time(t);
  Decision d;
  const auto reject = [&](RejectReason reason, Scope scope, std::uint32_t id, std::int64_t limit,
                          std::int64_t observed) {
    d.reject = make_reject(reason, scope, id, intent, limit, observed, t);
    return d;
  };
  if (!valid(intent.instrument) || !instruments_[index_of(intent.instrument)].defined) {
    return reject(RejectReason::kUnknownInstrument, Scope::kGlobal, 0, 0, 0);
  }
  if (!valid(intent.bot) || !bots_[index_of(intent.bot)].s.configured) {
    return reject(RejectReason::kUnknownBot, Scope::kGlobal, 0, 0, 0);
  }
  const std::uint32_t b = index_of(intent.bot);
  const std::uint32_t i = index_of(intent.instrument);
  Bot& bot = bots_[b];
  Account& account = accounts_[bot.account];
  const Instrument& in = instruments_[i];
  const bool market = intent.type == OrderType::kMarket;
  const bool by_amount = intent.quote_amount != 0;

  // Shape of the intent: exactly one of quantity / quote amount; amounts only on market buys.
  const bool shape_ok = (intent.side == Side::kBuy || intent.side == Side::kSell) &&
                        (intent.type == OrderType::kMarket || intent.type == OrderType::kLimit) &&
                        (by_amount ? (market && intent.side == Side::kBuy &&
                                      intent.quote_amount > 0 && intent.quantity == 0)
                                   : intent.quantity > 0) &&
                        (market || intent.price > 0);
  if (!shape_ok) return reject(RejectReason::kInvalidIntent, Scope::kBot, b, 0, 0);

  if (global_kill_) return reject(RejectReason::kKillSwitch, Scope::kGlobal, 0, 0, 0);
  if (account.s.killed)
    return reject(RejectReason::kKillSwitch, Scope::kAccount, bot.account, 0, 0);
  if (bot.s.killed) return reject(RejectReason::kKillSwitch, Scope::kBot, b, 0, 0);
  if (bot.circuit_open) {
    return reject(RejectReason::kCircuitOpen, Scope::kBot, b, bot.config.max_consecutive_errors,
                  bot.error_streak);
  }

  const Limits& bl = bot.config.limits;
  const Limits& al = account.config.limits;
  const std::int64_t reference = in.reference;
  if (reference == 0) {
    if (market) return reject(RejectReason::kNoReferencePrice, Scope::kBot, b, 0, 0);
    if (bl.price_band_bps != 0)
      return reject(RejectReason::kNoReferencePrice, Scope::kBot, b, 0, 0);
    if (al.price_band_bps != 0) {
      return reject(RejectReason::kNoReferencePrice, Scope::kAccount, bot.account, 0, 0);
    }
  }
  const std::int64_t price = market ? reference : intent.price;

  std::int64_t quantity = intent.quantity;
  if (by_amount) {
    // Spend at most quote_amount at the reference price: round DOWN to the step size.
    Wide q = static_cast<Wide>(intent.quote_amount) * in.qty_unit / reference;
    if (in.step_size > 0) q -= q % in.step_size;
    if (q <= 0) {
      return reject(RejectReason::kQuoteAmountTooSmall, Scope::kGlobal, 0, in.min_notional,
                    intent.quote_amount);
    }
    quantity = clamp64(q);
  }

  const BotInstrument& pos_state = bot_instruments_[bi(b, i)];
  const std::int64_t position = positions_[bi(b, i)].quantity();
  if (intent.reduce_only()) {
    const bool shrinks = intent.side == Side::kSell ? (position > 0 && quantity <= position)
                                                    : (position < 0 && quantity <= -position);
    if (!shrinks) {
      return reject(RejectReason::kReduceOnlyWouldIncrease, Scope::kBot, b, abs64(position),
                    quantity);
    }
  }

  // The venue's filters.
  if (!market && in.tick_size > 0 && price % in.tick_size != 0) {
    return reject(RejectReason::kTickSize, Scope::kGlobal, 0, in.tick_size, price);
  }
  if (in.step_size > 0 && quantity % in.step_size != 0) {
    return reject(RejectReason::kStepSize, Scope::kGlobal, 0, in.step_size, quantity);
  }
  const Wide notional = static_cast<Wide>(price) * quantity;
  const Wide unit = in.qty_unit;
  if (in.min_notional > 0 && notional < static_cast<Wide>(in.min_notional) * unit) {
    return reject(RejectReason::kMinNotional, Scope::kGlobal, 0, in.min_notional,
                  clamp64(divide_rounded(notional, unit)));
  }

  // Fat finger: |price - reference| <= band x reference / 10^4, exactly.
  if (!market) {
    const Wide deviation = abs_wide(static_cast<Wide>(price) - reference) * 10'000;
    const auto band_bps = [&](std::uint32_t band) -> std::int64_t {
      if (band == 0 || deviation <= static_cast<Wide>(band) * reference) return -1;
      return clamp64(deviation / reference);
    };
    if (const std::int64_t obs = band_bps(bl.price_band_bps); obs >= 0) {
      return reject(RejectReason::kPriceBand, Scope::kBot, b, bl.price_band_bps, obs);
    }
    if (const std::int64_t obs = band_bps(al.price_band_bps); obs >= 0) {
      return reject(RejectReason::kPriceBand, Scope::kAccount, bot.account, al.price_band_bps, obs);
    }
  }

  const std::int64_t value_price = reference != 0 ? reference : price;
  const AccountInstrument& acct_state = account_instruments_[ai(bot.account, i)];
  const bool buy = intent.side == Side::kBuy;
  if (!check_scope(bl, bot.s, Scope::kBot, b, intent, quantity, notional, position,
                   buy ? pos_state.open_buy : -pos_state.open_sell, value_price, in, d.reject) ||
      !check_scope(al, account.s, Scope::kAccount, bot.account, intent, quantity, notional,
                   acct_state.position, buy ? acct_state.open_buy : -acct_state.open_sell,
                   value_price, in, d.reject)) {
    d.reject.event_time = t;
    return d;
  }

  if (account.config.check_balance) {
    const std::size_t row = static_cast<std::size_t>(bot.account) * capacity_.assets;
    if (buy) {
      Wide reserved = 0;  // quote held by resting buys of every instrument quoted in it
      for (std::uint32_t j = 0; j < capacity_.instruments; ++j) {
        if (instruments_[j].defined && instruments_[j].quote == in.quote) {
          reserved += account_instruments_[ai(bot.account, j)].reserved_quote;
        }
      }
      const Wide available = static_cast<Wide>(balances_[row + in.quote]) - reserved;
      if (notional > available * unit) {
        return reject(RejectReason::kInsufficientBalance, Scope::kAccount, bot.account,
                      clamp64(available), clamp64(ceil_div(notional, unit)));
      }
    } else {
      Wide reserved = 0;  // base held by resting sells of every instrument based on it
      for (std::uint32_t j = 0; j < capacity_.instruments; ++j) {
        if (instruments_[j].defined && instruments_[j].base == in.base) {
          reserved += account_instruments_[ai(bot.account, j)].open_sell;
        }
      }
      const Wide available = static_cast<Wide>(balances_[row + in.base]) - reserved;
      if (quantity > available) {
        return reject(RejectReason::kInsufficientBalance, Scope::kAccount, bot.account,
                      clamp64(available), quantity);
      }
    }
  }

  // Throttles last, so that a rejected intent never spends a token.
  const auto take = [&](const Limits& l, Bucket& bucket, std::int64_t& after) {
    if (l.order_rate_count == 0 || l.order_rate_window_ns == 0) return true;
    after = refilled(bucket.tokens, bucket.last, bucket.primed, l.order_rate_count,
                     l.order_rate_window_ns, t);
    return after >= l.order_rate_window_ns;
  };
  std::int64_t bot_after = 0;
  std::int64_t account_after = 0;
  if (!take(bl, bot.s.orders, bot_after)) {
    return reject(RejectReason::kOrderRateThrottle, Scope::kBot, b, bl.order_rate_count,
                  bot_after / bl.order_rate_window_ns);
  }
  if (!take(al, account.s.orders, account_after)) {
    return reject(RejectReason::kOrderRateThrottle, Scope::kAccount, bot.account,
                  al.order_rate_count, account_after / al.order_rate_window_ns);
  }

  // Accepted: spend the tokens and count the trade.
  const auto spend = [&](const Limits& l, Bucket& bucket, std::int64_t after) {
    if (l.order_rate_count == 0 || l.order_rate_window_ns == 0) return;
    bucket.tokens = after - l.order_rate_window_ns;
    bucket.last = bucket.primed ? std::max(bucket.last, t) : t;
    bucket.primed = 1;
  };
  spend(bl, bot.s.orders, bot_after);
  spend(al, account.s.orders, account_after);
  if (!intent.reduce_only()) {
    ++bot.s.daily_trades;
    ++account.s.daily_trades;
  }
  d.quantity = quantity;
  return d;
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
  const auto available = [&](const Limits& l, const Bucket& bucket) -> std::int64_t {
    if (l.cancel_rate_count == 0 || l.cancel_rate_window_ns == 0) return -1;
    return refilled(bucket.tokens, bucket.last, bucket.primed, l.cancel_rate_count,
                    l.cancel_rate_window_ns, t);
  };
  const std::int64_t bot_after = available(bl, bot.s.cancels);
  const std::int64_t account_after = available(al, account.s.cancels);
  const auto fail = [&](Scope scope, std::uint32_t id, const Limits& l, std::int64_t after) {
    r.reason = RejectReason::kCancelRateThrottle;
    r.scope = scope;
    r.scope_id = id;
    r.limit = l.cancel_rate_count;
    r.observed = after / l.cancel_rate_window_ns;
    return r;
  };
  if (bot_after >= 0 && bot_after < bl.cancel_rate_window_ns) {
    return fail(Scope::kBot, b, bl, bot_after);
  }
  if (account_after >= 0 && account_after < al.cancel_rate_window_ns) {
    return fail(Scope::kAccount, bot.account, al, account_after);
  }
  const auto spend = [&](const Limits& l, Bucket& bucket, std::int64_t after) {
    if (after < 0) return;
    bucket.tokens = after - l.cancel_rate_window_ns;
    bucket.last = bucket.primed ? std::max(bucket.last, t) : t;
    bucket.primed = 1;
  };
  spend(bl, bot.s.cancels, bot_after);
  spend(al, account.s.cancels, account_after);
  return r;
}

void RiskEngine::add_pnl(std::uint32_t b, std::int64_t delta, std::int64_t fee) noexcept {
  Scoped& bs = bots_[b].s;
  bs.pnl += delta;
  bs.fees += fee;
  bs.peak_equity = std::max(bs.peak_equity, bs.equity());
  // The account's peak is settled once the whole input is folded (settle_account_peak), so
  // it never depends on the order in which one price update revalues several bots.
  Scoped& as = accounts_[bots_[b].account].s;
  as.pnl += delta;
  as.fees += fee;
}

void RiskEngine::settle_account_peaks() noexcept {
  for (Account& a : accounts_)
    a.s.peak_equity = std::max(a.s.peak_equity, a.s.equity());
}

std::int64_t RiskEngine::revalue(std::uint32_t b, std::uint32_t i) noexcept {
  const Position& p = positions_[bi(b, i)];
  const Instrument& in = instruments_[i];
  const Wide exact =
      p.realized_exact() - p.cost_basis_exact() + static_cast<Wide>(p.quantity()) * valuation(in);
  const std::int64_t contribution = static_cast<std::int64_t>(divide_rounded(exact, in.qty_unit));
  BotInstrument& state = bot_instruments_[bi(b, i)];
  const std::int64_t delta = contribution - state.contribution;
  state.contribution = contribution;
  return delta;
}

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
  in.last_fill_price = fill.price;

  BotInstrument& state = bot_instruments_[bi(b, i)];
  AccountInstrument& acct = account_instruments_[ai(bot.account, i)];
  acct.position += signed_qty;
  if (fill.from_open_order) {
    std::int64_t& open = buy ? state.open_buy : state.open_sell;
    open -= std::min(open, fill.quantity);
    std::int64_t& acct_open = buy ? acct.open_buy : acct.open_sell;
    acct_open -= std::min(acct_open, fill.quantity);
    if (buy) {
      acct.open_buy_notional -= static_cast<Wide>(fill.order_price) * fill.quantity;
      if (acct.open_buy_notional < 0 || acct.open_buy == 0) acct.open_buy_notional = 0;
      acct.reserved_quote =
          static_cast<std::int64_t>(ceil_div(acct.open_buy_notional, in.qty_unit));
    }
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
  const std::uint32_t b = index_of(order.bot);
  const std::uint32_t i = index_of(order.instrument);
  Bot& bot = bots_[b];
  ++bot.s.open_orders;
  ++accounts_[bot.account].s.open_orders;
  BotInstrument& state = bot_instruments_[bi(b, i)];
  AccountInstrument& acct = account_instruments_[ai(bot.account, i)];
  if (order.side == Side::kBuy) {
    state.open_buy += order.quantity;
    acct.open_buy += order.quantity;
    acct.open_buy_notional += static_cast<Wide>(order.price) * order.quantity;
    acct.reserved_quote =
        static_cast<std::int64_t>(ceil_div(acct.open_buy_notional, instruments_[i].qty_unit));
  } else if (order.side == Side::kSell) {
    state.open_sell += order.quantity;
    acct.open_sell += order.quantity;
  }
  return true;
}

bool RiskEngine::apply_order_closed(const OrderInput& order) noexcept {
  if (!accept_order_input(order)) return false;
  const std::uint32_t b = index_of(order.bot);
  const std::uint32_t i = index_of(order.instrument);
  Bot& bot = bots_[b];
  Scoped& as = accounts_[bot.account].s;
  if (bot.s.open_orders > 0) --bot.s.open_orders;
  if (as.open_orders > 0) --as.open_orders;
  BotInstrument& state = bot_instruments_[bi(b, i)];
  AccountInstrument& acct = account_instruments_[ai(bot.account, i)];
  if (order.side == Side::kBuy) {
    state.open_buy -= std::min(state.open_buy, order.quantity);
    acct.open_buy -= std::min(acct.open_buy, order.quantity);
    acct.open_buy_notional -= static_cast<Wide>(order.price) * order.quantity;
    if (acct.open_buy_notional < 0 || acct.open_buy == 0) acct.open_buy_notional = 0;
    acct.reserved_quote =
        static_cast<std::int64_t>(ceil_div(acct.open_buy_notional, instruments_[i].qty_unit));
  } else if (order.side == Side::kSell) {
    state.open_sell -= std::min(state.open_sell, order.quantity);
    acct.open_sell -= std::min(acct.open_sell, order.quantity);
  }
  return true;
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

std::size_t RiskEngine::apply_trade(const Trade& trade, Nanos t,
                                    std::span<OrderIntent> exits) noexcept {
  advance_time(t);
  if (!valid(trade.instrument) || trade.price <= 0) return 0;
  return on_mark(index_of(trade.instrument), trade.price, t, exits);
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
  return on_mark(index_of(quote.instrument), mid, t, exits);
}

std::size_t RiskEngine::on_mark(std::uint32_t i, std::int64_t mark, Nanos /*t*/,
                                std::span<OrderIntent> exits) noexcept {
  Instrument& in = instruments_[i];
  if (!in.defined) return 0;
  in.reference = mark;
  std::size_t fired = 0;
  for (std::uint32_t b = 0; b < bots_in_use_; ++b) {
    const Position& p = positions_[bi(b, i)];
    if (p.quantity() == 0 || !bots_[b].s.configured) continue;
    add_pnl(b, revalue(b, i), 0);
    BotInstrument& state = bot_instruments_[bi(b, i)];
    const bool is_long = p.quantity() > 0;
    state.best_price = is_long ? std::max(state.best_price, mark)
                               : (state.best_price == 0 ? mark : std::min(state.best_price, mark));
    const Protection& pr = bots_[b].config.protection;
    if (state.exit_pending || (pr.stop_loss_bps | pr.take_profit_bps | pr.trailing_stop_bps) == 0) {
      continue;
    }
    // All comparisons exact: mark x 10^4 against reference x (10^4 -+ bps).
    const Wide m = static_cast<Wide>(mark) * 10'000;
    const Wide entry = p.average_entry_price();
    const Wide best = state.best_price;
    std::uint32_t tag = 0;
    if (is_long) {
      if (pr.stop_loss_bps != 0 && m <= entry * (10'000 - static_cast<Wide>(pr.stop_loss_bps))) {
        tag = kTagStopLoss;
      } else if (pr.trailing_stop_bps != 0 &&
                 m <= best * (10'000 - static_cast<Wide>(pr.trailing_stop_bps))) {
        tag = kTagTrailingStop;
      } else if (pr.take_profit_bps != 0 &&
                 m >= entry * (10'000 + static_cast<Wide>(pr.take_profit_bps))) {
        tag = kTagTakeProfit;
      }
    } else {
      if (pr.stop_loss_bps != 0 && m >= entry * (10'000 + static_cast<Wide>(pr.stop_loss_bps))) {
        tag = kTagStopLoss;
      } else if (pr.trailing_stop_bps != 0 &&
                 m >= best * (10'000 + static_cast<Wide>(pr.trailing_stop_bps))) {
        tag = kTagTrailingStop;
      } else if (pr.take_profit_bps != 0 &&
                 m <= entry * (10'000 - static_cast<Wide>(pr.take_profit_bps))) {
        tag = kTagTakeProfit;
      }
    }
    if (tag == 0 || fired == exits.size()) continue;
    OrderIntent& exit = exits[fired++];
    exit = OrderIntent{};
    exit.bot = BotId{b};
    exit.instrument = InstrumentId{i};
    exit.side = is_long ? Side::kSell : Side::kBuy;
    exit.type = OrderType::kMarket;
    exit.time_in_force = TimeInForce::kIoc;
    exit.flags = OrderIntent::kReduceOnly;
    exit.tag = tag;
    exit.quantity = is_long ? p.quantity() : -p.quantity();
    state.exit_pending = 1;
  }
  settle_account_peaks();
  return fired;
}

std::uint8_t* RiskEngine::kill_flag(Scope scope, std::uint32_t id) noexcept {
  if (scope == Scope::kGlobal) return &global_kill_;
  if (scope == Scope::kBot && id < capacity_.bots) return &bots_[id].s.killed;
  if (scope == Scope::kAccount && id < capacity_.accounts) return &accounts_[id].s.killed;
  return nullptr;
}

bool RiskEngine::kill_switch_latched(Scope scope, std::uint32_t id) const noexcept {
  const std::uint8_t* flag = const_cast<RiskEngine*>(this)->kill_flag(scope, id);
  return flag != nullptr && *flag != 0;
}

bool RiskEngine::set_kill_switch(Scope scope, std::uint32_t id) noexcept {
  std::uint8_t* flag = kill_flag(scope, id);
  if (flag == nullptr || *flag) return false;
  *flag = 1;
  return true;
}

bool RiskEngine::reset_kill_switch(Scope scope, std::uint32_t id) noexcept {
  std::uint8_t* flag = kill_flag(scope, id);
  if (flag == nullptr || !*flag) return false;
  *flag = 0;
  return true;
}

bool RiskEngine::apply(const OperatorCommand& command) noexcept {
  const Scope scope = command.bot == kNoBot ? Scope::kGlobal : Scope::kBot;
  const std::uint32_t id = command.bot == kNoBot ? 0 : index_of(command.bot);
  if (command.kind == OperatorCommandKind::kKillSwitchSet) return set_kill_switch(scope, id);
  if (command.kind == OperatorCommandKind::kKillSwitchReset) return reset_kill_switch(scope, id);
  return false;
}

bool RiskEngine::kill_switch_active(BotId bot) const noexcept {
  if (global_kill_) return true;
  if (!valid(bot)) return false;
  const Bot& b = bots_[index_of(bot)];
  return b.s.killed || (b.s.configured && accounts_[b.account].s.killed);
}

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
  return was_open;
}

bool RiskEngine::circuit_open(BotId bot) const noexcept {
  return valid(bot) && bots_[index_of(bot)].circuit_open != 0;
}

std::uint32_t RiskEngine::error_count(BotId bot, ErrorKind kind, Nanos now) const noexcept {
  if (!valid(bot) || static_cast<int>(kind) >= kErrorKindCount) return 0;
  const std::int64_t minute = floor_div(now, kBucketNanos);
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

std::uint64_t RiskEngine::state_hash() const noexcept {
  Fnv h;
  h.add(capacity_.bots);
  h.add(capacity_.accounts);
  h.add(capacity_.instruments);
  h.add(capacity_.assets);
  h.add(day_);
  h.add(global_kill_);
  h.add(bad_inputs_);
  h.add_all(instruments_);
  h.add_all(bots_);
  h.add_all(accounts_);
  h.add_all(bot_instruments_);
  h.add_all(account_instruments_);
  h.add_all(balances_);
  h.add_all(error_buckets_);
  for (const Position& p : positions_) {  // through accessors: its padding is not state
    h.add(p.quantity());
    h.add(p.cost_basis_exact());
    h.add(p.realized_exact());
    h.add(p.fees());
  }
  return h.value();
}

// Layout: [version u8][bots u32][accounts u32][instruments u32][assets u32][day i64]
// [global_kill u8][bad_inputs u64] then the tables in the order state_hash() reads them,
// each as its raw elements (no padding: asserted), positions last as PositionRecord
// {quantity, fees, cost, realized}. Equal states give byte-identical snapshots.
std::size_t RiskEngine::snapshot_size() const noexcept {
  return sizeof(kSnapshotVersion) + 4 * sizeof(std::uint32_t) + sizeof(day_) +
         sizeof(global_kill_) + sizeof(bad_inputs_) + instruments_.size() * sizeof(Instrument) +
         bots_.size() * sizeof(Bot) + accounts_.size() * sizeof(Account) +
         bot_instruments_.size() * sizeof(BotInstrument) +
         account_instruments_.size() * sizeof(AccountInstrument) +
         balances_.size() * sizeof(std::int64_t) + error_buckets_.size() * sizeof(ErrorBucket) +
         positions_.size() * sizeof(PositionRecord);
}

std::vector<std::byte> RiskEngine::snapshot() const {
  std::vector<std::byte> out(snapshot_size());
  Writer w{out.data()};
  w.put(kSnapshotVersion);
  w.put(capacity_.bots);
  w.put(capacity_.accounts);
  w.put(capacity_.instruments);
  w.put(capacity_.assets);
  w.put(day_);
  w.put(global_kill_);
  w.put(bad_inputs_);
  w.put_all(instruments_);
  w.put_all(bots_);
  w.put_all(accounts_);
  w.put_all(bot_instruments_);
  w.put_all(account_instruments_);
  w.put_all(balances_);
  w.put_all(error_buckets_);
  for (const Position& p : positions_)
    w.put(record_of(p));
  return out;
}

Expected<bool, RestoreError> RiskEngine::restore(std::span<const std::byte> bytes) noexcept {
  Reader r{bytes};
  std::uint8_t version = 0;
  r.get(version);
  if (!r.ok) return Unexpected{RestoreError::kTruncated};
  if (version != kSnapshotVersion) return Unexpected{RestoreError::kBadVersion};
  Capacity c;
  r.get(c.bots);
  r.get(c.accounts);
  r.get(c.instruments);
  r.get(c.assets);
  if (!r.ok) return Unexpected{RestoreError::kTruncated};
  if (c.bots != capacity_.bots || c.accounts != capacity_.accounts ||
      c.instruments != capacity_.instruments || c.assets != capacity_.assets) {
    return Unexpected{RestoreError::kCapacityMismatch};
  }
  const std::size_t need = snapshot_size();
  if (bytes.size() != need) return Unexpected{RestoreError::kTruncated};
  // Validate the records that index other tables before changing anything.
  const std::size_t instruments_at =
      r.pos + sizeof(day_) + sizeof(global_kill_) + sizeof(bad_inputs_);
  for (std::size_t k = 0; k < instruments_.size(); ++k) {
    Instrument in;
    std::memcpy(&in, bytes.data() + instruments_at + k * sizeof(Instrument), sizeof in);
    if (in.defined > 1) return Unexpected{RestoreError::kCorrupt};
    if (!in.defined) continue;
    bool power_of_ten = false;
    for (int q = 0; q <= kMaxDecimalScale; ++q) {
      power_of_ten |= in.qty_unit == static_cast<std::int64_t>(pow10(q));
    }
    if (!power_of_ten || in.base >= capacity_.assets || in.quote >= capacity_.assets) {
      return Unexpected{RestoreError::kCorrupt};
    }
  }
  const std::size_t bots_at = instruments_at + instruments_.size() * sizeof(Instrument);
  for (std::size_t k = 0; k < bots_.size(); ++k) {
    Bot b;
    std::memcpy(static_cast<void*>(&b), bytes.data() + bots_at + k * sizeof(Bot), sizeof b);
    if (b.account >= capacity_.accounts && (b.s.configured || b.account != 0)) {
      return Unexpected{RestoreError::kCorrupt};
    }
  }
  const std::size_t positions_at = bytes.size() - positions_.size() * sizeof(PositionRecord);
  for (std::size_t k = 0; k < positions_.size(); ++k) {
    PositionRecord rec;
    std::memcpy(&rec, bytes.data() + positions_at + k * sizeof rec, sizeof rec);
    Instrument in;
    std::memcpy(&in, bytes.data() + instruments_at + (k % capacity_.instruments) * sizeof in,
                sizeof in);
    Position scratch(0);
    if (!rebuild(rec, in.defined ? in.qty_unit : 1, scratch)) {
      return Unexpected{RestoreError::kCorrupt};
    }
  }
  const auto read_all = [&](auto& v) {
    const std::size_t n = v.size() * sizeof(v[0]);
    std::memcpy(static_cast<void*>(v.data()), bytes.data() + r.pos, n);
    r.pos += n;
  };
  r.get(day_);
  r.get(global_kill_);
  r.get(bad_inputs_);
  read_all(instruments_);
  read_all(bots_);
  bots_in_use_ = 0;
  for (std::uint32_t b = 0; b < bots_.size(); ++b) {
    if (bots_[b].s.configured) bots_in_use_ = b + 1;
  }
  read_all(accounts_);
  read_all(bot_instruments_);
  read_all(account_instruments_);
  read_all(balances_);
  read_all(error_buckets_);
  for (std::size_t k = 0; k < positions_.size(); ++k) {
    PositionRecord rec;
    r.get(rec);
    // Instruments are restored already; an undefined one holds Position(0) (unit 1).
    const Instrument& in = instruments_[k % capacity_.instruments];
    (void)rebuild(rec, in.defined ? in.qty_unit : 1, positions_[k]);  // verified above
  }
  return true;
}

}  // namespace be::risk
