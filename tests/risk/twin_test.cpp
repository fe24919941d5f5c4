// STYLE.md 6 and 7: a seeded random session of intents, fills, prices, resting orders, kill
// switches and day changes runs through
//   - two RiskEngines (determinism: equal decisions, equal state_hash() every 100 inputs),
//   - a third restored from a snapshot taken half-way (restore continues identically),
//   - and a deliberately naive re-implementation of the same rules (NaiveRisk below) that
//     keeps plain lists and recomputes everything from them on every check,
// requiring identical decisions (reason, scope, scope id, limit, observed, quantity).
//
// NaiveRisk covers every rule except the circuit breaker and position protection, which
// have their own tests in state_test.cpp.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "core/fixed_point.hpp"
#include "core/position.hpp"
#include "risk/risk_engine.hpp"

namespace be::risk {
namespace {

constexpr std::int64_t kUnit = 1000;  // qty scale 3
constexpr std::int64_t kTick = 5;     // 0.05 at price scale 2
constexpr std::int64_t kStep = 10;    // 0.010
constexpr std::int64_t kMinNotional = 500;
constexpr Nanos kDay = RiskEngine::kDayNanos;
constexpr int kBots = 3;

struct NaiveOrder {
  int bot;
  Side side;
  std::int64_t price;
  std::int64_t remaining;
};

struct NaiveFill {
  Side side;
  std::int64_t price;
  std::int64_t quantity;
  std::int64_t fee;
};

// A token bucket written as GCRA (virtual scheduling) on scaled time: a different
// formulation of the same rule. Time is non-decreasing in this session.
struct NaiveBucket {
  bool started = false;
  Wide tat = 0;  // "theoretical arrival": C x t minus the tokens held, in 1/W token units
  bool allows(std::uint32_t c, std::int64_t w, Nanos t) const {
    if (c == 0 || w == 0 || !started) return true;
    const Wide now = static_cast<Wide>(c) * t;
    const Wide held = std::min<Wide>(static_cast<Wide>(c) * w, now - tat);
    return held >= w;
  }
  void spend(std::uint32_t c, std::int64_t w, Nanos t) {
    if (c == 0 || w == 0) return;
    const Wide now = static_cast<Wide>(c) * t;
    if (!started) tat = now - static_cast<Wide>(c) * w;
    started = true;
    tat = std::max(now - static_cast<Wide>(c) * w, tat) + w;
  }
};

struct NaiveScope {
  Limits limits;
  bool killed = false;
  std::int64_t day_start = 0;
  std::int64_t peak = 0;
  std::uint32_t trades = 0;
  NaiveBucket bucket;
};

class NaiveRisk {
 public:
  NaiveScope bots[kBots];
  NaiveScope account;
  bool global_kill = false;
  std::int64_t base_balance = 0;   // asset 0, qty scale
  std::int64_t quote_balance = 0;  // asset 1, price scale
  std::vector<NaiveFill> fills[kBots];
  std::vector<NaiveOrder> open;  // every resting order of every bot
  std::int64_t reference = 0;
  std::int64_t last_fill = 0;
  std::int64_t day = 0;

  std::int64_t position(int b) const {
    std::int64_t q = 0;
    for (const NaiveFill& f : fills[b])
      q += f.side == Side::kBuy ? f.quantity : -f.quantity;
    return q;
  }
  std::int64_t equity(int b) const {
    Wide cash = 0;
    std::int64_t fees = 0;
    for (const NaiveFill& f : fills[b]) {
      cash += static_cast<Wide>(f.price) * (f.side == Side::kBuy ? -f.quantity : f.quantity);
      fees += f.fee;
    }
    const std::int64_t value = reference != 0 ? reference : last_fill;
    return static_cast<std::int64_t>(
               divide_rounded(cash + static_cast<Wide>(position(b)) * value, kUnit)) -
           fees;
  }
  std::int64_t account_equity() const {
    std::int64_t e = 0;
    for (int b = 0; b < kBots; ++b)
      e += equity(b);
    return e;
  }
  void settle_peaks() {
    for (int b = 0; b < kBots; ++b)
      bots[b].peak = std::max(bots[b].peak, equity(b));
    account.peak = std::max(account.peak, account_equity());
  }
  void tick(Nanos t) {
    const std::int64_t d = t / kDay;
    if (d <= day) return;
    day = d;
    for (int b = 0; b < kBots; ++b) {
      bots[b].day_start = equity(b);
      bots[b].trades = 0;
    }
    account.day_start = account_equity();
    account.trades = 0;
  }
  void mark(std::int64_t price, Nanos t) {
    tick(t);
    reference = price;
    settle_peaks();
  }
  void fill(int b, Side side, std::int64_t price, std::int64_t quantity, std::int64_t fee,
            Nanos t) {
    tick(t);
    fills[b].push_back({side, price, quantity, fee});
    last_fill = price;
    const std::int64_t notional =
        static_cast<std::int64_t>(divide_rounded(static_cast<Wide>(price) * quantity, kUnit));
    base_balance += side == Side::kBuy ? quantity : -quantity;
    quote_balance += (side == Side::kBuy ? -notional : notional) - fee;
    settle_peaks();
  }

  Decision check(const OrderIntent& in, Nanos t) {
    tick(t);
    Decision d;
    const int b = static_cast<int>(index_of(in.bot));
    const auto no = [&](RejectReason r, Scope s, std::uint32_t id, std::int64_t limit,
                        std::int64_t observed) {
      d.reject.reason = r;
      d.reject.scope = s;
      d.reject.scope_id = id;
      d.reject.limit = limit;
      d.reject.observed = observed;
      return d;
    };
    const bool market = in.type == OrderType::kMarket;
    if (in.quote_amount != 0 ? !(market && in.side == Side::kBuy && in.quantity == 0)
                             : in.quantity <= 0) {
      return no(RejectReason::kInvalidIntent, Scope::kBot, b, 0, 0);
    }
    if (global_kill) return no(RejectReason::kKillSwitch, Scope::kGlobal, 0, 0, 0);
    if (account.killed) return no(RejectReason::kKillSwitch, Scope::kAccount, 0, 0, 0);
    if (bots[b].killed) return no(RejectReason::kKillSwitch, Scope::kBot, b, 0, 0);
    const Limits& bl = bots[b].limits;
    const Limits& al = account.limits;
    if (reference == 0) {
      if (market || bl.price_band_bps != 0) {
        return no(RejectReason::kNoReferencePrice, Scope::kBot, b, 0, 0);
      }
      if (al.price_band_bps != 0)
        return no(RejectReason::kNoReferencePrice, Scope::kAccount, 0, 0, 0);
    }
    const std::int64_t price = market ? reference : in.price;
    std::int64_t qty = in.quantity;
    if (in.quote_amount != 0) {
      // Largest multiple of the step whose cost at the reference fits the amount.
      qty = 0;
      while (static_cast<Wide>(qty + kStep) * reference <=
             static_cast<Wide>(in.quote_amount) * kUnit) {
        qty += kStep;
      }
      if (qty == 0)
        return no(RejectReason::kQuoteAmountTooSmall, Scope::kGlobal, 0, kMinNotional,
                  in.quote_amount);
    }
    const std::int64_t pos = position(b);
    const bool buy = in.side == Side::kBuy;
    if (in.reduce_only()) {
      const bool ok = buy ? (pos < 0 && qty <= -pos) : (pos > 0 && qty <= pos);
      if (!ok)
        return no(RejectReason::kReduceOnlyWouldIncrease, Scope::kBot, b, pos < 0 ? -pos : pos,
                  qty);
    }
    if (!market && price % kTick != 0)
      return no(RejectReason::kTickSize, Scope::kGlobal, 0, kTick, price);
    if (qty % kStep != 0) return no(RejectReason::kStepSize, Scope::kGlobal, 0, kStep, qty);
    const Wide notional = static_cast<Wide>(price) * qty;
    const auto rounded = [](Wide v) { return static_cast<std::int64_t>(divide_rounded(v, kUnit)); };
    if (notional < static_cast<Wide>(kMinNotional) * kUnit) {
      return no(RejectReason::kMinNotional, Scope::kGlobal, 0, kMinNotional, rounded(notional));
    }
    if (!market) {
      const Wide diff = price > reference ? price - reference : reference - price;
      for (int scope = 0; scope < 2; ++scope) {
        const std::uint32_t band = scope == 0 ? bl.price_band_bps : al.price_band_bps;
        if (band != 0 && diff * 10'000 > static_cast<Wide>(band) * reference) {
          return no(RejectReason::kPriceBand, scope == 0 ? Scope::kBot : Scope::kAccount,
                    scope == 0 ? b : 0, band, static_cast<std::int64_t>(diff * 10'000 / reference));
        }
      }
    }
    const std::int64_t value = reference != 0 ? reference : price;
    for (int scope = 0; scope < 2; ++scope) {
      const bool is_bot = scope == 0;
      const NaiveScope& s = is_bot ? bots[b] : account;
      const Limits& l = s.limits;
      const Scope sc = is_bot ? Scope::kBot : Scope::kAccount;
      const std::uint32_t id = is_bot ? b : 0;
      std::int64_t p = 0;
      std::int64_t resting = 0;
      std::uint32_t open_count = 0;
      for (int k = 0; k < kBots; ++k) {
        if (is_bot && k != b) continue;
        p += position(k);
      }
      for (const NaiveOrder& o : open) {
        if (is_bot && o.bot != b) continue;
        ++open_count;
        if (o.side == in.side) resting += buy ? o.remaining : -o.remaining;
      }
      const std::int64_t eq = is_bot ? equity(b) : account_equity();
      if (!in.reduce_only()) {
        if (l.max_order_quantity != 0 && qty > l.max_order_quantity) {
          return no(RejectReason::kMaxOrderQuantity, sc, id, l.max_order_quantity, qty);
        }
        if (l.max_order_notional != 0 &&
            notional > static_cast<Wide>(l.max_order_notional) * kUnit) {
          return no(RejectReason::kMaxOrderNotional, sc, id, l.max_order_notional,
                    rounded(notional));
        }
        std::int64_t exposure = p + resting + (buy ? qty : -qty);
        if (exposure < 0) exposure = -exposure;
        if (l.max_position_quantity != 0 && exposure > l.max_position_quantity) {
          return no(RejectReason::kMaxPositionQuantity, sc, id, l.max_position_quantity, exposure);
        }
        const Wide exposure_value = static_cast<Wide>(exposure) * value;
        if (l.max_position_notional != 0 &&
            exposure_value > static_cast<Wide>(l.max_position_notional) * kUnit) {
          return no(RejectReason::kMaxPositionNotional, sc, id, l.max_position_notional,
                    rounded(exposure_value));
        }
      }
      if (l.max_open_orders != 0 && open_count >= l.max_open_orders) {
        return no(RejectReason::kMaxOpenOrders, sc, id, l.max_open_orders, open_count);
      }
      if (!in.reduce_only()) {
        if (l.max_daily_loss != 0 && s.day_start - eq >= l.max_daily_loss) {
          return no(RejectReason::kMaxDailyLoss, sc, id, l.max_daily_loss, s.day_start - eq);
        }
        if (l.max_drawdown != 0 && s.peak - eq >= l.max_drawdown) {
          return no(RejectReason::kMaxDrawdown, sc, id, l.max_drawdown, s.peak - eq);
        }
        if (l.max_daily_trades != 0 && s.trades >= l.max_daily_trades) {
          return no(RejectReason::kMaxDailyTrades, sc, id, l.max_daily_trades, s.trades);
        }
      }
    }
    // Spot balance, less what resting orders hold (buys: their notional rounded up).
    Wide held_quote = 0;
    std::int64_t held_base = 0;
    for (const NaiveOrder& o : open) {
      if (o.side == Side::kBuy) held_quote += static_cast<Wide>(o.price) * o.remaining;
      if (o.side == Side::kSell) held_base += o.remaining;
    }
    if (buy) {
      const Wide available = quote_balance - (held_quote + kUnit - 1) / kUnit;
      if (notional > available * kUnit) {
        return no(RejectReason::kInsufficientBalance, Scope::kAccount, 0,
                  static_cast<std::int64_t>(available),
                  static_cast<std::int64_t>((notional + kUnit - 1) / kUnit));
      }
    } else if (qty > base_balance - held_base) {
      return no(RejectReason::kInsufficientBalance, Scope::kAccount, 0, base_balance - held_base,
                qty);
    }
    if (!bots[b].bucket.allows(bl.order_rate_count, bl.order_rate_window_ns, t)) {
      return no(RejectReason::kOrderRateThrottle, Scope::kBot, b, bl.order_rate_count, 0);
    }
    if (!account.bucket.allows(al.order_rate_count, al.order_rate_window_ns, t)) {
      return no(RejectReason::kOrderRateThrottle, Scope::kAccount, 0, al.order_rate_count, 0);
    }
    bots[b].bucket.spend(bl.order_rate_count, bl.order_rate_window_ns, t);
    account.bucket.spend(al.order_rate_count, al.order_rate_window_ns, t);
    if (!in.reduce_only()) {
      ++bots[b].trades;
      ++account.trades;
    }
    d.quantity = qty;
    return d;
  }
};

Limits bot_limits(int b) {
  Limits l;
  if (b == 0) {
    l.max_order_quantity = 2'000;
    l.max_order_notional = 15'000;
    l.max_position_quantity = 5'000;
    l.max_position_notional = 40'000;
    l.max_open_orders = 4;
    l.max_daily_loss = 500;
    l.max_drawdown = 2'500;
    l.max_daily_trades = 150;
    l.order_rate_count = 5;
    l.order_rate_window_ns = 1'000'000'000;
    l.price_band_bps = 200;
  } else if (b == 1) {
    l.max_position_quantity = 3'000;
    l.max_open_orders = 3;
    l.max_daily_loss = 800;
    l.max_daily_trades = 60;
    l.order_rate_count = 3;
    l.order_rate_window_ns = 700'000'000;
  }  // bot 2: no limits of its own
  return l;
}

Limits account_limits() {
  Limits l;
  l.max_position_quantity = 8'000;
  l.max_position_notional = 90'000;
  l.max_open_orders = 8;
  l.max_daily_loss = 2'000;
  l.max_drawdown = 9'000;
  l.max_daily_trades = 1'500;
  l.order_rate_count = 15;
  l.order_rate_window_ns = 1'000'000'000;
  l.price_band_bps = 300;
  return l;
}

void setup(RiskEngine& e) {
  InstrumentDefined d;
  d.instrument = InstrumentId{0};
  d.price_scale = 2;
  d.qty_scale = 3;
  d.tick_size = kTick;
  d.step_size = kStep;
  d.min_notional = kMinNotional;
  ASSERT_TRUE(e.define_instrument(d, AssetId{0}, AssetId{1}));
  for (int b = 0; b < kBots; ++b) {
    BotConfig c;
    c.limits = bot_limits(b);
    c.protection.stop_loss_bps = 150;
    c.protection.take_profit_bps = 250;
    c.protection.trailing_stop_bps = b == 2 ? 100 : 0;
    ASSERT_TRUE(e.configure_bot(BotId{static_cast<std::uint32_t>(b)}, AccountId{0}, c));
  }
  AccountConfig a;
  a.limits = account_limits();
  a.check_balance = 1;
  ASSERT_TRUE(e.configure_account(AccountId{0}, a));
}

TEST(RiskTwin, shouldMatchNaiveTwinAndReplayDeterministicallyOverSeededSession) {
  constexpr int kSteps = 20'000;
  RiskEngine a{Capacity{kBots, 1, 1, 2}};
  RiskEngine b{Capacity{kBots, 1, 1, 2}};
  RiskEngine restored{Capacity{kBots, 1, 1, 2}};
  setup(a);
  setup(b);
  NaiveRisk naive;
  for (int k = 0; k < kBots; ++k)
    naive.bots[k].limits = bot_limits(k);
  naive.account.limits = account_limits();
  for (RiskEngine* e : {&a, &b}) {
    e->apply_balance(BalanceInput{AccountId{0}, AssetId{0}, 8'000});
    e->apply_balance(BalanceInput{AccountId{0}, AssetId{1}, 150'000});
  }
  naive.base_balance = 8'000;
  naive.quote_balance = 150'000;

  std::mt19937_64 rng(20261123);
  const auto pick = [&](std::int64_t n) {
    return static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(n));
  };
  Nanos t = 20'000 * kDay + 20 * 3'600'000'000'000LL;
  std::int64_t price = 10'000;
  bool restored_live = false;
  std::vector<std::vector<OrderIntent>> exit_buffers(3, std::vector<OrderIntent>(4));
  std::size_t exits_fired = 0;
  std::vector<RiskEngine*> engines = {&a, &b};
  int accepted = 0;
  int rejected_by[kRejectReasonCount] = {};

  for (int step = 0; step < kSteps; ++step) {
    t += pick(50'000'000);
    if (pick(400) == 0) t += 3 * 3'600'000'000'000LL;  // crosses UTC midnights now and then
    const std::int64_t op = pick(100);
    if (op < 20) {  // a trade or a quote moves the reference
      price = std::max<std::int64_t>(1'000, price + (pick(21) - 10) * kTick);
      std::int64_t reference = price;
      std::size_t fired[3] = {};
      if (pick(3) == 0) {
        Quote q;
        q.instrument = InstrumentId{0};
        q.bid_price = price - pick(4) * kTick;
        q.ask_price = price + pick(4) * kTick + pick(2);
        reference = q.bid_price + (q.ask_price - q.bid_price + 1) / 2;
        for (std::size_t k = 0; k < engines.size(); ++k) {
          fired[k] = engines[k]->apply_quote(q, t, exit_buffers[k]);
        }
      } else {
        Trade tr;
        tr.instrument = InstrumentId{0};
        tr.price = price;
        for (std::size_t k = 0; k < engines.size(); ++k) {
          fired[k] = engines[k]->apply_trade(tr, t, exit_buffers[k]);
        }
      }
      // Protection is engine-only (not in the twin): the replicas must fire the same exits.
      for (std::size_t k = 1; k < engines.size(); ++k) {
        ASSERT_EQ(fired[k], fired[0]) << "step " << step;
        for (std::size_t e = 0; e < fired[0]; ++e) {
          ASSERT_EQ(exit_buffers[k][e].tag, exit_buffers[0][e].tag);
          ASSERT_EQ(exit_buffers[k][e].quantity, exit_buffers[0][e].quantity);
        }
      }
      exits_fired += fired[0];
      naive.mark(reference, t);
    } else if (op < 70) {  // an intent
      OrderIntent in;
      const int bot = static_cast<int>(pick(kBots));
      in.bot = BotId{static_cast<std::uint32_t>(bot)};
      in.instrument = InstrumentId{0};
      in.side = pick(2) == 0 ? Side::kBuy : Side::kSell;
      in.type = pick(4) == 0 ? OrderType::kMarket : OrderType::kLimit;
      in.quantity = (1 + pick(150)) * kStep + (pick(20) == 0 ? 3 : 0);
      in.price = in.type == OrderType::kLimit
                     ? price + (pick(41) - 20) * 2 * kTick + (pick(30) == 0 ? 1 : 0)
                     : 0;
      if (pick(6) == 0) in.flags = OrderIntent::kReduceOnly;
      if (in.type == OrderType::kMarket && in.side == Side::kBuy && pick(3) == 0) {
        in.quantity = 0;
        in.quote_amount = pick(10) == 0 ? pick(150) : pick(30'000);
      }
      const Decision da = a.check(in, t);
      const Decision db = b.check(in, t);
      const Decision dn = naive.check(in, t);
      ASSERT_EQ(da.reject.reason, db.reject.reason) << "step " << step;
      ASSERT_EQ(to_string(da.reject.reason), to_string(dn.reject.reason)) << "step " << step;
      ASSERT_EQ(da.reject.scope, dn.reject.scope) << "step " << step;
      ASSERT_EQ(da.reject.scope_id, dn.reject.scope_id) << "step " << step;
      ASSERT_EQ(da.reject.limit, dn.reject.limit) << "step " << step;
      if (da.reject.reason != RejectReason::kOrderRateThrottle) {
        ASSERT_EQ(da.reject.observed, dn.reject.observed) << "step " << step;
      }
      ASSERT_EQ(da.quantity, dn.quantity) << "step " << step;
      if (restored_live) {
        const Decision dr = restored.check(in, t);
        ASSERT_EQ(dr.reject.reason, da.reject.reason) << "step " << step;
      }
      ++rejected_by[static_cast<int>(da.reject.reason)];
      if (da.accepted()) {
        ++accepted;
        const std::int64_t fee = pick(3);
        if (in.type == OrderType::kMarket || pick(2) == 0) {  // fills at once
          const std::int64_t at = in.type == OrderType::kMarket ? price : in.price;
          FillInput f{in.bot, in.instrument, in.side, false, at, da.quantity, fee, 0};
          for (RiskEngine* e : engines)
            e->apply_fill(f, t);
          naive.fill(bot, in.side, at, da.quantity, fee, t);
        } else {  // rests
          const OrderInput o{in.bot, in.instrument, in.side, in.price, da.quantity};
          for (RiskEngine* e : engines)
            e->apply_order_opened(o);
          naive.open.push_back({bot, in.side, in.price, da.quantity});
        }
      }
    } else if (op < 85 && !naive.open.empty()) {  // a resting order fills in part or closes
      const auto k = static_cast<std::size_t>(pick(static_cast<std::int64_t>(naive.open.size())));
      NaiveOrder& o = naive.open[k];
      const BotId bot{static_cast<std::uint32_t>(o.bot)};
      if (pick(2) == 0) {
        const std::int64_t q = std::min(o.remaining, (1 + pick(50)) * kStep);
        FillInput f{bot, InstrumentId{0}, o.side, true, o.price, q, 1, o.price};
        for (RiskEngine* e : engines)
          e->apply_fill(f, t);
        naive.fill(o.bot, o.side, o.price, q, 1, t);
        o.remaining -= q;
      }
      if (o.remaining == 0 || pick(2) == 0) {
        const OrderInput c{bot, InstrumentId{0}, o.side, o.price, o.remaining};
        for (RiskEngine* e : engines)
          e->apply_order_closed(c);
        naive.open.erase(naive.open.begin() + static_cast<std::ptrdiff_t>(k));
      }
    } else if (op < 87) {  // the venue's balance snapshot replaces the folded one
      const bool base = pick(2) == 0;
      const std::int64_t amount = base ? pick(12'000) : pick(250'000);
      const BalanceInput in{AccountId{0}, AssetId{static_cast<std::uint16_t>(base ? 0 : 1)},
                            amount};
      for (RiskEngine* e : engines)
        e->apply_balance(in);
      (base ? naive.base_balance : naive.quote_balance) = amount;
    } else if (op < 89) {  // operator: kill switches
      const Scope scope =
          pick(3) == 0 ? Scope::kGlobal : (pick(2) == 0 ? Scope::kAccount : Scope::kBot);
      const auto id = static_cast<std::uint32_t>(scope == Scope::kBot ? pick(kBots) : 0);
      const bool set = pick(8) == 0;  // resets are likelier: the session keeps trading
      bool* flag = scope == Scope::kGlobal    ? &naive.global_kill
                   : scope == Scope::kAccount ? &naive.account.killed
                                              : &naive.bots[id].killed;
      const bool want = *flag != set;
      *flag = set;
      for (RiskEngine* e : engines) {
        ASSERT_EQ(set ? e->set_kill_switch(scope, id) : e->reset_kill_switch(scope, id), want);
      }
    }
    if (step % 100 == 0) {
      ASSERT_EQ(a.state_hash(), b.state_hash()) << "step " << step;
      if (restored_live) {
        ASSERT_EQ(restored.state_hash(), a.state_hash()) << "step " << step;
      }
      for (int k = 0; k < kBots; ++k) {
        ASSERT_EQ(a.bot_equity(BotId{static_cast<std::uint32_t>(k)}), naive.equity(k))
            << "step " << step;
        ASSERT_EQ(a.position(BotId{static_cast<std::uint32_t>(k)}, InstrumentId{0}),
                  naive.position(k));
      }
    }
    if (step == kSteps / 2) {
      ASSERT_TRUE(restored.restore(a.snapshot()).has_value());
      ASSERT_EQ(restored.state_hash(), a.state_hash());
      restored_live = true;
      engines.push_back(&restored);  // from here on it gets every input like a and b
    }
  }
  EXPECT_EQ(a.state_hash(), b.state_hash());
  EXPECT_EQ(restored.state_hash(), a.state_hash());
  EXPECT_TRUE(a.snapshot() == b.snapshot());  // byte-identical, padding included
  // The session must exercise the rules, not just accept everything.
  EXPECT_GT(accepted, 1000);
  EXPECT_GT(exits_fired, 10u);
  for (const RejectReason r :
       {RejectReason::kKillSwitch, RejectReason::kReduceOnlyWouldIncrease, RejectReason::kTickSize,
        RejectReason::kStepSize, RejectReason::kMinNotional, RejectReason::kPriceBand,
        RejectReason::kMaxOrderQuantity, RejectReason::kMaxOpenOrders,
        RejectReason::kOrderRateThrottle, RejectReason::kMaxPositionQuantity,
        RejectReason::kQuoteAmountTooSmall, RejectReason::kMaxDailyLoss, RejectReason::kMaxDrawdown,
        RejectReason::kMaxOrderNotional, RejectReason::kMaxPositionNotional,
        RejectReason::kMaxDailyTrades, RejectReason::kInsufficientBalance}) {
    EXPECT_GT(rejected_by[static_cast<int>(r)], 0) << to_string(r);
  }
}

}  // namespace
}  // namespace be::risk
