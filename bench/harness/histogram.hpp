// An HDR-style latency histogram: log-linear buckets, fixed memory, allocation-free record().
//
// Bucket layout (values are nanoseconds, clamped to [0, kMaxValue]):
//
//   value v < 2048            -> index v                  (exact: one bucket per nanosecond)
//   value v >= 2048, e=log2 v -> index (e-10)*1024 + (v >> (e-10))
//                                (1024 linear sub-buckets per power of two)
//
//   index:  0 ........ 2047 | 2048 .. 3071 | 3072 .. 4095 | ... | 32768 .. 33791
//   values: 0 ........ 2047 | 2048 .. 4094 | 4096 .. 8188 | ... | 2^41 .. 2^42-1
//           width 1          width 2        width 4              width 2^31
//
// A bucket is at most 1/1024 of its lowest value wide, so every reported value is within
// 0.1% of the true one: three significant digits, as HdrHistogram's default. kMaxValue
// (2^42 - 1 ns, about 73 minutes) covers the 1 ns .. 1 h range; larger values are clamped
// to it and counted in saturated(). 33,792 counters of 8 bytes: 270 KB per histogram,
// allocated once in the constructor.
//
// Thread-safety: none; one writer. Merge histograms recorded on different threads after the
// threads are joined. Errors: none; record() never fails, never allocates, never throws.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace be::bench {

class Histogram {
 public:
  static constexpr int kSubBucketBits = 10;  // 1024 sub-buckets per power of two
  static constexpr std::uint64_t kSubBuckets = 1ull << kSubBucketBits;
  static constexpr int kMaxBits = 42;
  static constexpr std::uint64_t kMaxValue = (1ull << kMaxBits) - 1;
  static constexpr std::size_t kBucketCount =
      static_cast<std::size_t>(kMaxBits - kSubBucketBits + 1) * kSubBuckets;

  Histogram();

  // Records one value (ns). Negative values (a clock step) count as 0 and in negative().
  void record(std::int64_t value) noexcept { record_n(value, 1); }
  void record_n(std::int64_t value, std::uint64_t n) noexcept;

  // Adds every count of `other`. Same layout always, so merging never loses precision.
  void merge(const Histogram& other) noexcept;
  void reset() noexcept;

  std::uint64_t count() const noexcept { return total_; }
  std::uint64_t saturated() const noexcept { return saturated_; }
  std::uint64_t negative() const noexcept { return negative_; }
  std::uint64_t min() const noexcept { return total_ ? min_ : 0; }
  std::uint64_t max() const noexcept { return max_; }
  double mean() const noexcept;

  // The value at percentile p in [0, 100]: the highest value equivalent to the bucket that
  // holds the ceil(p/100 * count)-th smallest sample (HdrHistogram's convention), capped at
  // max(). 0 when empty. p = 100 returns max() exactly.
  std::uint64_t percentile(double p) const noexcept;

  // Bucket arithmetic, exposed for tests and the SVG/JSON writers.
  static std::size_t index_of(std::uint64_t v) noexcept;
  static std::uint64_t lowest_equivalent(std::size_t index) noexcept;
  static std::uint64_t highest_equivalent(std::size_t index) noexcept;

  std::span<const std::uint64_t> counts() const noexcept { return counts_; }

 private:
  std::vector<std::uint64_t> counts_;  // kBucketCount, sized once
  std::uint64_t total_ = 0;
  std::uint64_t saturated_ = 0;
  std::uint64_t negative_ = 0;
  std::uint64_t min_ = ~0ull;
  std::uint64_t max_ = 0;
  long double sum_ = 0;
};

// The percentiles every report quotes, in this order.
inline constexpr std::array<double, 5> kReportPercentiles = {50.0, 90.0, 99.0, 99.9, 99.99};

}  // namespace be::bench
