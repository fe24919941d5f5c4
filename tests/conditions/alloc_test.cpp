// After subscriptions are set up, the bar path (and state_hash) never touches the heap.
#include <gtest/gtest.h>

#include "strategies/conditions/engine.hpp"
#include "tests/conditions/test_util.hpp"
#include "tests/support/alloc_counter.hpp"

namespace be::cond::test {
namespace {

TEST(ConditionAllocation, shouldNotAllocateOnTheBarPathAfterSubscriptions) {
  if (!be::test::allocation_counting_available()) {
    GTEST_SKIP() << "allocation counting is off under sanitizers";
  }
  ConditionEngine e;
  const char* const specs[] = {"rsi:14", "ema:9", "macd", "bbands:20", "stoch", "atr:14", "vwap:0"};
  std::uint32_t bot = 0;
  for (std::uint32_t instr = 0; instr < 4; ++instr) {
    for (const char* spec : specs) {
      for (Op op : {Op::kAbove, Op::kCrossesAbove, Op::kCrossesBelow}) {
        for (int copies = 0; copies < 3; ++copies) {
          ASSERT_TRUE(e.subscribe(BotId{bot++}, indicator_vs(instr, 60, spec, op, close_price())));
        }
        ASSERT_TRUE(e.subscribe(BotId{bot++},
                                indicator_vs(instr, 60, spec, op, *indicator_operand("ema:21"))));
      }
    }
  }
  RecordingSink sink(1 << 20);
  std::vector<Bar> bars;
  double px = 100;
  for (int i = 0; i < 3000; ++i) {
    px += ((i * 7919) % 13) - 6.0;
    if (px < 10) px = 10;
    for (std::uint32_t instr = 0; instr < 4; ++instr)
      bars.push_back(make_bar(instr, 60, i * kMinute, px + instr));
  }
  const auto before = be::test::allocation_count();
  for (const Bar& bar : bars)
    e.on_bar(bar, kScale, kScale, sink);
  const auto hash = e.state_hash();
  const auto after = be::test::allocation_count();
  EXPECT_EQ(after - before, 0u) << "allocations during " << bars.size() << " bars";
  EXPECT_GT(sink.triggers.size(), 1000u);
  EXPECT_NE(hash, 0u);
}

}  // namespace
}  // namespace be::cond::test
