#include "feed/order_book.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "feed/binance.hpp"
#include "feed/capture.hpp"
#include "tests/feed/capture_files.hpp"
#include "tests/feed/naive_book.hpp"

namespace be::feed {
namespace {

using test::Collect;

constexpr InstrumentId kInst{0};
constexpr VenueId kVenue{1};

BookDelta delta(Side side, std::int64_t price, std::int64_t qty, std::uint64_t first,
                std::uint64_t last, std::uint8_t flags) {
  return {.instrument = kInst,
          .side = side,
          .flags = flags,
          .price = price,
          .quantity = qty,
          .first_update_id = first,
          .last_update_id = last};
}

class OrderBookTest : public ::testing::Test {
 protected:
  OrderBook book{OrderBookConfig{.instrument = kInst, .venue = kVenue, .depth = 4}};
  Collect out;

  void apply(const BookDelta& d) { book.apply(d, 10, 20, out); }
  void snapshot(std::uint64_t id) {
    apply(delta(Side::kBuy, 100, 1, id, id, BookDelta::kSnapshot));
    apply(delta(Side::kBuy, 99, 2, id, id, BookDelta::kSnapshot));
    apply(delta(Side::kSell, 101, 3, id, id, BookDelta::kSnapshot | BookDelta::kEndOfUpdate));
  }
  void update(std::uint64_t first, std::uint64_t last, Side side, std::int64_t price,
              std::int64_t qty) {
    apply(delta(side, price, qty, first, last, BookDelta::kEndOfUpdate));
  }
};

TEST_F(OrderBookTest, shouldDropDeltasBeforeTheFirstSnapshot) {
  update(1, 2, Side::kBuy, 100, 1);
  EXPECT_EQ(book.state(), BookState::kAwaitingSnapshot);
  EXPECT_EQ(book.depth(Side::kBuy), 0u);
  EXPECT_EQ(book.stats()["dropped_unsynced"], 1u);
}

TEST_F(OrderBookTest, shouldBuildFromSnapshotSortedBestFirst) {
  snapshot(50);
  EXPECT_EQ(book.state(), BookState::kSyncing);
  EXPECT_EQ(book.last_update_id(), 50u);
  EXPECT_EQ(book.best_bid(), (BookLevel{100, 1}));
  EXPECT_EQ(book.level(Side::kBuy, 1), (BookLevel{99, 2}));
  EXPECT_EQ(book.best_ask(), (BookLevel{101, 3}));
  EXPECT_EQ(book.quantity_at(Side::kBuy, 99), 2);
  EXPECT_EQ(book.quantity_at(Side::kBuy, 98), 0);
}

TEST_F(OrderBookTest, shouldDropStaleUpdatesThenApplyTheStraddlingOne) {
  snapshot(50);
  update(45, 50, Side::kBuy, 100, 7);  // u <= lastUpdateId: stale
  EXPECT_EQ(book.stats()["dropped_stale"], 1u);
  EXPECT_EQ(book.best_bid(), (BookLevel{100, 1}));
  update(48, 53, Side::kBuy, 100, 7);  // U <= 51 <= u: the first applied
  EXPECT_EQ(book.state(), BookState::kLive);
  EXPECT_EQ(book.best_bid(), (BookLevel{100, 7}));
  EXPECT_EQ(book.last_update_id(), 53u);
  update(54, 54, Side::kBuy, 100, 0);  // removes the level
  EXPECT_EQ(book.best_bid(), (BookLevel{99, 2}));
  EXPECT_TRUE(out.events.empty());
}

TEST_F(OrderBookTest, shouldReportGapWhenFirstUpdateStartsPastTheSnapshot) {
  snapshot(50);
  update(52, 53, Side::kBuy, 100, 7);  // 51 missing
  ASSERT_EQ(out.events.size(), 1u);
  ASSERT_TRUE(out.events[0].is<Connectivity>());
  const auto c = out.events[0].as<Connectivity>();
  EXPECT_EQ(c.state, ConnectivityState::kGap);
  EXPECT_EQ(c.venue, kVenue);
  EXPECT_EQ(c.instrument, kInst);
  EXPECT_EQ(c.expected_sequence, 51u);
  EXPECT_EQ(c.received_sequence, 52u);
  EXPECT_EQ(book.state(), BookState::kAwaitingSnapshot);
  EXPECT_EQ(book.depth(Side::kBuy), 0u);
}

TEST_F(OrderBookTest, shouldResyncAfterGapFromANewSnapshot) {
  snapshot(50);
  update(51, 51, Side::kBuy, 100, 5);
  update(53, 54, Side::kSell, 101, 9);  // 52 lost: gap
  EXPECT_EQ(book.stats()["gaps"], 1u);
  update(55, 55, Side::kSell, 101, 9);  // ignored until a snapshot
  EXPECT_EQ(book.stats()["dropped_unsynced"], 1u);
  snapshot(60);
  update(61, 61, Side::kSell, 102, 1);
  EXPECT_EQ(book.state(), BookState::kLive);
  EXPECT_EQ(book.level(Side::kSell, 1), (BookLevel{102, 1}));
  EXPECT_EQ(out.events.size(), 1u);  // exactly the one gap
}

TEST_F(OrderBookTest, shouldApplyAMultiLevelUpdateAtomicallyAndIgnoreOtherInstruments) {
  snapshot(50);
  apply(delta(Side::kBuy, 98, 4, 51, 52, BookDelta::kNone));
  apply(delta(Side::kSell, 102, 4, 51, 52, BookDelta::kEndOfUpdate));
  EXPECT_EQ(book.last_update_id(), 52u);
  EXPECT_EQ(book.depth(Side::kBuy), 3u);
  BookDelta other = delta(Side::kBuy, 1000, 1, 1, 1, BookDelta::kEndOfUpdate);
  other.instrument = InstrumentId{9};
  const auto before = book.state_hash();
  apply(other);
  EXPECT_EQ(book.state_hash(), before);
}

TEST_F(OrderBookTest, shouldKeepOnlyTheBestLevelsWhenFull) {
  snapshot(50);
  update(51, 51, Side::kBuy, 98, 1);
  update(52, 52, Side::kBuy, 97, 1);  // now 4 bids: full
  update(53, 53, Side::kBuy, 96, 1);  // worse than all: ignored
  EXPECT_EQ(book.depth(Side::kBuy), 4u);
  EXPECT_EQ(book.quantity_at(Side::kBuy, 96), 0);
  update(54, 54, Side::kBuy, 101, 1);  // better: evicts 97
  EXPECT_EQ(book.best_bid(), (BookLevel{101, 1}));
  EXPECT_EQ(book.quantity_at(Side::kBuy, 97), 0);
  EXPECT_EQ(book.stats()["truncated_levels"], 2u);
}

TEST(OrderBookSequencing, shouldApplyUnsequencedVenuesInArrivalOrder) {
  OrderBook book(OrderBookConfig{.instrument = kInst, .depth = 8, .sequencing = Sequencing::kNone});
  Collect out;
  book.apply(delta(Side::kBuy, 100, 1, 0, 0, BookDelta::kSnapshot | BookDelta::kEndOfUpdate), 0, 0,
             out);
  EXPECT_TRUE(book.live());
  book.apply(delta(Side::kBuy, 101, 1, 0, 0, BookDelta::kEndOfUpdate), 0, 0, out);
  EXPECT_EQ(book.best_bid(), (BookLevel{101, 1}));
  EXPECT_TRUE(out.events.empty());
}

// STYLE.md #6: 200k seeded random deltas (snapshots, in-order, stale, gapped, multi-level,
// removals, beyond-capacity) through OrderBook and NaiveBook; the levels, state and last id
// are compared after every update, and state_hash must track equality.
TEST(OrderBookTwin, shouldMatchNaiveTwinOnSeededRandomDeltas) {
  constexpr std::size_t kDepth = 16;
  std::mt19937_64 rng(20261123);
  OrderBook book(OrderBookConfig{.instrument = kInst, .venue = kVenue, .depth = kDepth});
  test::NaiveBook twin(kInst, kDepth);
  Collect out;
  std::uint64_t next_id = 1;
  std::uint64_t gaps = 0;
  auto rand = [&rng](std::uint64_t n) { return rng() % n; };
  auto emit_update = [&](std::uint64_t first, std::uint64_t last, bool snapshot) {
    const std::size_t levels = snapshot ? rand(40) : 1 + rand(5);
    for (std::size_t i = 0; i < levels; ++i) {
      const Side side = rand(2) == 0 ? Side::kBuy : Side::kSell;
      // Bids around 900..1000, asks around 1001..1100, some crossing on purpose.
      const std::int64_t price = side == Side::kBuy ? 900 + static_cast<std::int64_t>(rand(110))
                                                    : 990 + static_cast<std::int64_t>(rand(110));
      const std::int64_t qty = rand(4) == 0 ? 0 : 1 + static_cast<std::int64_t>(rand(1000));
      std::uint8_t flags = snapshot ? BookDelta::kSnapshot : BookDelta::kNone;
      if (i + 1 == levels) flags |= BookDelta::kEndOfUpdate;
      const BookDelta d = delta(side, price, qty, first, last, flags);
      const std::size_t before = out.events.size();
      book.apply(d, 1, 2, out);
      const bool twin_gap = twin.apply(d);
      EXPECT_EQ(out.events.size() - before, twin_gap ? 1u : 0u);
      gaps += twin_gap;
    }
    if (levels == 0) {  // an empty snapshot still ends
      const BookDelta d =
          delta(Side::kNone, 0, 0, first, last, BookDelta::kSnapshot | BookDelta::kEndOfUpdate);
      book.apply(d, 1, 2, out);
      twin.apply(d);
    }
  };
  for (int step = 0; step < 200000; ++step) {
    const auto roll = rand(1000);
    if (roll < 5) {
      emit_update(next_id, next_id, /*snapshot=*/true);
    } else if (roll < 15) {  // stale or overlapping replay
      const std::uint64_t back = 1 + rand(5);
      emit_update(next_id > back ? next_id - back : 1, next_id, false);
    } else if (roll < 20) {  // a gap
      next_id += 2 + rand(3);
      emit_update(next_id, next_id + rand(3), false);
    } else {
      const std::uint64_t span = rand(3);
      emit_update(next_id + 1, next_id + 1 + span, false);
      next_id += 1 + span;
    }
    ASSERT_EQ(book.state(), twin.state()) << "step " << step;
    ASSERT_EQ(book.last_update_id(), twin.last_update_id()) << "step " << step;
    for (Side side : {Side::kBuy, Side::kSell}) {
      const auto expected = twin.levels(side);
      ASSERT_EQ(book.depth(side), expected.size()) << "step " << step;
      for (std::size_t i = 0; i < expected.size(); ++i) {
        ASSERT_EQ(book.level(side, i), expected[i]) << "step " << step << " level " << i;
      }
    }
  }
  EXPECT_GT(gaps, 100u);
  EXPECT_GT(book.stats()["applied_updates"], 40000u);
  EXPECT_GT(book.stats()["truncated_levels"], 0u);
}

TEST(OrderBookTwin, shouldHashEqualBooksEquallyAndDifferentBooksDifferently) {
  OrderBook a(OrderBookConfig{.instrument = kInst, .depth = 8});
  OrderBook b(OrderBookConfig{.instrument = kInst, .depth = 8});
  Collect out;
  const BookDelta d =
      delta(Side::kBuy, 100, 1, 5, 5, BookDelta::kSnapshot | BookDelta::kEndOfUpdate);
  a.apply(d, 0, 0, out);
  b.apply(d, 0, 0, out);
  EXPECT_EQ(a.state_hash(), b.state_hash());
  b.apply(delta(Side::kBuy, 100, 2, 6, 6, BookDelta::kEndOfUpdate), 0, 0, out);
  EXPECT_NE(a.state_hash(), b.state_hash());
}

// The captured NKNUSDT stream against its captured REST snapshot: the book syncs (the first
// update after lastUpdateId=499869752 is U=499869753) and stays gap-free and uncrossed.
TEST(OrderBookCapture, shouldSyncBinanceCaptureWithoutGapsOrCrossing) {
  BE_REQUIRE_CAPTURES(dir);
  SymbolTable symbols{UnknownSymbolPolicy::kReject};
  const InstrumentId nkn = symbols.add("NKNUSDT");
  BinanceParser ws(kVenue, symbols);
  BinanceParser rest(kVenue, symbols, kRestLimits);
  OrderBook book(OrderBookConfig{.instrument = nkn, .venue = kVenue, .depth = 1000});
  std::vector<Event> ws_events, snapshot_events, gaps;
  TextCaptureReader stream, snapshots;
  std::string error;
  ASSERT_TRUE(stream.open(dir + "/BINANCE.ws.1.0", error)) << error;
  ASSERT_TRUE(snapshots.open(dir + "/BINANCE.http.0.0", error)) << error;
  CaptureRecord rec;
  while (snapshots.next(rec)) {
    if (rec.url.find("symbol=NKNUSDT") == std::string_view::npos) continue;
    ASSERT_TRUE(rest.parse_depth_snapshot(rec.payload, "NKNUSDT", rec.receive_time,
                                          [&](const Event& e) { snapshot_events.push_back(e); })
                    .ok());
    break;
  }
  ASSERT_FALSE(snapshot_events.empty());
  auto sink = [&](const Event& e) { gaps.push_back(e); };
  for (const Event& e : snapshot_events)
    book.apply(e, sink);
  std::size_t updates = 0;
  while (stream.next(rec)) {
    if (rec.kind != CaptureLineKind::kMessage) continue;
    if (rec.payload.find("nknusdt@depth") == std::string_view::npos) continue;
    ws_events.clear();
    ASSERT_TRUE(ws.parse(rec.payload, rec.receive_time, [&](const Event& e) {
                    ws_events.push_back(e);
                  }).ok());
    for (const Event& e : ws_events)
      book.apply(e, sink);
    ++updates;
    if (book.live()) {
      ASSERT_LT(book.best_bid()->price, book.best_ask()->price);
    }
  }
  EXPECT_GT(updates, 10u);
  EXPECT_TRUE(book.live());
  EXPECT_TRUE(gaps.empty());
  EXPECT_EQ(book.stats()["dropped_stale"], 1u);  // U=499869750 u=499869752 precedes the snapshot
  EXPECT_EQ(book.stats()["gaps"], 0u);
}

}  // namespace
}  // namespace be::feed
