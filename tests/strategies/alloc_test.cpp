// After construction, updating any indicator never touches the heap (docs/ARCHITECTURE.md §2).
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "strategies/indicators/indicator.hpp"
#include "tests/support/alloc_counter.hpp"

namespace {

TEST(IndicatorAllocation, shouldNotAllocateWhileUpdatingOrHashing) {
  if (!be::test::allocation_counting_available()) {
    GTEST_SKIP() << "allocation counting is off under sanitizers";
  }
  const char* const specs[] = {"sma:200",   "ema:50",       "rsi:14",   "macd:12:26:9",
                               "bbands:20", "atr:14",       "roc:10",   "mom:10",
                               "vsma:20",   "stoch:14:3:3", "vwap:390", "vwap:0"};
  std::vector<be::ta::AnyIndicator> indicators;
  indicators.reserve(std::size(specs));
  for (const char* s : specs)
    indicators.emplace_back(*be::ta::parse_indicator_spec(s));
  std::vector<be::Bar> bars(5000);
  std::mt19937_64 rng(5);
  std::int64_t close = 5'000'000'000'000;
  for (std::size_t i = 0; i < bars.size(); ++i) {
    close += static_cast<std::int64_t>(rng() % 2'000'000'001) - 1'000'000'000;
    bars[i].open = bars[i].close = close;
    bars[i].high = close + static_cast<std::int64_t>(rng() % 500'000'000);
    bars[i].low = close - static_cast<std::int64_t>(rng() % 500'000'000);
    bars[i].volume = static_cast<std::int64_t>(rng() % 10'000'000'000);
  }
  std::array<std::byte, 1 << 16> snapshot{};

  const auto before = be::test::allocation_count();
  double sink = 0;
  std::uint64_t hash = 0;
  for (const be::Bar& bar : bars) {
    for (auto& ind : indicators) {
      if (ind.update(bar, 8, 8)) sink += ind.output(0);
    }
  }
  for (const auto& ind : indicators) {
    hash ^= ind.state_hash();
    ASSERT_GT(ind.save(snapshot), 0u);
  }
  const auto after = be::test::allocation_count();
  EXPECT_EQ(after - before, 0u) << "allocations during " << bars.size() << " bars x "
                                << indicators.size() << " indicators";
  EXPECT_TRUE(std::isfinite(sink));
  EXPECT_NE(hash, 0u);
}

}  // namespace
