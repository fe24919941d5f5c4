// engine/latency_histogram.hpp: the percentiles the read model, the API and `run`'s status line
// show, and the exact Prometheus buckets /metrics exports.
#include "engine/latency_histogram.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>

namespace be::engine {
namespace {

// The status line once printed `fold p99 65535 ns`: the upper bound of the power-of-two
// bucket 32768..65535, whatever the true p99 in it. Now the figure is the true one, at most
// 1/32 above it.
TEST(LatencyHistogram, shouldReportAPercentileWithinOneThirtySecondOfTheTrueValue) {
  auto h = std::make_unique<LatencyHistogram>();
  for (int i = 0; i < 1000; ++i)
    h->record(40'000 + i);  // true p99: 40,989 ns; p50: 40,499 ns
  EXPECT_NE(h->quantile(0.99), 65'535u);
  EXPECT_GE(h->quantile(0.99), 40'989u);
  EXPECT_LE(h->quantile(0.99), 40'989u + 40'989u / 32);
  EXPECT_GE(h->quantile(0.50), 40'499u);
  EXPECT_LE(h->quantile(0.50), 40'499u + 40'499u / 32);
  EXPECT_EQ(h->quantile(1.0), 40'999u);  // capped at the exact maximum
  EXPECT_EQ(h->max(), 40'999u);
  EXPECT_EQ(h->count(), 1000u);
  EXPECT_EQ(h->sum(), 1000u * 40'000u + 999u * 1000u / 2);
}

TEST(LatencyHistogram, shouldPlaceEveryValueInABucketAtMostOneThirtySecondWide) {
  for (std::uint64_t v = 0; v <= LatencyHistogram::kMaxValue; v = v < 200 ? v + 1 : v + v / 7) {
    const std::size_t index = LatencyHistogram::index_of(v);
    ASSERT_LT(index, LatencyHistogram::kBucketCount) << v;
    const std::uint64_t high = LatencyHistogram::highest_equivalent(index);
    EXPECT_GE(high, v);
    EXPECT_LE(high - v, v / 32) << v;
    EXPECT_EQ(LatencyHistogram::index_of(high), index) << v;  // the bound is in the bucket
  }
  EXPECT_EQ(LatencyHistogram::index_of(LatencyHistogram::kMaxValue),
            LatencyHistogram::kBucketCount - 1);
}

// Prometheus' `le` is inclusive: a latency equal to a bound is counted under it, one
// nanosecond more under the next bound.
TEST(LatencyHistogram, shouldCountExactlyAtThePrometheusBounds) {
  auto h = std::make_unique<LatencyHistogram>();
  for (std::uint64_t bound : kLatencyBoundsNs) {
    h->record(static_cast<std::int64_t>(bound));
    h->record(static_cast<std::int64_t>(bound + 1));
  }
  h->record(-5);  // a clock step: counted as 0, under the first bound
  const auto cumulative = h->cumulative_counts();
  for (std::size_t i = 0; i < kLatencyBoundsNs.size(); ++i)
    EXPECT_EQ(cumulative[i], 2 * i + 2) << "le " << kLatencyBoundsNs[i];  // +1: the zero
  EXPECT_EQ(h->count(), 2 * kLatencyBoundsNs.size() + 1);  // the last bound + 1 is only in +Inf
  for (std::uint64_t v : {0ull, 99ull, 100ull, 101ull, 5'000ull, 5'001ull, 70'000'000'000ull}) {
    std::size_t below = 0;
    for (std::uint64_t bound : kLatencyBoundsNs)
      below += bound < v ? 1 : 0;
    EXPECT_EQ(LatencyHistogram::bound_index(v), below) << v;
  }
}

TEST(LatencyHistogram, shouldKeepTheMaximumAndSumOfValuesBeyondItsRange) {
  auto h = std::make_unique<LatencyHistogram>();
  EXPECT_EQ(h->quantile(0.99), 0u);           // empty
  const std::int64_t huge = 100'000'000'000;  // 100 s, beyond kMaxValue (69 s)
  h->record(huge);
  h->record(1'000);
  EXPECT_EQ(h->max(), static_cast<std::uint64_t>(huge));
  EXPECT_EQ(h->quantile(1.0), static_cast<std::uint64_t>(huge));
  EXPECT_EQ(h->sum(), static_cast<std::uint64_t>(huge) + 1'000);
  EXPECT_EQ(h->cumulative_counts().back(), 1u);  // only the 1 us one is <= 10 s
}

}  // namespace
}  // namespace be::engine
