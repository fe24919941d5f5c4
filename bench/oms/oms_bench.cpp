// Order manager state transitions and paper venue throughput.
//
// Workloads (all seeded, generated before timing):
//  - Transition: 4096 live orders of 16 bots in one OrderManager (capacity 8192). Each order
//    cycles PendingCancel --CancelRejected (venue OrderUpdate, apply)--> New --request_cancel-->
//    PendingCancel, the orders visited in a shuffled order so lookups are not cache-friendly
//    sequential. One benchmark iteration is two transitions; the figure is ns per transition.
//      BM_TransitionOrderManager  OrderManager::apply + request_cancel (hash lookup, the table,
//                                 stats, the UpdateResult copy)
//      BM_TransitionNaiveMap      peer: std::map<ClientOrderId, order> + a switch-based state
//                                 machine doing the same cycle with the same outcomes
//      BM_TransitionTableOnly     floor: oms::apply on an Order already in hand (no lookup)
//    Verified first: both implementations run the cycle over every order and must end in
//    the same states with the same applied count and no illegal or unknown events.
//  - Paper venue: one instrument, 4 bots, latency 200 ns, fees and slippage on. 65536
//    operations: 45% market data (quotes and trades on a random walk, sizes 1..3000),
//    40% new orders (90% limit within +-8 ticks of mid, 10% market, 5% IOC), 15% cancels of a
//    random earlier order. One iteration is the whole list on a venue restored from the same
//    starting snapshot (restore not timed). "Order events" = order requests in (submit,
//    cancel) + OrderUpdates out (acks, fills, cancels, rejects, expiries).
//      BM_PaperVenue              the venue alone; counters: order_events/s, market_events/s
//      BM_PaperVenueWithManager   the loop the engine runs: OrderManager::open_order ->
//                                 submit, request_cancel -> cancel, every update folded back
//    Verified first: the responses folded into an OrderManager give no illegal transition and
//    no unknown id, balances equal to the venue's, and a second run gives the same hash.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "oms/order_manager.hpp"
#include "oms/paper_venue.hpp"

namespace {

using namespace be;
using namespace be::oms;

constexpr std::uint32_t kTransitionBots = 16;
constexpr std::uint32_t kTransitionOrders = 4096;
constexpr AssetId kBase{0};
constexpr AssetId kQuote{1};
constexpr AccountId kAccount{0};

InstrumentDefined instrument() {
  InstrumentDefined d;
  d.instrument = InstrumentId{0};
  d.price_scale = 2;
  d.qty_scale = 3;
  std::memcpy(d.symbol.data(), "BTCUSDT", 7);
  return d;
}

struct Key {
  BotId bot;
  SequenceNumber seq;
};

std::vector<Key> transition_keys() {
  std::vector<Key> keys;
  for (std::uint32_t k = 0; k < kTransitionOrders; ++k) {
    keys.push_back({BotId{k % kTransitionBots}, client_sequence(1000 + k, k % 3)});
  }
  std::mt19937_64 rng(5);
  std::shuffle(keys.begin(), keys.end(), rng);
  return keys;
}

// Builds the manager with every order PendingCancel.
void build_manager(OrderManager& om, const std::vector<Key>& keys) {
  om.define_instrument(instrument(), kBase, kQuote);
  for (std::uint32_t b = 0; b < kTransitionBots; ++b)
    om.assign_bot(BotId{b}, kAccount);
  for (const Key& k : keys) {
    OrderIntent i;
    i.bot = k.bot;
    i.instrument = InstrumentId{0};
    i.side = Side::kBuy;
    i.price = 10'000;
    i.cause = k.seq;
    om.open_order(i, 1'000, 0);
    OrderUpdate ack;
    ack.bot = k.bot;
    ack.client_sequence = k.seq;
    ack.event = static_cast<std::uint8_t>(OrderEvent::kAccepted);
    om.apply(ack, 0);
    om.request_cancel(k.bot, k.seq, 0);
  }
}

OrderUpdate cancel_rejected(const Key& k) {
  OrderUpdate u;
  u.bot = k.bot;
  u.client_sequence = k.seq;
  u.event = static_cast<std::uint8_t>(OrderEvent::kCancelRejected);
  return u;
}

// ---- The peer: what one would write first -----------------------------------------------------
struct NaiveKey {
  std::uint32_t bot;
  SequenceNumber seq;
  bool operator<(const NaiveKey& o) const { return bot != o.bot ? bot < o.bot : seq < o.seq; }
};
enum class NState { kPendingNew, kNew, kPartial, kFilled, kPendingCancel, kCanceled, kRejected };
struct NaiveOrder {
  NState state = NState::kPendingNew;
  std::int64_t quantity = 0;
  std::int64_t filled = 0;
};
struct NaiveMachine {
  std::map<NaiveKey, NaiveOrder> orders;
  std::uint64_t applied = 0;
  std::uint64_t illegal = 0;
  std::uint64_t unknown = 0;
  // Returns true when applied.
  bool on(std::uint32_t bot, SequenceNumber seq, OrderEvent e) {
    auto it = orders.find({bot, seq});
    if (it == orders.end()) {
      ++unknown;
      return false;
    }
    NaiveOrder& o = it->second;
    switch (o.state) {
      case NState::kPendingCancel:
        if (e == OrderEvent::kCancelRejected) {
          o.state = o.filled == 0 ? NState::kNew : NState::kPartial;
          ++applied;
          return true;
        }
        if (e == OrderEvent::kCanceled) {
          o.state = NState::kCanceled;
          ++applied;
          return true;
        }
        break;
      case NState::kNew:
      case NState::kPartial:
        if (e == OrderEvent::kCancelRequested) {
          o.state = NState::kPendingCancel;
          ++applied;
          return true;
        }
        break;
      default:
        break;
    }
    ++illegal;
    return false;
  }
};

void build_naive(NaiveMachine& m, const std::vector<Key>& keys) {
  for (const Key& k : keys)
    m.orders[{index_of(k.bot), k.seq}] = NaiveOrder{NState::kPendingCancel, 1'000, 0};
}

bool verify_transitions(const std::vector<Key>& keys, std::string& why) {
  OrderManager om(OmsCapacity{kTransitionBots, 1, 2, 1, 2 * kTransitionOrders});
  build_manager(om, keys);
  NaiveMachine naive;
  build_naive(naive, keys);
  std::uint64_t applied = 0;
  for (int round = 0; round < 3; ++round) {
    for (const Key& k : keys) {
      applied += om.apply(cancel_rejected(k), 1).outcome == Outcome::kApplied;
      applied += om.request_cancel(k.bot, k.seq, 1).has_value();
      naive.on(index_of(k.bot), k.seq, OrderEvent::kCancelRejected);
      naive.on(index_of(k.bot), k.seq, OrderEvent::kCancelRequested);
    }
  }
  for (const Key& k : keys) {
    const ManagedOrder* m = om.find(k.bot, k.seq);
    if (m == nullptr || m->order.state != OrderState::kPendingCancel ||
        naive.orders[{index_of(k.bot), k.seq}].state != NState::kPendingCancel) {
      why = "states differ after the cycle";
      return false;
    }
  }
  if (applied != naive.applied || applied != 6ull * keys.size() || om.stats().illegal != 0 ||
      naive.illegal != 0 || om.stats().unknown_ids != 0) {
    why = "applied/illegal counts differ";
    return false;
  }
  return true;
}

void BM_TransitionOrderManager(benchmark::State& state) {
  const auto keys = transition_keys();
  std::string why;
  if (!verify_transitions(keys, why)) return state.SkipWithError(why.c_str());
  OrderManager om(OmsCapacity{kTransitionBots, 1, 2, 1, 2 * kTransitionOrders});
  build_manager(om, keys);
  std::vector<OrderUpdate> updates;
  for (const Key& k : keys)
    updates.push_back(cancel_rejected(k));
  std::size_t i = 0;
  for (auto _ : state) {
    const OrderUpdate& u = updates[i];
    const UpdateResult r = om.apply(u, 1);
    benchmark::DoNotOptimize(r.to);
    auto c = om.request_cancel(u.bot, u.client_sequence, 1);
    benchmark::DoNotOptimize(c);
    if (++i == updates.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 2);
  state.counters["ns_per_transition"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * 2,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_TransitionOrderManager);

void BM_TransitionNaiveMap(benchmark::State& state) {
  const auto keys = transition_keys();
  std::string why;
  if (!verify_transitions(keys, why)) return state.SkipWithError(why.c_str());
  NaiveMachine m;
  build_naive(m, keys);
  std::size_t i = 0;
  for (auto _ : state) {
    const Key& k = keys[i];
    benchmark::DoNotOptimize(m.on(index_of(k.bot), k.seq, OrderEvent::kCancelRejected));
    benchmark::DoNotOptimize(m.on(index_of(k.bot), k.seq, OrderEvent::kCancelRequested));
    if (++i == keys.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 2);
  state.counters["ns_per_transition"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * 2,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_TransitionNaiveMap);

void BM_TransitionTableOnly(benchmark::State& state) {
  std::vector<Order> orders(kTransitionOrders);
  for (Order& o : orders) {
    o.quantity = 1'000;
    o.state = OrderState::kPendingCancel;
  }
  // Verify: one cycle returns every order to PendingCancel through two applied transitions.
  for (Order& o : orders) {
    if (apply(o, OrderEvent::kCancelRejected).to != OrderState::kNew ||
        apply(o, OrderEvent::kCancelRequested).to != OrderState::kPendingCancel) {
      return state.SkipWithError("table cycle broken");
    }
  }
  std::size_t i = 0;
  for (auto _ : state) {
    Order& o = orders[i];
    benchmark::DoNotOptimize(apply(o, OrderEvent::kCancelRejected));
    benchmark::DoNotOptimize(apply(o, OrderEvent::kCancelRequested));
    if (++i == orders.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 2);
  state.counters["ns_per_transition"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * 2,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_TransitionTableOnly);

// ---- Paper venue ----------------------------------------------------------------------------

constexpr std::uint32_t kVenueBots = 4;
constexpr std::size_t kOps = 1 << 16;

struct Op {
  enum Kind : std::uint8_t { kMarket, kNew, kCancel } kind;
  Event market;    // kMarket
  OrderNew order;  // kNew; kCancel uses bot/instrument/client_sequence/account
  Nanos t;
};

std::vector<Op> venue_ops() {
  std::mt19937_64 rng(20261123);
  auto uniform = [&](std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(hi - lo + 1));
  };
  std::vector<Op> ops;
  ops.reserve(kOps);
  std::vector<OrderNew> sent;
  Nanos t = 1'000'000;
  std::int64_t mid = 20000'00;
  for (std::size_t k = 0; k < kOps; ++k) {
    t += uniform(20, 200);
    const std::int64_t roll = uniform(0, 99);
    Op op{};
    op.t = t;
    if (roll < 45 || k < 16) {
      mid += uniform(-3, 3);
      op.kind = Op::kMarket;
      if (uniform(0, 1) == 0) {
        Quote q;
        q.instrument = InstrumentId{0};
        q.bid_price = mid - 1;
        q.ask_price = mid + 1;
        q.bid_quantity = q.ask_quantity = 1000;
        op.market = Event::make(q, t, t);
      } else {
        Trade tr;
        tr.instrument = InstrumentId{0};
        tr.price = mid + uniform(-4, 4);
        tr.quantity = uniform(1, 3000);
        op.market = Event::make(tr, t, t);
      }
    } else if (roll < 85 || sent.empty()) {
      OrderNew o;
      o.bot = BotId{static_cast<std::uint32_t>(uniform(0, kVenueBots - 1))};
      o.instrument = InstrumentId{0};
      o.client_sequence = client_sequence(k + 1, 0);
      o.account = kAccount;
      o.side = uniform(0, 1) == 0 ? Side::kBuy : Side::kSell;
      const bool market = uniform(0, 9) == 0;
      o.order_type = static_cast<std::uint8_t>(market ? OrderType::kMarket : OrderType::kLimit);
      o.time_in_force =
          static_cast<std::uint8_t>(uniform(0, 19) == 0 ? TimeInForce::kIoc : TimeInForce::kGtc);
      o.price = market ? 0 : mid + uniform(-8, 8);
      o.quantity = uniform(1, 4000);
      op.kind = Op::kNew;
      op.order = o;
      sent.push_back(o);
    } else {
      op.kind = Op::kCancel;
      op.order =
          sent[static_cast<std::size_t>(uniform(0, static_cast<std::int64_t>(sent.size()) - 1))];
    }
    ops.push_back(op);
  }
  return ops;
}

PaperConfig venue_config() {
  return {.slippage_bps = 2,
          .maker_fee_bps = 10,
          .taker_fee_bps = 20,
          .latency_ns = 200,
          .max_orders = 1 << 16,
          .instruments = 1,
          .accounts = 1,
          .assets = 2};
}

// Counts what the venue says; optionally folds it into an order manager.
class CountingSink final : public VenueResponses {
 public:
  void respond(const OrderUpdate& u, Nanos t, Nanos) noexcept override {
    ++order_updates;
    if (om) closed += om->apply(u, t).closed;
  }
  void respond(const BalanceUpdate&, Nanos, Nanos) noexcept override {}
  void connectivity(VenueId, ConnectivityState, Nanos) noexcept override {}
  std::uint64_t order_updates = 0;
  std::uint64_t closed = 0;
  OrderManager* om = nullptr;
};

void run_venue(PaperVenue& v, const std::vector<Op>& ops, std::uint64_t& requests) {
  for (const Op& op : ops) {
    switch (op.kind) {
      case Op::kMarket:
        v.on_market(op.market, op.t);
        break;
      case Op::kNew:
        v.submit(op.order, op.t);
        ++requests;
        break;
      case Op::kCancel: {
        OrderCancel c;
        c.bot = op.order.bot;
        c.instrument = op.order.instrument;
        c.client_sequence = op.order.client_sequence;
        c.account = op.order.account;
        v.cancel(c, op.t);
        ++requests;
        break;
      }
    }
  }
  v.advance(ops.back().t + 1'000'000);
}

std::unique_ptr<OrderManager> venue_manager() {
  auto om = std::make_unique<OrderManager>(OmsCapacity{kVenueBots, 1, 2, 1, 1 << 16});
  om->define_instrument(instrument(), kBase, kQuote);
  for (std::uint32_t b = 0; b < kVenueBots; ++b)
    om->assign_bot(BotId{b}, kAccount);
  return om;
}

// The engine's loop: the manager decides, the venue answers, the manager folds the answer.
void run_loop(OrderManager& om, PaperVenue& v, const std::vector<Op>& ops, std::uint64_t& sent) {
  for (const Op& op : ops) {
    switch (op.kind) {
      case Op::kMarket:
        v.on_market(op.market, op.t);
        break;
      case Op::kNew: {
        OrderIntent i;
        i.bot = op.order.bot;
        i.instrument = op.order.instrument;
        i.side = op.order.side;
        i.type = static_cast<OrderType>(op.order.order_type);
        i.time_in_force = static_cast<TimeInForce>(op.order.time_in_force);
        i.price = op.order.price;
        i.cause = op.order.client_sequence;
        if (auto o = om.open_order(i, op.order.quantity, op.t)) {
          v.submit(*o, op.t);
          ++sent;
        }
        break;
      }
      case Op::kCancel:
        if (auto c = om.request_cancel(op.order.bot, op.order.client_sequence, op.t)) {
          v.cancel(*c, op.t);
          ++sent;
        }
        break;
    }
  }
  v.advance(ops.back().t + 1'000'000);
}

bool verify_venue(const std::vector<Op>& ops, std::string& why) {
  auto om = venue_manager();
  CountingSink sink;
  sink.om = om.get();
  PaperVenue v(venue_config(), sink);
  v.define_instrument(instrument(), kBase, kQuote);
  std::uint64_t sent = 0;
  run_loop(*om, v, ops, sent);
  // Cancels of orders that already ended are refused locally (the table's Filled x
  // CancelRequested cells and the like): expected in this workload. Anything else is not.
  std::uint64_t venue_illegal = 0;
  for (const auto& row : om->stats().illegal_by) {
    for (std::size_t e = 0; e < row.size(); ++e) {
      if (e != static_cast<std::size_t>(OrderEvent::kCancelRequested)) venue_illegal += row[e];
    }
  }
  if (venue_illegal != 0 || om->stats().unknown_ids != 0 || om->stats().fills < 1000 ||
      v.stats()["fills"] != om->stats().fills) {
    why = "the manager refused venue answers or fills differ: illegal " +
          std::to_string(venue_illegal) + " unknown " + std::to_string(om->stats().unknown_ids) +
          " fills " + std::to_string(om->stats().fills) + " venue fills " +
          std::to_string(v.stats()["fills"]);
    return false;
  }
  for (AssetId a : {kBase, kQuote}) {
    const Balance x = om->balance(kAccount, a);
    const Balance y = v.balance(kAccount, a);
    if (x.free != y.free || x.locked != y.locked) {
      why = "balances differ between the manager and the venue";
      return false;
    }
  }
  CountingSink sink2;
  PaperVenue v2(venue_config(), sink2);
  v2.define_instrument(instrument(), kBase, kQuote);
  std::uint64_t requests = 0;
  run_venue(v2, ops, requests);
  CountingSink sink3;
  PaperVenue v3(venue_config(), sink3);
  v3.define_instrument(instrument(), kBase, kQuote);
  run_venue(v3, ops, requests);
  if (v2.state_hash() != v3.state_hash() || sink2.order_updates != sink3.order_updates) {
    why = "two runs of the venue differ";
    return false;
  }
  return true;
}

void BM_PaperVenue(benchmark::State& state) {
  const auto ops = venue_ops();
  std::string why;
  if (!verify_venue(ops, why)) return state.SkipWithError(why.c_str());
  CountingSink sink;
  PaperVenue v(venue_config(), sink);
  v.define_instrument(instrument(), kBase, kQuote);
  const auto start = v.snapshot();
  std::uint64_t requests = 0;
  std::uint64_t market = 0;
  for (const Op& op : ops)
    market += op.kind == Op::kMarket;
  std::uint64_t passes = 0;
  for (auto _ : state) {
    run_venue(v, ops, requests);
    ++passes;
    state.PauseTiming();
    (void)v.restore(start);
    state.ResumeTiming();
  }
  const double events = static_cast<double>(requests + sink.order_updates);
  state.counters["order_events/s"] = benchmark::Counter(events, benchmark::Counter::kIsRate);
  state.counters["market_events/s"] =
      benchmark::Counter(static_cast<double>(market * passes), benchmark::Counter::kIsRate);
  state.counters["updates_per_pass"] =
      static_cast<double>(sink.order_updates) / static_cast<double>(passes);
}
BENCHMARK(BM_PaperVenue)->Unit(benchmark::kMillisecond);

void BM_PaperVenueWithManager(benchmark::State& state) {
  const auto ops = venue_ops();
  std::string why;
  if (!verify_venue(ops, why)) return state.SkipWithError(why.c_str());
  auto om = venue_manager();
  CountingSink sink;
  sink.om = om.get();
  PaperVenue v(venue_config(), sink);
  v.define_instrument(instrument(), kBase, kQuote);
  const auto venue_start = v.snapshot();
  const auto manager_start = om->snapshot();
  std::uint64_t sent = 0;
  for (auto _ : state) {
    run_loop(*om, v, ops, sent);
    state.PauseTiming();
    (void)v.restore(venue_start);
    (void)om->restore(manager_start);
    state.ResumeTiming();
  }
  const double events = static_cast<double>(sent + sink.order_updates);
  state.counters["order_events/s"] = benchmark::Counter(events, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_PaperVenueWithManager)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
