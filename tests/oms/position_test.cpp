#include "core/position.hpp"

#include <gtest/gtest.h>

#include <random>

namespace be::oms {
namespace {

// Scales as Binance BTCUSDT: prices and quantities with 8 decimals.
constexpr std::int64_t kUnit = 100'000'000;

TEST(Position, shouldAverageEntriesAndRealizeOnReduce) {
  Position p(8);
  p.apply_fill(Side::kBuy, 100 * kUnit, 1 * kUnit, 0);
  p.apply_fill(Side::kBuy, 110 * kUnit, 1 * kUnit, 0);
  EXPECT_EQ(p.quantity(), 2 * kUnit);
  EXPECT_EQ(p.average_entry_price(), 105 * kUnit);
  p.apply_fill(Side::kSell, 120 * kUnit, kUnit / 2, 0);  // sell 0.5 at 120: +7.5
  EXPECT_EQ(p.realized_pnl(), 750'000'000);
  EXPECT_EQ(p.average_entry_price(), 105 * kUnit) << "reducing keeps the average";
  EXPECT_EQ(p.unrealized_pnl(100 * kUnit), -750'000'000);  // 1.5 x (100 - 105)
}

TEST(Position, shouldFlipThroughFlatAndOpenTheRemainderAtTheFillPrice) {
  Position p(8);
  p.apply_fill(Side::kBuy, 100 * kUnit, 1 * kUnit, 0);
  p.apply_fill(Side::kSell, 90 * kUnit, 3 * kUnit, 0);  // close 1 at -10, open short 2 at 90
  EXPECT_EQ(p.realized_pnl(), -10 * kUnit);
  EXPECT_EQ(p.quantity(), -2 * kUnit);
  EXPECT_EQ(p.average_entry_price(), 90 * kUnit);
  EXPECT_EQ(p.unrealized_pnl(80 * kUnit), 20 * kUnit) << "a short gains when the price falls";
  p.apply_fill(Side::kBuy, 85 * kUnit, 2 * kUnit, 0);
  EXPECT_TRUE(p.flat());
  EXPECT_EQ(p.realized_pnl(), 0);  // -10 + 2 x 5
  EXPECT_EQ(p.cost_basis_exact(), 0);
}

TEST(Position, shouldKeepFeesApartFromPnl) {
  Position p(8);
  p.apply_fill(Side::kBuy, 100 * kUnit, kUnit, 10'000'000);  // 0.1 fee
  p.apply_fill(Side::kSell, 101 * kUnit, kUnit, 10'100'000);
  EXPECT_EQ(p.realized_pnl(), kUnit);
  EXPECT_EQ(p.fees(), 20'100'000);
}

TEST(Position, shouldRoundReadoutsHalfAwayFromZero) {
  Position p(8);
  // 3 units bought for a total of 100 (1e-8 price units): average 33.33.. rounds to 33.
  p.apply_fill(Side::kBuy, 33, 1, 0);
  p.apply_fill(Side::kBuy, 33, 1, 0);
  p.apply_fill(Side::kBuy, 34, 1, 0);
  EXPECT_EQ(p.average_entry_price(), 33);
  EXPECT_EQ(divide_rounded(5, 2), 3);
  EXPECT_EQ(divide_rounded(-5, 2), -3);
  EXPECT_EQ(divide_rounded(4, 3), 1);
  EXPECT_EQ(divide_rounded(-4, 3), -1);
}

// divide_rounded takes a 64-bit path when both figures fit: it must round exactly as the
// 128-bit division does, at and around the boundaries (INT64_MAX, exact halves, negatives).
TEST(Position, shouldRoundThe64BitPathExactlyAsThe128BitOne) {
  const auto wide_reference = [](Wide n, Wide d) {
    const Wide q = n / d;
    const Wide r = n % d;
    const Wide twice = (r < 0 ? -r : r) * 2;
    if (twice >= d) return n < 0 ? q - 1 : q + 1;
    return q;
  };
  constexpr Wide kMax = static_cast<Wide>(INT64_MAX);
  const Wide numerators[] = {0,        1,        -1,        kMax,      -kMax,
                             kMax - 1, kMax + 1, -kMax - 1, -kMax - 2, kMax * 3,
                             5,        -5,       7,         -7,        1'000'000'000'000'000'005};
  const Wide divisors[] = {
      1,    2,        3,        10,           100'000'000, 1'000'000'000'000'000'000,
      kMax, kMax - 1, kMax / 2, kMax / 2 + 1, kMax + 1};
  for (const Wide n : numerators)
    for (const Wide d : divisors)
      EXPECT_TRUE(divide_rounded(n, d) == wide_reference(n, d))
          << static_cast<long double>(n) << " / " << static_cast<long double>(d);
  std::mt19937_64 rng(20261207);
  for (int i = 0; i < 200'000; ++i) {
    const Wide n = static_cast<Wide>(static_cast<std::int64_t>(rng())) >> (rng() % 64);
    const Wide d = static_cast<Wide>(rng() >> (1 + rng() % 63)) + 1;
    ASSERT_TRUE(divide_rounded(n, d) == wide_reference(n, d));
    // Exact halves: n = d * k + d / 2 for even d.
    const Wide even = (d & ~Wide{1}) + 2;
    const Wide half = even * static_cast<Wide>(static_cast<std::int32_t>(rng())) + even / 2;
    ASSERT_TRUE(divide_rounded(half, even) == wide_reference(half, even));
    ASSERT_TRUE(divide_rounded(-half, even) == wide_reference(-half, even));
  }
}

// The balance invariant over a long seeded session of random fills, both directions, flips
// and odd quantities: cash paid out == realized - cost basis, exactly, after every fill.
TEST(Position, shouldBalanceToTheUnitAfterEveryFillOfALongSession) {
  std::mt19937_64 rng(424242);
  Position p(8);
  Wide cash = 0;  // scale p+q
  std::int64_t price = 50'000 * kUnit;
  for (int i = 0; i < 200'000; ++i) {
    price += static_cast<std::int64_t>(rng() % 2'000'001) - 1'000'000;
    const auto quantity = static_cast<std::int64_t>(1 + rng() % (3 * kUnit));
    const Side side = (rng() & 1) ? Side::kBuy : Side::kSell;
    p.apply_fill(side, price, quantity, 0);
    cash += static_cast<Wide>(price) * (side == Side::kBuy ? -quantity : quantity);
    ASSERT_TRUE(cash == p.realized_exact() - p.cost_basis_exact()) << "fill " << i;
    if (p.flat()) {
      ASSERT_TRUE(p.cost_basis_exact() == 0);
    }
  }
  // Closing everything at the last price turns all PnL into realized PnL.
  const std::int64_t before = p.realized_pnl() + p.unrealized_pnl(price);
  const std::int64_t open = p.quantity();
  if (open != 0)
    p.apply_fill(open > 0 ? Side::kSell : Side::kBuy, price, open > 0 ? open : -open, 0);
  EXPECT_TRUE(p.flat());
  EXPECT_NEAR(static_cast<double>(p.realized_pnl()), static_cast<double>(before), 1.0);
}

}  // namespace
}  // namespace be::oms
