// Zero allocation after warm-up: every parser, on real capture frames, and the order book.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "feed/binance.hpp"
#include "feed/capture.hpp"
#include "feed/coinbase.hpp"
#include "feed/kraken.hpp"
#include "feed/order_book.hpp"
#include "tests/feed/capture_files.hpp"
#include "tests/support/alloc_counter.hpp"

namespace be::feed {
namespace {

struct CountingSink {
  std::uint64_t events = 0;
  std::int64_t checksum = 0;
  void operator()(const Event& e) {
    ++events;
    checksum += e.header.event_time;
  }
};

// Loads every message line of a capture (allocates: done before the measured section).
std::vector<CaptureRecord> load(TextCaptureReader& reader, const std::string& path) {
  std::string error;
  EXPECT_TRUE(reader.open(path, error)) << error;
  std::vector<CaptureRecord> records;
  CaptureRecord r;
  while (reader.next(r)) {
    if (r.kind == CaptureLineKind::kMessage) records.push_back(r);
  }
  return records;
}

template <class Parser>
void expect_no_allocation(Parser& parser, const std::vector<CaptureRecord>& records) {
  CountingSink sink;
  for (const auto& r : records)
    (void)parser.parse(r.payload, r.receive_time, sink);  // warm-up
  const std::uint64_t before = be::test::allocation_count();
  for (int pass = 0; pass < 3; ++pass) {
    for (const auto& r : records)
      (void)parser.parse(r.payload, r.receive_time, sink);
  }
  const std::uint64_t after = be::test::allocation_count();
  EXPECT_EQ(after - before, 0u) << "allocations while parsing " << records.size() << " frames";
  EXPECT_GT(sink.events, 0u);
  EXPECT_EQ(parser.stats().rejected(), 0u);
}

TEST(FeedAllocation, shouldNotAllocateWhileParsingCapturesAfterWarmUp) {
  if (!be::test::allocation_counting_available())
    GTEST_SKIP() << "allocation counting is off (sanitizer build)";
  BE_REQUIRE_CAPTURES(dir);
  // kAutoIntern: warm-up interns each symbol once; after that lookups never allocate.
  SymbolTable binance_symbols{UnknownSymbolPolicy::kAutoIntern};
  SymbolTable coinbase_symbols{UnknownSymbolPolicy::kAutoIntern};
  SymbolTable kraken_symbols{UnknownSymbolPolicy::kAutoIntern};
  BinanceParser binance(VenueId{1}, binance_symbols);
  CoinbaseParser coinbase(VenueId{3}, coinbase_symbols);
  KrakenParser kraken(VenueId{4}, kraken_symbols);
  TextCaptureReader r1, r2, r3, r4;
  const auto b = load(r1, dir + "/BINANCE.ws.1.0");
  const auto c = load(r2, dir + "/COINBASE.ws.28.0");
  const auto k = load(r3, dir + "/KRAKEN.ws.50.0");
  const auto k2 = load(r4, dir + "/KRAKEN.ws.49.0");
  expect_no_allocation(binance, b);
  expect_no_allocation(coinbase, c);
  expect_no_allocation(kraken, k);
  expect_no_allocation(kraken, k2);
}

TEST(FeedAllocation, shouldNotAllocateWhileApplyingBookDeltas) {
  if (!be::test::allocation_counting_available())
    GTEST_SKIP() << "allocation counting is off (sanitizer build)";
  OrderBook book(OrderBookConfig{.instrument = InstrumentId{0}, .depth = 64});
  CountingSink sink;
  BookDelta d;
  d.instrument = InstrumentId{0};
  d.flags = BookDelta::kSnapshot | BookDelta::kEndOfUpdate;
  d.side = Side::kBuy;
  d.price = 100;
  d.quantity = 1;
  book.apply(d, 0, 0, sink);
  const std::uint64_t before = be::test::allocation_count();
  for (std::uint64_t id = 1; id <= 10000; ++id) {
    d.flags = BookDelta::kEndOfUpdate;
    d.first_update_id = d.last_update_id = id;
    d.side = id % 2 ? Side::kBuy : Side::kSell;
    d.price = static_cast<std::int64_t>(id % 2 ? 100 - id % 97 : 200 + id % 89);
    d.quantity = static_cast<std::int64_t>(id % 5);
    book.apply(d, 0, 0, sink);
  }
  EXPECT_EQ(be::test::allocation_count() - before, 0u);
  EXPECT_TRUE(book.live());
}

}  // namespace
}  // namespace be::feed
