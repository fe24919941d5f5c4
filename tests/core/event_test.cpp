#include "core/event.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <type_traits>

#include "core/intern_table.hpp"

namespace be {
namespace {

// The record layout is on-disk format: these pin it.
static_assert(sizeof(Event) == 128 && alignof(Event) == 64);
static_assert(std::is_trivially_copyable_v<Event>);
static_assert(offsetof(Event, payload) == 32);
static_assert(sizeof(Trade) == 32);
static_assert(sizeof(BookDelta) == 40);
static_assert(static_cast<int>(EventType::kTrade) == 16, "type codes are stable");

TEST(Event, shouldCarryPayloadAndHeaderThroughACopy) {
  Trade t;
  t.instrument = InstrumentId{7};
  t.aggressor = Side::kSell;
  t.price = 5161338000000;
  t.quantity = 100000;
  t.trade_id = 12345;
  const Event e = Event::make(t, /*event_time=*/1'000, /*receive_time=*/2'000, /*source=*/3);
  Event copy;
  std::memcpy(&copy, &e, sizeof(Event));
  ASSERT_TRUE(copy.is<Trade>());
  EXPECT_FALSE(copy.is<Quote>());
  EXPECT_EQ(copy.header.version, Trade::kVersion);
  EXPECT_EQ(copy.header.event_time, 1'000);
  EXPECT_EQ(copy.header.receive_time, 2'000);
  EXPECT_EQ(copy.header.source, 3);
  const Trade back = copy.as<Trade>();
  EXPECT_EQ(back.instrument, InstrumentId{7});
  EXPECT_EQ(back.aggressor, Side::kSell);
  EXPECT_EQ(back.price, 5161338000000);
  EXPECT_EQ(back.trade_id, 12345u);
  EXPECT_FALSE(copy.derived());
}

TEST(Event, shouldNameEveryTypeCode) {
  for (EventType t : {EventType::kInstrumentDefined, EventType::kTrade, EventType::kQuote,
                      EventType::kBar, EventType::kBookDelta, EventType::kConnectivity,
                      EventType::kTimer, EventType::kOperatorCommand, EventType::kBlob}) {
    EXPECT_NE(to_string(t), "unknown") << static_cast<int>(t);
  }
  EXPECT_EQ(to_string(static_cast<EventType>(999)), "unknown");
}

TEST(InternTable, shouldAssignDenseIdsInOrderAndFindWithoutInterning) {
  InternTable<InstrumentId> table;
  EXPECT_FALSE(table.find("BTCUSDT").has_value());
  const InstrumentId btc = table.intern("BTCUSDT");
  const InstrumentId eth = table.intern("ETHUSDT");
  EXPECT_EQ(index_of(btc), 0u);
  EXPECT_EQ(index_of(eth), 1u);
  EXPECT_EQ(table.intern("BTCUSDT"), btc);
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(table.name(eth), "ETHUSDT");
  EXPECT_EQ(table.find("ETHUSDT"), eth);
}

TEST(InstrumentDefined, shouldExposeSymbolWithoutPadding) {
  InstrumentDefined d;
  std::memcpy(d.symbol.data(), "BTCUSDT", 7);
  EXPECT_EQ(d.symbol_view(), "BTCUSDT");
}

}  // namespace
}  // namespace be
