// Whole sessions: the order manager wired to the paper venue over a seeded random market and
// order flow (with latency, cancels, resends and connection losses), checked against an
// independent naive model; twin runs; snapshot/restore mid-session; zero allocations after
// warm-up; and a fuzz-style stream of random OrderUpdates that must keep every invariant.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <utility>
#include <vector>

#include "oms/order_manager.hpp"
#include "oms/paper_venue.hpp"
#include "tests/oms/oms_fixture.hpp"
#include "tests/support/alloc_counter.hpp"

namespace be::oms {
namespace {

using test::kBase;
using test::kQuote;

constexpr std::uint32_t kBots = 4;
constexpr AccountId kAccount{0};
constexpr std::int64_t kStartQuote = 100'000'000'00;  // 100M quote: never the constraint
constexpr std::int64_t kStartBase = 1'000'000'000;    // 1M base at qty scale 3
constexpr std::int64_t kUnit = 1000;                  // qty scale 3

// Independent of the code under test: plain maps and the definitions written out again.
struct NaiveModel {
  struct NaiveOrder {
    Side side = Side::kNone;
    bool limit = true;
    std::int64_t price = 0;
    std::int64_t quantity = 0;
    std::int64_t filled = 0;
    Wide notional = 0;
    std::int64_t fees = 0;
    bool done = false;
  };
  std::map<std::pair<std::uint32_t, SequenceNumber>, NaiveOrder> orders;
  std::map<std::uint32_t, Wide> cash_flow;  // sum of -signed qty x price per bot, scale p+q
  std::map<std::uint32_t, std::int64_t> position;

  void opened(const OrderNew& o) {
    orders[{index_of(o.bot), o.client_sequence}] = NaiveOrder{
        o.side, o.order_type == static_cast<std::uint8_t>(OrderType::kLimit), o.price, o.quantity};
  }
  void on(const OrderUpdate& u) {
    auto it = orders.find({index_of(u.bot), u.client_sequence});
    if (it == orders.end()) return;
    NaiveOrder& o = it->second;
    const auto e = static_cast<OrderEvent>(u.event);
    if (e == OrderEvent::kPartialFill || e == OrderEvent::kFill) {
      o.filled += u.last_quantity;
      o.notional += static_cast<Wide>(u.last_price) * u.last_quantity;
      o.fees += u.fee;
      const std::int64_t signed_qty = o.side == Side::kBuy ? u.last_quantity : -u.last_quantity;
      position[index_of(u.bot)] += signed_qty;
      cash_flow[index_of(u.bot)] -= static_cast<Wide>(signed_qty) * u.last_price;
    }
    if (e == OrderEvent::kFill || e == OrderEvent::kCanceled || e == OrderEvent::kRejected ||
        e == OrderEvent::kExpired) {
      o.done = true;
    }
  }
  static std::int64_t round_half_away(Wide n, Wide d) {
    const Wide twice = (n < 0 ? -n : n) * 2 % (2 * d);
    Wide q = n / d;
    if (twice >= d) q += n < 0 ? -1 : 1;
    return static_cast<std::int64_t>(q);
  }
  static std::int64_t ceil_div(Wide n, Wide d) {
    return static_cast<std::int64_t>((n + d - 1) / d);
  }
  // Expected total (free + locked) and locked of each asset.
  void expected(std::int64_t& quote_total, std::int64_t& quote_locked, std::int64_t& base_total,
                std::int64_t& base_locked) const {
    quote_total = kStartQuote;
    base_total = kStartBase;
    quote_locked = 0;
    base_locked = 0;
    for (const auto& [key, o] : orders) {
      const std::int64_t moved = round_half_away(o.notional, kUnit);
      if (o.side == Side::kBuy) {
        quote_total -= moved + o.fees;
        base_total += o.filled;
        if (!o.done && o.limit) {
          quote_locked += ceil_div(static_cast<Wide>(o.price) * o.quantity, kUnit) -
                          ceil_div(static_cast<Wide>(o.price) * o.filled, kUnit);
        }
      } else {
        quote_total += moved - o.fees;
        base_total -= o.filled;
        if (!o.done) base_locked += o.quantity - o.filled;
      }
    }
  }
};

// Everything the driver decides with; copyable so a restored twin can continue identically.
struct Driver {
  std::mt19937_64 rng;
  Nanos t = 1'000'000;
  std::int64_t mid = 20000'00;  // 20,000.00
  SequenceNumber next_input = 1;
  std::vector<std::pair<BotId, SequenceNumber>> opened;
  std::uint64_t duplicate_opens = 0;
  explicit Driver(std::uint64_t seed) : rng(seed) { opened.reserve(1 << 16); }
  std::int64_t uniform(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(hi - lo + 1));
  }
};

PaperConfig session_config() {
  return {.slippage_bps = 3,
          .maker_fee_bps = 10,
          .taker_fee_bps = 25,
          .latency_ns = 300,
          .max_orders = 4096,
          .instruments = 1,
          .accounts = 1,
          .assets = 2};
}

struct Session {
  OrderManager om{OmsCapacity{kBots, 1, 2, 1, 4096}};
  test::RecordingSink sink;
  PaperVenue venue;
  NaiveModel* naive = nullptr;
  std::uint64_t closed = 0;

  explicit Session(const PaperConfig& venue_config = session_config()) : venue(venue_config, sink) {
    EXPECT_TRUE(om.define_instrument(test::instrument(0), kBase, kQuote));
    EXPECT_TRUE(venue.define_instrument(test::instrument(0), kBase, kQuote));
    for (std::uint32_t b = 0; b < kBots; ++b)
      EXPECT_TRUE(om.assign_bot(BotId{b}, kAccount));
    om.apply(BalanceUpdate{kAccount, kQuote, 0, kStartQuote, 0});
    om.apply(BalanceUpdate{kAccount, kBase, 0, kStartBase, 0});
  }

  // Feeds the venue's answers to the order manager, in the order the venue gave them.
  void pump() {
    for (const test::Response& r : sink.responses) {
      if (!r.is_order) continue;  // balances are checked, not folded, here
      if (naive) naive->on(r.order);
      const UpdateResult u = om.apply(r.order, r.event_time);
      closed += u.closed;
    }
    sink.responses.clear();
  }

  void step(Driver& d) {
    d.t += d.uniform(1, 400);
    const std::int64_t roll = d.uniform(0, 99);
    if (roll < 40) {  // market data around a random walk
      d.mid += d.uniform(-3, 3);
      if (d.uniform(0, 1) == 0) {
        venue.on_market(test::quote(0, d.mid - 1, d.mid + 1, d.t), d.t);
        om.mark(InstrumentId{0}, d.mid);
      } else {
        venue.on_market(test::trade(0, d.mid + d.uniform(-4, 4), d.uniform(1, 3000), d.t), d.t);
      }
    } else if (roll < 75) {  // a new order
      OrderIntent i;
      i.bot = BotId{static_cast<std::uint32_t>(d.uniform(0, kBots - 1))};
      i.instrument = InstrumentId{0};
      i.side = d.uniform(0, 1) == 0 ? Side::kBuy : Side::kSell;
      i.type = d.uniform(0, 9) == 0 ? OrderType::kMarket : OrderType::kLimit;
      i.time_in_force = d.uniform(0, 19) == 0 ? TimeInForce::kIoc : TimeInForce::kGtc;
      i.price = i.type == OrderType::kLimit ? d.mid + d.uniform(-8, 8) : 0;
      i.cause = client_sequence(d.next_input++, 0);
      const std::int64_t qty = d.uniform(1, 4000);
      if (auto sent = om.open_order(i, qty, d.t)) {
        if (naive) naive->opened(*sent);
        d.opened.emplace_back(i.bot, i.cause);
        venue.submit(*sent, d.t);
      }
    } else if (roll < 90 && !d.opened.empty()) {  // cancel one of ours that is open
      const auto& [bot, seq] = d.opened[static_cast<std::size_t>(
          d.uniform(0, static_cast<std::int64_t>(d.opened.size()) - 1))];
      const ManagedOrder* m = om.find(bot, seq);
      if (m &&
          (m->order.state == OrderState::kNew || m->order.state == OrderState::kPartiallyFilled ||
           m->order.state == OrderState::kPendingNew)) {
        if (auto c = om.request_cancel(bot, seq, d.t)) venue.cancel(*c, d.t);
      }
    } else if (roll < 95 && !d.opened.empty()) {  // a resend of a known id: refused
      const auto& [bot, seq] = d.opened.back();
      OrderIntent again;
      again.bot = bot;
      again.instrument = InstrumentId{0};
      again.side = Side::kBuy;
      again.price = d.mid;
      again.cause = seq;
      if (om.find(bot, seq) != nullptr) {
        EXPECT_FALSE(om.open_order(again, 1, d.t).has_value());
        ++d.duplicate_opens;
      }
    } else if (roll < 97) {  // the order channel drops: unknown orders are reconciled
      om.connection_lost(kAccount);
      om.for_each_unknown([&](const ManagedOrder& m) {
        venue.query_order(m.order.client_id.bot, m.order.instrument, m.order.client_id.sequence,
                          d.t);
      });
    } else {
      venue.advance(d.t);
    }
    pump();
  }
};

void expect_agrees(const Session& s, const NaiveModel& n, bool quiescent) {
  std::int64_t qt = 0, ql = 0, bt = 0, bl = 0;
  n.expected(qt, ql, bt, bl);
  const Balance q = s.om.balance(kAccount, kQuote);
  const Balance b = s.om.balance(kAccount, kBase);
  EXPECT_EQ(q.free + q.locked, qt);
  EXPECT_EQ(q.locked, ql);
  EXPECT_EQ(b.free + b.locked, bt);
  EXPECT_EQ(b.locked, bl);
  for (std::uint32_t bot = 0; bot < kBots; ++bot) {
    const Position* p = s.om.position(BotId{bot}, InstrumentId{0});
    ASSERT_NE(p, nullptr);
    const auto pos = n.position.find(bot);
    const auto flow = n.cash_flow.find(bot);
    EXPECT_EQ(p->quantity(), pos == n.position.end() ? 0 : pos->second);
    // Average cost is exact: the books balance to the unit at scale p+q.
    EXPECT_TRUE(p->realized_exact() - p->cost_basis_exact() ==
                (flow == n.cash_flow.end() ? 0 : flow->second))
        << "bot " << bot;
  }
  // The venue keeps its own books by the same rules from its own side of every fill; they
  // agree once nothing is in flight (the venue locks on arrival, the manager on sending).
  if (!quiescent) return;
  const Balance vq = s.venue.balance(kAccount, kQuote);
  const Balance vb = s.venue.balance(kAccount, kBase);
  EXPECT_EQ(vq.free, q.free);
  EXPECT_EQ(vq.locked, q.locked);
  EXPECT_EQ(vb.free, b.free);
  EXPECT_EQ(vb.locked, b.locked);
}

TEST(OmsSession, shouldAgreeWithANaiveModelOverASeededRandomSession) {
  NaiveModel naive;
  // The venue starts from the same balances as the order manager (a funded paper account).
  const PaperStartingBalance start[] = {{kAccount, kQuote, kStartQuote},
                                        {kAccount, kBase, kStartBase}};
  PaperConfig c = session_config();
  c.starting_balances = start;
  Session s(c);
  s.naive = &naive;
  Driver d(20261123);
  for (int k = 0; k < 20'000; ++k) {
    s.step(d);
    if (k % 500 == 0) {
      expect_agrees(s, naive, false);
      if (HasFailure()) return;
    }
  }
  // Drain: everything arrives, everything open is cancelled, nothing stays locked.
  d.t += 10'000;
  s.venue.advance(d.t);
  s.pump();
  for (const auto& [bot, seq] : d.opened) {
    const ManagedOrder* m = s.om.find(bot, seq);
    if (m && m->order.state == OrderState::kUnknown) {
      s.venue.query_order(bot, InstrumentId{0}, seq, d.t);
    } else if (m && !is_terminal(m->order.state)) {
      if (auto cancel = s.om.request_cancel(bot, seq, d.t)) s.venue.cancel(*cancel, d.t);
    }
  }
  d.t += 10'000;
  s.venue.advance(d.t);
  s.pump();
  expect_agrees(s, naive, true);
  EXPECT_EQ(s.om.stats().illegal, 0u) << "a faithful venue never triggers an illegal edge";
  EXPECT_EQ(s.om.stats().unknown_ids, 0u);
  EXPECT_EQ(s.om.stats().duplicate_opens, d.duplicate_opens);
  EXPECT_GT(s.om.stats().fills, 1000u) << "the session must exercise fills";
  EXPECT_GT(s.closed, 1000u);
  std::uint32_t open = 0;
  for (std::uint32_t b = 0; b < kBots; ++b)
    open += s.om.open_orders(BotId{b});
  EXPECT_EQ(open, s.om.live_orders());
}

TEST(OmsSession, shouldProduceIdenticalStateInTwinRunsAndAfterRestoreMidSession) {
  Session a;
  Session b;
  Driver da(7);
  Driver db(7);
  for (int k = 0; k < 5'000; ++k) {
    a.step(da);
    b.step(db);
    if (k % 100 != 0) continue;  // hashing the whole state every step would dominate the test
    ASSERT_EQ(a.om.state_hash(), b.om.state_hash()) << "step " << k;
    ASSERT_EQ(a.venue.state_hash(), b.venue.state_hash()) << "step " << k;
  }
  EXPECT_EQ(a.om.snapshot(), b.om.snapshot());
  EXPECT_EQ(a.venue.snapshot(), b.venue.snapshot());

  // A restarted engine rebuilds both from snapshots and continues alike.
  Session restored;
  ASSERT_TRUE(restored.om.restore(a.om.snapshot()).has_value());
  ASSERT_TRUE(restored.venue.restore(a.venue.snapshot()).has_value());
  Driver dr = da;
  for (int k = 0; k < 5'000; ++k) {
    a.step(da);
    restored.step(dr);
    if (k % 100 != 0 && k != 4'999) continue;
    ASSERT_EQ(a.om.state_hash(), restored.om.state_hash()) << "step " << k;
    ASSERT_EQ(a.venue.state_hash(), restored.venue.state_hash()) << "step " << k;
  }
}

TEST(OmsSession, shouldNotAllocateAfterWarmUp) {
  if (!be::test::allocation_counting_available()) {
    GTEST_SKIP() << "allocation counting unavailable (sanitizer build)";
  }
  Session s;
  Driver d(99);
  for (int k = 0; k < 5'000; ++k)
    s.step(d);
  const std::uint64_t before = be::test::allocation_count();
  for (int k = 0; k < 20'000; ++k)
    s.step(d);
  const std::uint64_t after = be::test::allocation_count();
  EXPECT_EQ(after - before, 0u) << "open_order, request_cancel, apply, connection_lost, "
                                   "submit, cancel, query_order, on_market";
  EXPECT_GT(s.om.stats().fills, 0u);
}

// Random, often nonsensical OrderUpdates against live orders: no crash, and the books hold.
TEST(OmsSession, shouldKeepInvariantsUnderRandomOrderUpdates) {
  OrderManager om(OmsCapacity{kBots, 2, 2, 1, 512});
  ASSERT_TRUE(om.define_instrument(test::instrument(0), kBase, kQuote));
  ASSERT_TRUE(om.define_instrument(test::instrument(1, 4, 0), kBase, kQuote));
  for (std::uint32_t b = 0; b < kBots; ++b)
    ASSERT_TRUE(om.assign_bot(BotId{b}, kAccount));
  std::mt19937_64 rng(424242);
  auto pick = [&](std::uint64_t n) { return rng() % n; };
  std::vector<std::pair<BotId, SequenceNumber>> ids;
  for (int k = 0; k < 200'000; ++k) {
    if (pick(4) == 0) {
      OrderIntent i;
      i.bot = BotId{static_cast<std::uint32_t>(pick(kBots))};
      i.instrument = InstrumentId{static_cast<std::uint32_t>(pick(2))};
      i.side = pick(2) ? Side::kBuy : Side::kSell;
      i.type = pick(5) ? OrderType::kLimit : OrderType::kMarket;
      i.price = static_cast<std::int64_t>(pick(100'000)) + 1;
      i.cause = static_cast<SequenceNumber>(pick(100));  // 400 ids < 512: no eviction
      if (om.open_order(i, static_cast<std::int64_t>(pick(10'000)) + 1, k)) {
        ids.emplace_back(i.bot, i.cause);
      }
      continue;
    }
    OrderUpdate u;
    if (!ids.empty() && pick(10) != 0) {
      const auto& [bot, seq] = ids[pick(ids.size())];
      u.bot = bot;
      u.client_sequence = seq;
    } else {
      u.bot = BotId{static_cast<std::uint32_t>(pick(kBots + 2))};
      u.client_sequence = pick(8192);
    }
    u.event = static_cast<std::uint8_t>(pick(kOrderEventCount + 3));
    u.instrument = pick(8) == 0 ? InstrumentId{static_cast<std::uint32_t>(pick(3))} : kNoInstrument;
    u.last_price = static_cast<std::int64_t>(pick(200'000)) - 1000;
    u.last_quantity = static_cast<std::int64_t>(pick(12'000)) - 100;
    u.cumulative_quantity = pick(3) == 0 ? 0 : static_cast<std::int64_t>(pick(12'000));
    u.fee = static_cast<std::int64_t>(pick(100)) - 10;
    u.trade_id = pick(50);
    if (pick(1000) == 0) om.connection_lost(kAccount);
    if (pick(500) == 0) (void)om.request_cancel(u.bot, u.client_sequence, k);
    (void)om.apply(u, k);
  }
  // Invariants: quantities in range, open counts and locks match the orders, positions are
  // the fills, and every illegal refusal is in the per-(state, event) table.
  std::int64_t locked_quote = 0;
  std::int64_t locked_base = 0;
  std::uint64_t illegal_cells = 0;
  for (const auto& row : om.stats().illegal_by)
    for (std::uint32_t c : row)
      illegal_cells += c;
  EXPECT_EQ(illegal_cells, om.stats().illegal);
  EXPECT_GT(om.stats().illegal, 0u);
  EXPECT_GT(om.stats().fills, 0u);
  for (std::uint32_t b = 0; b < kBots; ++b) {
    std::uint32_t open = 0;
    std::int64_t signed_filled[2] = {0, 0};
    om.for_each_order(BotId{b}, [&](const ManagedOrder& m) {
      EXPECT_GE(m.order.filled_quantity, 0);
      EXPECT_LE(m.order.filled_quantity, m.order.quantity);
      EXPECT_NE(m.order.state, OrderState::kResumeOpen);
      if (!is_terminal(m.order.state)) {
        ++open;
        (m.order.side == Side::kBuy ? locked_quote : locked_base) += m.money.locked;
      } else {
        EXPECT_EQ(m.money.locked, 0);
      }
      signed_filled[index_of(m.order.instrument)] +=
          m.order.side == Side::kBuy ? m.order.filled_quantity : -m.order.filled_quantity;
    });
    EXPECT_EQ(open, om.open_orders(BotId{b}));
    // No order was evicted (512 slots, fewer opens), so positions are exactly the fills.
    for (std::uint32_t i = 0; i < 2; ++i)
      EXPECT_EQ(om.position(BotId{b}, InstrumentId{i})->quantity(), signed_filled[i]);
  }
  EXPECT_EQ(om.balance(kAccount, kQuote).locked, locked_quote);
  EXPECT_EQ(om.balance(kAccount, kBase).locked, locked_base);
  OrderManager copy(OmsCapacity{kBots, 2, 2, 1, 512});
  ASSERT_TRUE(copy.restore(om.snapshot()).has_value());
  EXPECT_EQ(copy.state_hash(), om.state_hash());
}

}  // namespace
}  // namespace be::oms

namespace be::oms {
namespace {

// Random, often malformed requests and market data at a paper venue: no crash, every answer
// is a known event, and the state still passes restore()'s structural validation (free list,
// retired FIFO, resting lists linked both ways, counts).
TEST(PaperVenueRobustness, shouldStayConsistentUnderRandomRequestsAndMarketData) {
  PaperConfig c = session_config();
  c.max_orders = 256;
  c.max_pending = 64;
  c.instruments = 2;
  c.enforce_balances = true;
  const PaperStartingBalance start[] = {{kAccount, kQuote, 5'000'000'00},
                                        {kAccount, kBase, 5'000'000}};
  c.starting_balances = start;
  test::RecordingSink sink;
  PaperVenue v(c, sink);
  ASSERT_TRUE(v.define_instrument(test::instrument(0), kBase, kQuote));
  std::mt19937_64 rng(31337);
  auto pick = [&](std::uint64_t n) { return rng() % n; };
  auto between = [&](std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(pick(static_cast<std::uint64_t>(hi - lo + 1)));
  };
  Nanos t = 0;
  std::uint64_t answers = 0;
  for (int k = 0; k < 100'000; ++k) {
    t += between(-50, 400);  // time mostly moves forward, sometimes back
    const std::uint64_t roll = pick(10);
    if (roll < 4) {
      OrderNew o;
      o.bot = BotId{static_cast<std::uint32_t>(pick(6))};
      o.instrument = InstrumentId{static_cast<std::uint32_t>(pick(3))};
      o.client_sequence = pick(600);
      o.account = AccountId{static_cast<std::uint32_t>(pick(2))};
      o.side = static_cast<Side>(pick(4));
      o.order_type = static_cast<std::uint8_t>(pick(4));
      o.time_in_force = static_cast<std::uint8_t>(pick(5));
      o.flags = static_cast<std::uint8_t>(pick(4));
      o.price = between(-10, 20'100);
      o.quantity = between(-10, 5'000);
      v.submit(o, t);
    } else if (roll < 6) {
      OrderCancel cancel;
      cancel.bot = BotId{static_cast<std::uint32_t>(pick(6))};
      cancel.client_sequence = pick(600);
      v.cancel(cancel, t);
    } else if (roll < 7) {
      v.query_order(BotId{static_cast<std::uint32_t>(pick(6))}, InstrumentId{0}, pick(600), t);
    } else if (roll < 8) {
      v.request_balances(AccountId{static_cast<std::uint32_t>(pick(3))}, t);
    } else if (pick(2) == 0) {
      v.on_market(test::trade(static_cast<std::uint32_t>(pick(3)), between(-5, 20'100),
                              between(-5, 3'000), t),
                  t);
    } else {
      const std::int64_t bid = between(-5, 20'100);
      v.on_market(test::quote(static_cast<std::uint32_t>(pick(3)), bid, bid + between(-2, 5), t),
                  t);
    }
    for (const test::Response& r : sink.responses) {
      if (r.is_order) {
        EXPECT_LT(r.order.event, kOrderEventCount);
      }
      ++answers;
    }
    sink.responses.clear();
  }
  EXPECT_GT(answers, 10'000u);
  EXPECT_GT(v.stats()["fills"], 100u);
  EXPECT_GT(v.stats()["rejected"], 100u);
  test::RecordingSink other_sink;
  PaperVenue copy(c, other_sink);
  ASSERT_TRUE(copy.restore(v.snapshot()).has_value()) << "the state is structurally sound";
  EXPECT_EQ(copy.state_hash(), v.state_hash());
  EXPECT_LE(v.resting_orders(), c.max_orders);
}

}  // namespace
}  // namespace be::oms
