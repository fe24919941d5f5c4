// PaperVenue's fill models (docs/OMS.md "Fill models") on synthetic books with hand-worked
// answers, each against the optimistic twin; isolated accounts; the latency model (constant
// shifts, seeded draws, a bot's requests kept in order); queue state through snapshot/restore;
// no allocation on the queue model's path.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "oms/paper_venue.hpp"
#include "tests/oms/oms_fixture.hpp"
#include "tests/support/alloc_counter.hpp"

namespace be::oms {
namespace {

using test::kBase;
using test::kQuote;
using test::trade;

constexpr BotId kBot{3};

PaperConfig config_of(FillModel model, std::uint32_t accounts = 1) {
  PaperConfig c;
  c.max_orders = 16;
  c.instruments = 1;
  c.accounts = accounts;
  c.assets = 2;
  c.fill_model = model;
  return c;
}

// Prices at 2 decimals, quantities at 3 (test::instrument): 10000 = 100.00, 1000 = 1.000.
Event book(std::int64_t bid, std::int64_t bid_size, std::int64_t ask, std::int64_t ask_size,
           Nanos t) {
  Quote q;
  q.instrument = InstrumentId{0};
  q.bid_price = bid;
  q.bid_quantity = bid_size;
  q.ask_price = ask;
  q.ask_quantity = ask_size;
  return Event::make(q, t, t);
}

Event level(Side side, std::int64_t price, std::int64_t size, Nanos t) {
  BookDelta d;
  d.instrument = InstrumentId{0};
  d.side = side;
  d.price = price;
  d.quantity = size;
  return Event::make(d, t, t);
}

OrderNew limit(SequenceNumber seq, Side side, std::int64_t price, std::int64_t quantity,
               AccountId account = AccountId{0}, BotId bot = kBot) {
  OrderNew o;
  o.bot = bot;
  o.instrument = InstrumentId{0};
  o.client_sequence = seq;
  o.account = account;
  o.side = side;
  o.order_type = static_cast<std::uint8_t>(OrderType::kLimit);
  o.time_in_force = static_cast<std::uint8_t>(TimeInForce::kGtc);
  o.price = price;
  o.quantity = quantity;
  return o;
}

struct Venue {
  explicit Venue(const PaperConfig& c) : venue(c, sink) {
    EXPECT_TRUE(venue.define_instrument(test::instrument(0), kBase, kQuote));
  }
  // The fills so far: (client sequence, quantity) in order.
  std::vector<std::pair<SequenceNumber, std::int64_t>> fills() const {
    std::vector<std::pair<SequenceNumber, std::int64_t>> out;
    for (const test::Response& r : sink.responses) {
      const auto e = static_cast<OrderEvent>(r.order.event);
      if (r.is_order && (e == OrderEvent::kFill || e == OrderEvent::kPartialFill))
        out.emplace_back(r.order.client_sequence, r.order.last_quantity);
    }
    return out;
  }
  test::RecordingSink sink;
  PaperVenue venue;
};

using Fills = std::vector<std::pair<SequenceNumber, std::int64_t>>;

// Bid 100.00 x 5.000: a buy of 1.000 at 100.00 joins behind 5.000. Trades at 100.00 of 3.000
// (queue 2.000 left), 2.500 (0.500 beyond the queue: a partial fill) and 0.800 (the 0.500
// left). The optimistic twin fills the whole 1.000 on the first trade.
TEST(FillModel, shouldFillOnlyWhatTradesBeyondTheQueueAheadOfTheOrder) {
  Venue queue(config_of(FillModel::kQueue)), naive(config_of(FillModel::kOptimistic));
  for (Venue* v : {&queue, &naive}) {
    v->venue.on_market(book(10000, 5000, 10010, 5000, 1), 1);
    v->venue.submit(limit(1, Side::kBuy, 10000, 1000), 2);
    v->venue.on_market(trade(0, 10000, 3000, 3), 3);
  }
  EXPECT_EQ(queue.fills(), Fills{});
  EXPECT_EQ(naive.fills(), (Fills{{1, 1000}}));
  queue.venue.on_market(trade(0, 10000, 2500, 4), 4);
  EXPECT_EQ(queue.fills(), (Fills{{1, 500}}));
  queue.venue.on_market(trade(0, 10000, 800, 5), 5);
  EXPECT_EQ(queue.fills(), (Fills{{1, 500}, {1, 500}}));
  EXPECT_EQ(static_cast<OrderEvent>(queue.sink.responses.back().order.event), OrderEvent::kFill);
  EXPECT_EQ(queue.venue.resting_orders(), 0u);
}

// Book deltas at the order's price can only shorten its queue: 5.000 ahead; the level drops to
// 1.200 (cancellations ahead of us, at most), then grows to 4.000 (joined behind us): 1.200
// ahead. A trade of 1.500 then fills 0.300.
TEST(FillModel, shouldShortenTheQueueWhenTheLevelShrinksButNotWhenItGrows) {
  Venue queue(config_of(FillModel::kQueue));
  queue.venue.on_market(book(10000, 5000, 10010, 5000, 1), 1);
  queue.venue.submit(limit(1, Side::kBuy, 10000, 1000), 2);
  queue.venue.on_market(level(Side::kBuy, 10000, 1200, 3), 3);
  queue.venue.on_market(level(Side::kBuy, 10000, 4000, 4), 4);
  queue.venue.on_market(level(Side::kSell, 10000, 1, 4), 4);  // the other side: not ours
  queue.venue.on_market(trade(0, 10000, 1500, 5), 5);
  EXPECT_EQ(queue.fills(), (Fills{{1, 300}}));
}

// A buy at 99.50 under a bid of 100.00 rests at a level whose size the venue has not seen: a trade
// at 99.50 fills nothing until a delta names the level (2.000 ahead); then 2.500 traded fills
// 0.500; a trade through (99.40) fills the rest.
TEST(FillModel, shouldWaitForTheLevelsSizeDeeperInTheBookAndFillThroughTrades) {
  Venue queue(config_of(FillModel::kQueue));
  queue.venue.on_market(book(10000, 5000, 10010, 5000, 1), 1);
  queue.venue.submit(limit(1, Side::kBuy, 9950, 1000), 2);
  queue.venue.on_market(trade(0, 9950, 10000, 3), 3);
  EXPECT_EQ(queue.fills(), Fills{});
  queue.venue.on_market(level(Side::kBuy, 9950, 2000, 4), 4);
  queue.venue.on_market(trade(0, 9950, 2500, 5), 5);
  EXPECT_EQ(queue.fills(), (Fills{{1, 500}}));
  queue.venue.on_market(trade(0, 9940, 1, 6), 6);
  EXPECT_EQ(queue.fills(), (Fills{{1, 500}, {1, 500}}));
}

// A buy at 100.05 inside a 100.00 / 100.10 spread opens a level: nothing is ahead of it.
TEST(FillModel, shouldPutAnOrderThatImprovesTheTouchFirstInItsQueue) {
  Venue queue(config_of(FillModel::kQueue));
  queue.venue.on_market(book(10000, 5000, 10010, 5000, 1), 1);
  queue.venue.submit(limit(1, Side::kBuy, 10005, 1000), 2);
  queue.venue.on_market(trade(0, 10005, 300, 3), 3);
  EXPECT_EQ(queue.fills(), (Fills{{1, 300}}));
}

// Two orders of ours at one price share a trade beyond the queue in arrival order; sells
// mirror buys (ask 100.10 x 0.400 ahead).
TEST(FillModel, shouldShareWhatTradesBeyondTheQueueBetweenOurOrdersInArrivalOrder) {
  Venue queue(config_of(FillModel::kQueue));
  queue.venue.on_market(book(10000, 5000, 10010, 400, 1), 1);
  queue.venue.submit(limit(1, Side::kSell, 10010, 500), 2);
  queue.venue.submit(limit(2, Side::kSell, 10010, 500), 2);
  queue.venue.on_market(trade(0, 10010, 1100, 3), 3);  // 0.400 ahead, then 0.700 for us
  EXPECT_EQ(queue.fills(), (Fills{{1, 500}, {2, 200}}));
}

// Isolated accounts each see the whole trade (a sweep's configurations never share fills);
// otherwise the second account in line gets what the first left.
TEST(FillModel, shouldLetEachIsolatedAccountSeeTheWholeTrade) {
  PaperConfig shared = config_of(FillModel::kOptimistic, 2);
  PaperConfig isolated = shared;
  isolated.isolate_accounts = true;
  Venue a(shared), b(isolated);
  for (Venue* v : {&a, &b}) {
    v->venue.on_market(book(9990, 1000, 10010, 1000, 1), 1);
    v->venue.submit(limit(1, Side::kBuy, 10000, 1000, AccountId{0}, BotId{1}), 2);
    v->venue.submit(limit(1, Side::kBuy, 10000, 1000, AccountId{1}, BotId{2}), 2);
    v->venue.on_market(trade(0, 10000, 1500, 3), 3);
  }
  EXPECT_EQ(a.fills(), (Fills{{1, 1000}, {1, 500}}));
  EXPECT_EQ(b.fills(), (Fills{{1, 1000}, {1, 1000}}));
}

// ---- Latency --------------------------------------------------------------------------------

// 0.5 us of feed latency plus 1 us of order entry: an order sent at t = 10 ns reaches the
// venue at 1510 ns; a trade at its price before then does not fill it, one after does.
TEST(FillModel, shouldShiftArrivalsAndFillsByExactlyTheConfiguredLatency) {
  PaperConfig c = config_of(FillModel::kOptimistic);
  c.latency_ns = 1000;
  c.feed_latency_ns = 500;
  Venue v(c);
  v.venue.on_market(book(9990, 1000, 10010, 1000, 1), 1);
  v.venue.submit(limit(1, Side::kBuy, 10000, 1000), 10);
  v.venue.on_market(trade(0, 10000, 5000, 1509), 1509);
  EXPECT_TRUE(v.sink.responses.empty());
  v.venue.advance(1510);
  ASSERT_EQ(v.sink.responses.size(), 1u);
  EXPECT_EQ(static_cast<OrderEvent>(v.sink.responses[0].order.event), OrderEvent::kAccepted);
  EXPECT_EQ(v.sink.responses[0].event_time, 1510);
  v.venue.on_market(trade(0, 10000, 5000, 1600), 1600);
  EXPECT_EQ(v.fills(), (Fills{{1, 1000}}));
  EXPECT_EQ(v.sink.responses.back().event_time, 1600);
}

std::vector<Nanos> arrivals(const PaperConfig& c, int orders, BotId bot = kBot) {
  Venue v(c);
  v.venue.on_market(book(9990, 1000, 10010, 1000, 1), 1);
  for (int i = 0; i < orders; ++i)
    v.venue.submit(limit(static_cast<SequenceNumber>(i + 1), Side::kBuy, 9000, 1, {}, bot),
                   1000 * i);
  v.venue.advance(1'000'000'000);
  std::vector<Nanos> out;
  for (const test::Response& r : v.sink.responses)
    out.push_back(r.event_time);
  return out;
}

TEST(FillModel, shouldDrawLatenciesFromTheSeededDistributionWithinItsBounds) {
  PaperConfig c = config_of(FillModel::kOptimistic);
  c.max_orders = 4096;
  c.latency_ns = 2000;
  c.latency_jitter_ns = 1000;
  c.latency_distribution = LatencyDistribution::kUniform;
  c.latency_seed = 42;
  const auto a = arrivals(c, 2000), b = arrivals(c, 2000);
  EXPECT_EQ(a, b) << "the same seed draws the same latencies";
  ASSERT_EQ(a.size(), 2000u);
  double sum = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const Nanos delay = a[i] - 1000 * static_cast<Nanos>(i);
    // One bot's requests arrive in order: a short draw waits behind the request before it.
    if (i > 0) {
      EXPECT_GE(a[i], a[i - 1]);
    }
    EXPECT_GE(delay, 2000);
    EXPECT_LE(delay, 3000);
    sum += static_cast<double>(delay - 2000);
  }
  EXPECT_NEAR(sum / 2000, 500, 25);  // uniform on [0, 1000]: mean 500, se ~6.5
  c.latency_seed = 43;
  EXPECT_NE(arrivals(c, 2000), a);
  c.latency_distribution = LatencyDistribution::kExponential;
  const auto e = arrivals(c, 2000);
  double total = 0;
  for (std::size_t i = 0; i < e.size(); ++i)
    total += static_cast<double>(e[i] - 1000 * static_cast<Nanos>(i) - 2000);
  // Exponential with mean 1000 (order kept: a draw never arrives before the one before it,
  // which only lengthens delays a little at 1 us spacing).
  EXPECT_GT(total / 2000, 950);
  EXPECT_LT(total / 2000, 1300);
}

// ---- State ----------------------------------------------------------------------------------

TEST(FillModel, shouldCarryQueuePositionsThroughSnapshotAndRestore) {
  Venue a(config_of(FillModel::kQueue)), b(config_of(FillModel::kQueue));
  a.venue.on_market(book(10000, 5000, 10010, 5000, 1), 1);
  a.venue.submit(limit(1, Side::kBuy, 10000, 1000), 2);
  a.venue.on_market(trade(0, 10000, 3000, 3), 3);  // 2.000 left ahead
  ASSERT_TRUE(b.venue.restore(a.venue.snapshot()).has_value());
  EXPECT_EQ(a.venue.state_hash(), b.venue.state_hash());
  for (Venue* v : {&a, &b})
    v->venue.on_market(trade(0, 10000, 2500, 4), 4);
  EXPECT_EQ(a.fills(), (Fills{{1, 500}}));
  EXPECT_EQ(b.fills(), (Fills{{1, 500}}));
  EXPECT_EQ(a.venue.state_hash(), b.venue.state_hash());
}

TEST(FillModel, shouldNotAllocateOnTheQueueModelsPathAfterWarmUp) {
  if (!be::test::allocation_counting_available()) {
    GTEST_SKIP() << "allocation counting unavailable (sanitizer build)";
  }
  PaperConfig c = config_of(FillModel::kQueue, 4);
  c.isolate_accounts = true;
  c.latency_jitter_ns = 100;
  c.latency_distribution = LatencyDistribution::kExponential;
  Venue v(c);
  v.venue.on_market(book(10000, 5000, 10010, 5000, 1), 1);
  const std::uint64_t before = be::test::allocation_count();
  Nanos t = 2;
  for (SequenceNumber s = 1; s <= 12; ++s, t += 1000) {
    v.venue.submit(limit(s, s % 2 ? Side::kBuy : Side::kSell, s % 2 ? 10000 : 10010, 700,
                         AccountId{static_cast<std::uint32_t>(s % 4)},
                         BotId{static_cast<std::uint32_t>(s % 4)}),
                   t);
    v.venue.on_market(level(Side::kBuy, 10000, 4000, t + 500), t + 500);
    v.venue.on_market(trade(0, 10000, 900, t + 600), t + 600);
    v.venue.on_market(trade(0, 10010, 900, t + 700), t + 700);
  }
  EXPECT_EQ(be::test::allocation_count(), before);
  EXPECT_FALSE(v.fills().empty());
}

}  // namespace
}  // namespace be::oms
