// OrderManager's derived indexes for the read model (not fold state): each bot's orders as a
// list through the table, the per-bot view versions and the instrument a bot is valued at.
// They must agree with the table through opens, evictions and restores.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "oms/order_manager.hpp"
#include "tests/oms/oms_fixture.hpp"

namespace be::oms {
namespace {

constexpr AccountId kAccount{0};

class OrderManagerViews : public ::testing::Test {
 protected:
  // 3 bots, 2 instruments, 8 order slots: the ninth order evicts the oldest terminal one.
  OrderManagerViews() : om(OmsCapacity{3, 2, 2, 1, 8}) {
    EXPECT_TRUE(om.define_instrument(test::instrument(0), test::kBase, test::kQuote));
    EXPECT_TRUE(om.define_instrument(test::instrument(1), test::kBase, test::kQuote));
    for (std::uint32_t b = 0; b < 3; ++b)
      EXPECT_TRUE(om.assign_bot(BotId{b}, kAccount));
    EXPECT_TRUE(om.apply(BalanceUpdate{kAccount, test::kQuote, 0, 1'000'000'000'00, 0}));
    EXPECT_TRUE(om.apply(BalanceUpdate{kAccount, test::kBase, 0, 1'000'000, 0}));
  }

  bool open(std::uint32_t bot, SequenceNumber seq, std::uint32_t instrument = 0) {
    const OrderIntent intent{.bot = BotId{bot},
                             .instrument = InstrumentId{instrument},
                             .side = Side::kBuy,
                             .type = OrderType::kLimit,
                             .price = 100,
                             .cause = seq};
    return om.open_order(intent, 10, 0).has_value();
  }
  void cancel(std::uint32_t bot, SequenceNumber seq) {
    OrderUpdate u{.bot = BotId{bot},
                  .event = static_cast<std::uint8_t>(OrderEvent::kCanceled),
                  .instrument = InstrumentId{0},
                  .account = kAccount,
                  .client_sequence = seq};
    om.apply(u, 1);
  }
  // The bot's orders through its list, and through a walk of the whole table.
  std::vector<SequenceNumber> listed(std::uint32_t bot) const {
    std::vector<SequenceNumber> out;
    om.for_each_order(BotId{bot}, [&](const ManagedOrder& m) {
      EXPECT_EQ(index_of(m.order.client_id.bot), bot);
      out.push_back(m.order.client_id.sequence);
    });
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<SequenceNumber> walked(std::uint32_t bot) const {
    std::vector<SequenceNumber> out;
    om.for_each_order([&](const ManagedOrder& m) {
      if (index_of(m.order.client_id.bot) == bot) out.push_back(m.order.client_id.sequence);
    });
    std::sort(out.begin(), out.end());
    return out;
  }
  void expect_lists_match_the_table() const {
    for (std::uint32_t b = 0; b < 3; ++b)
      EXPECT_EQ(listed(b), walked(b)) << "bot " << b;
  }
  std::uint32_t version(std::uint32_t bot) const { return om.view_versions()[bot]; }

  OrderManager om;
};

TEST_F(OrderManagerViews, EachBotsListHoldsExactlyItsOrdersThroughEvictionsAndARestore) {
  SequenceNumber seq = 1;
  for (int round = 0; round < 12; ++round) {
    const std::uint32_t bot = static_cast<std::uint32_t>(round % 3);
    ASSERT_TRUE(open(bot, seq));
    cancel(bot, seq);  // terminal: evicted when the table needs its slot
    ++seq;
    expect_lists_match_the_table();
  }
  ASSERT_EQ(walked(0).size() + walked(1).size() + walked(2).size(), 8u) << "no eviction ran";
  ASSERT_TRUE(open(1, seq++));  // a live one among the remembered
  expect_lists_match_the_table();

  OrderManager restored(OmsCapacity{3, 2, 2, 1, 8});
  ASSERT_TRUE(restored.restore(om.snapshot()));
  for (std::uint32_t b = 0; b < 3; ++b) {
    std::vector<SequenceNumber> out;
    restored.for_each_order(
        BotId{b}, [&](const ManagedOrder& m) { out.push_back(m.order.client_id.sequence); });
    std::sort(out.begin(), out.end());
    EXPECT_EQ(out, walked(b)) << "bot " << b;
  }
}

TEST_F(OrderManagerViews, AVersionMovesForTheBotAnOrderChangesAndForTheOneAnEvictionRobs) {
  const std::uint32_t v0 = version(0), v1 = version(1), v2 = version(2);
  ASSERT_TRUE(open(0, 1));
  EXPECT_GT(version(0), v0);
  EXPECT_EQ(version(1), v1);
  const std::uint32_t after_open = version(0);
  cancel(0, 1);
  EXPECT_GT(version(0), after_open);
  EXPECT_EQ(version(2), v2);

  // Fill the table with bot 1's orders (the first terminal, so evictable), then one of bot
  // 2's: it evicts bot 0's order, the oldest terminal, and bot 0's view loses it.
  for (SequenceNumber s = 1; s <= 7; ++s) {
    ASSERT_TRUE(open(1, s));
    cancel(1, s);
  }
  const std::uint32_t before_eviction = version(0);
  ASSERT_TRUE(open(2, 1));
  EXPECT_TRUE(listed(0).empty());
  EXPECT_GT(version(0), before_eviction) << "bot 0 lost an order its view shows";

  // A restore moves every bot's version forward, never back.
  const std::uint32_t before_restore[3] = {version(0), version(1), version(2)};
  ASSERT_TRUE(om.restore(om.snapshot()));
  for (std::uint32_t b = 0; b < 3; ++b)
    EXPECT_GT(version(b), before_restore[b]) << "bot " << b;
}

TEST_F(OrderManagerViews, ABotIsValuedAtItsOneInstrumentOrAtAnyOnceItTradesTwo) {
  EXPECT_EQ(om.priced_instrument(BotId{0}), kNoInstrument);
  ASSERT_TRUE(open(0, 1, 1));
  EXPECT_EQ(om.priced_instrument(BotId{0}), InstrumentId{1});
  ASSERT_TRUE(open(0, 2, 1));
  EXPECT_EQ(om.priced_instrument(BotId{0}), InstrumentId{1});
  ASSERT_TRUE(open(0, 3, 0));
  EXPECT_EQ(om.priced_instrument(BotId{0}), OrderManager::kAllInstruments);
  ASSERT_TRUE(open(1, 1, 0));
  EXPECT_EQ(om.priced_instrument(BotId{1}), InstrumentId{0});

  OrderManager restored(OmsCapacity{3, 2, 2, 1, 8});
  ASSERT_TRUE(restored.restore(om.snapshot()));
  EXPECT_EQ(restored.priced_instrument(BotId{0}), OrderManager::kAllInstruments);
  EXPECT_EQ(restored.priced_instrument(BotId{1}), InstrumentId{0});
  EXPECT_EQ(restored.priced_instrument(BotId{2}), kNoInstrument);
}

}  // namespace
}  // namespace be::oms
