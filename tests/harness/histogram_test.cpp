#include "bench/harness/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "tests/support/alloc_counter.hpp"

namespace be::bench {
namespace {

// Log-uniform values between 100 ns and 10 ms: latency-like, spanning many buckets widths.
std::vector<std::uint64_t> seeded_latencies(std::uint64_t seed, std::size_t n) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint64_t> v(n);
  for (auto& x : v) {
    const double u = static_cast<double>(rng() >> 11) / static_cast<double>(1ull << 53);
    x = static_cast<std::uint64_t>(std::pow(10.0, 2.0 + 5.0 * u));
  }
  return v;
}

std::uint64_t exact_percentile(const std::vector<std::uint64_t>& sorted, double p) {
  if (p >= 100) return sorted.back();
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

TEST(Histogram, shouldMatchExactSortedPercentilesWithinBucketPrecision) {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    auto values = seeded_latencies(seed, 200'000);
    Histogram h;
    for (auto v : values)
      h.record(static_cast<std::int64_t>(v));
    std::sort(values.begin(), values.end());
    for (double p : {0.0, 1.0, 25.0, 50.0, 90.0, 99.0, 99.9, 99.99, 99.999, 100.0}) {
      const std::uint64_t exact = exact_percentile(values, p);
      const std::uint64_t got = h.percentile(p);
      // The report is the bucket's highest equivalent value: never below the exact sample,
      // above it by at most one bucket width (1/1024 of the value).
      EXPECT_GE(got, exact) << "p" << p << " seed " << seed;
      EXPECT_LE(static_cast<double>(got), static_cast<double>(exact) * (1.0 + 1.0 / 1024) + 1)
          << "p" << p << " seed " << seed;
    }
    EXPECT_EQ(h.min(), values.front());
    EXPECT_EQ(h.max(), values.back());
    EXPECT_EQ(h.count(), values.size());
  }
}

TEST(Histogram, shouldKeepValuesBelow2048NanosecondsExact) {
  Histogram h;
  for (std::int64_t v = 0; v < 2048; ++v)
    h.record(v);
  for (std::int64_t v = 1; v <= 2048; ++v) {
    EXPECT_EQ(h.percentile(100.0 * static_cast<double>(v) / 2048.0),
              static_cast<std::uint64_t>(v - 1));
  }
}

TEST(Histogram, shouldTileTheValueRangeWithoutGapsOrOverlaps) {
  EXPECT_EQ(Histogram::lowest_equivalent(0), 0u);
  for (std::size_t i = 0; i + 1 < Histogram::kBucketCount; ++i) {
    ASSERT_EQ(Histogram::highest_equivalent(i) + 1, Histogram::lowest_equivalent(i + 1)) << i;
    ASSERT_EQ(Histogram::index_of(Histogram::lowest_equivalent(i)), i);
    ASSERT_EQ(Histogram::index_of(Histogram::highest_equivalent(i)), i);
  }
  EXPECT_EQ(Histogram::highest_equivalent(Histogram::kBucketCount - 1), Histogram::kMaxValue);
  // Relative width never exceeds 1/1024: three significant digits everywhere.
  for (std::size_t i = 2048; i < Histogram::kBucketCount; i += 97) {
    const double lo = static_cast<double>(Histogram::lowest_equivalent(i));
    const double width = static_cast<double>(Histogram::highest_equivalent(i)) - lo + 1;
    ASSERT_LE(width / lo, 1.0 / 1024 + 1e-12) << i;
  }
}

TEST(Histogram, shouldCoverOneHourAndCountWhatItClamps) {
  Histogram h;
  const std::int64_t hour = 3'600'000'000'000;
  h.record(hour);
  EXPECT_EQ(h.saturated(), 0u);
  EXPECT_LE(std::abs(static_cast<double>(h.percentile(50)) - static_cast<double>(hour)),
            static_cast<double>(hour) / 1024);
  h.record(std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(h.saturated(), 1u);
  EXPECT_EQ(h.max(), Histogram::kMaxValue);
}

TEST(Histogram, shouldCountNegativeValuesAsZero) {
  Histogram h;
  h.record(-5);
  EXPECT_EQ(h.negative(), 1u);
  EXPECT_EQ(h.count(), 1u);
  EXPECT_EQ(h.max(), 0u);
}

TEST(Histogram, shouldMergeToTheSameResultAsRecordingEverythingInOne) {
  const auto a = seeded_latencies(7, 50'000);
  const auto b = seeded_latencies(8, 30'000);
  Histogram ha, hb, all;
  for (auto v : a)
    ha.record(static_cast<std::int64_t>(v)), all.record(static_cast<std::int64_t>(v));
  for (auto v : b)
    hb.record(static_cast<std::int64_t>(v)), all.record(static_cast<std::int64_t>(v));
  ha.merge(hb);
  EXPECT_EQ(ha.count(), all.count());
  EXPECT_EQ(ha.min(), all.min());
  EXPECT_EQ(ha.max(), all.max());
  EXPECT_DOUBLE_EQ(ha.mean(), all.mean());
  EXPECT_TRUE(std::equal(ha.counts().begin(), ha.counts().end(), all.counts().begin()));
  for (double p : kReportPercentiles)
    EXPECT_EQ(ha.percentile(p), all.percentile(p));
}

TEST(Histogram, shouldReportZeroWhenEmpty) {
  Histogram h;
  EXPECT_EQ(h.percentile(99), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
}

TEST(Histogram, shouldNotAllocateWhenRecording) {
  if (!test::allocation_counting_available())
    GTEST_SKIP() << "allocation counting is off (sanitizer build)";
  Histogram h;
  const auto values = seeded_latencies(9, 10'000);
  const std::uint64_t before = test::allocation_count();
  for (auto v : values)
    h.record(static_cast<std::int64_t>(v));
  h.record_n(123, 5);
  h.record(std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(test::allocation_count(), before);
  EXPECT_EQ(h.count(), values.size() + 6);
}

}  // namespace
}  // namespace be::bench
