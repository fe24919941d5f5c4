#include "bench/harness/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace be::bench {

Histogram::Histogram() : counts_(kBucketCount, 0) {}

std::size_t Histogram::index_of(std::uint64_t v) noexcept {
  if (v > kMaxValue) v = kMaxValue;
  if (v < 2 * kSubBuckets) return static_cast<std::size_t>(v);
  const int e = 63 - std::countl_zero(v);  // >= kSubBucketBits + 1
  const int shift = e - kSubBucketBits;
  return static_cast<std::size_t>(shift) * kSubBuckets + static_cast<std::size_t>(v >> shift);
}

std::uint64_t Histogram::lowest_equivalent(std::size_t index) noexcept {
  if (index < 2 * kSubBuckets) return index;
  const std::size_t shift = index / kSubBuckets - 1;
  const std::uint64_t sub = index - shift * kSubBuckets;  // in [kSubBuckets, 2*kSubBuckets)
  return sub << shift;
}

std::uint64_t Histogram::highest_equivalent(std::size_t index) noexcept {
  if (index < 2 * kSubBuckets) return index;
  const std::size_t shift = index / kSubBuckets - 1;
  return lowest_equivalent(index) + ((1ull << shift) - 1);
}

void Histogram::record_n(std::int64_t value, std::uint64_t n) noexcept {
  if (n == 0) return;
  std::uint64_t v = 0;
  if (value < 0) {
    negative_ += n;
  } else {
    v = static_cast<std::uint64_t>(value);
    if (v > kMaxValue) {
      saturated_ += n;
      v = kMaxValue;
    }
  }
  counts_[index_of(v)] += n;
  total_ += n;
  sum_ += static_cast<long double>(v) * static_cast<long double>(n);
  min_ = std::min(min_, v);
  max_ = std::max(max_, v);
}

void Histogram::merge(const Histogram& other) noexcept {
  for (std::size_t i = 0; i < kBucketCount; ++i)
    counts_[i] += other.counts_[i];
  total_ += other.total_;
  saturated_ += other.saturated_;
  negative_ += other.negative_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void Histogram::reset() noexcept {
  std::fill(counts_.begin(), counts_.end(), 0);
  total_ = saturated_ = negative_ = max_ = 0;
  min_ = ~0ull;
  sum_ = 0;
}

double Histogram::mean() const noexcept {
  return total_ ? static_cast<double>(sum_ / static_cast<long double>(total_)) : 0.0;
}

std::uint64_t Histogram::percentile(double p) const noexcept {
  if (total_ == 0) return 0;
  if (p >= 100.0) return max_;
  if (p < 0) p = 0;
  // ceil(p/100 * n) with at least rank 1; computed in long double so p99.99 of 10^9 samples
  // does not lose the last rank to rounding.
  const long double exact = static_cast<long double>(p) / 100.0L * static_cast<long double>(total_);
  std::uint64_t rank = static_cast<std::uint64_t>(std::ceil(exact - 1e-9L));
  rank = std::clamp<std::uint64_t>(rank, 1, total_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(highest_equivalent(i), max_);
  }
  return max_;
}

}  // namespace be::bench
