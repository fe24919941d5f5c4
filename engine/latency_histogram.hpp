// The engine's per-stage latency histogram: what the read model's percentiles (the API, the
// dashboard, `run`'s status line) and /metrics' Prometheus histogram
// `botengine_stage_latency_seconds` are computed from. The bench harness keeps a finer one
// (bench/harness/histogram.hpp, 0.1 %) for its reports.
//
// Two sets of buckets, both counted by record():
//
// - Fine, log-linear (HdrHistogram's layout with 32 sub-buckets per power of two), for
//   percentiles: values below 64 ns have a bucket each; above, a bucket is at most 1/32 of its
//   lowest value wide, so a percentile is reported at most 3.1 % above the true value (it used
//   to be a power-of-two bucket's upper bound: a p99 anywhere in 32.8..65.5 us read "65535").
//   Values above kMaxValue (2^36 - 1 ns, about 69 s) are counted in the last bucket; max()
//   stays exact.
//
//       index:  0 .. 63 | 64 .. 95  | 96 .. 127 | ... | 992 .. 1023
//       values: 0 .. 63 | 64 .. 127 | 128 .. 255 | ... | 2^35 .. 2^36-1
//               width 1   width 2     width 4           width 2^30
//
// - Coarse, at the Prometheus bucket bounds kLatencyBoundsNs (1-2-5 from 100 ns to 10 s), so
//   /metrics' `_bucket{le}` counts are exact, not estimated from the fine buckets (whose
//   edges fall between those bounds). Each power of two holds at most one bound (consecutive
//   bounds are at least 2x apart), so a value's coarse bucket is found with two table reads.
//
// Plus the count, the sum (for `_sum`, so a mean can be graphed) and the maximum, in ns.
//
// Thread-safety: one writer (the thread that finishes inputs), readers on any thread (the
// replica builds the read model while the pipeline records). Every word is written and read
// through relaxed atomic_refs: the writer's are plain loads and stores (no locked
// read-modify-write, so record() costs what it did), a reader sees each word whole, and a
// percentile read meanwhile may miss the samples being recorded. Allocation: none; record()
// never allocates, locks or throws (the hot path). 8.4 KB per histogram.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace be::engine {

// The Prometheus bucket upper bounds (`le`), nanoseconds: 1-2-5 steps from 100 ns to 10 s,
// resolving the sub-microsecond stages and the millisecond journal alike.
inline constexpr std::array<std::uint64_t, 25> kLatencyBoundsNs = {
    100,         200,           500,           1'000,         2'000,
    5'000,       10'000,        20'000,        50'000,        100'000,
    200'000,     500'000,       1'000'000,     2'000'000,     5'000'000,
    10'000'000,  20'000'000,    50'000'000,    100'000'000,   200'000'000,
    500'000'000, 1'000'000'000, 2'000'000'000, 5'000'000'000, 10'000'000'000};

namespace detail {
// Per power of two [2^e, 2^(e+1)): how many bounds lie below it, and the one bound inside it
// (UINT64_MAX when none); LatencyHistogram::bound_index reads it.
struct LatencyOctaves {
  std::array<std::uint8_t, 64> below{};
  std::array<std::uint64_t, 64> bound{};
};
consteval LatencyOctaves latency_octaves() {
  LatencyOctaves t;
  for (int e = 0; e < 64; ++e) {
    const std::uint64_t low = std::uint64_t{1} << e;
    const std::uint64_t high = e == 63 ? ~std::uint64_t{0} : (low << 1) - 1;
    t.bound[e] = ~std::uint64_t{0};
    for (std::uint64_t b : kLatencyBoundsNs) {
      if (b < low) ++t.below[e];
      if (b >= low && b <= high) {
        if (t.bound[e] != ~std::uint64_t{0}) throw "two latency bounds in one power of two";
        t.bound[e] = b;
      }
    }
  }
  return t;
}
inline constexpr LatencyOctaves kLatencyOctaves = latency_octaves();
}  // namespace detail

class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 5;
  static constexpr std::uint64_t kSubBuckets = std::uint64_t{1} << kSubBucketBits;
  static constexpr int kMaxBits = 36;
  static constexpr std::uint64_t kMaxValue = (std::uint64_t{1} << kMaxBits) - 1;
  static constexpr std::size_t kBucketCount =
      static_cast<std::size_t>(kMaxBits - kSubBucketBits + 1) * kSubBuckets;
  static constexpr std::size_t kBoundCount = kLatencyBoundsNs.size();

  // One latency, ns; a negative one (a clock step) counts as 0.
  void record(std::int64_t ns) noexcept {
    const auto v = static_cast<std::uint64_t>(ns < 0 ? 0 : ns);
    add(fine_[index_of(std::min(v, kMaxValue))], 1);
    add(coarse_[bound_index(v)], 1);
    add(count_, 1);
    add(sum_, v);
    if (v > max_) set(max_, v);  // the writer's own read: no race
  }

  std::uint64_t count() const noexcept { return get(count_); }
  std::uint64_t sum() const noexcept { return get(sum_); }
  std::uint64_t max() const noexcept { return get(max_); }

  // The value at quantile q in [0, 1]: the highest value of the fine bucket holding the
  // ceil(q * count)-th smallest sample (HdrHistogram's convention), capped at max(); so at
  // most 3.1 % above the true value (beyond kMaxValue: max()). 0 when empty.
  std::uint64_t quantile(double q) const noexcept {
    const std::uint64_t count = get(count_), max = get(max_);
    if (count == 0) return 0;
    const double wanted = q * static_cast<double>(count);
    auto rank = static_cast<std::uint64_t>(wanted);
    if (static_cast<double>(rank) < wanted) ++rank;
    rank = std::clamp<std::uint64_t>(rank, 1, count);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kBucketCount; ++i) {
      seen += get(fine_[i]);
      if (seen >= rank) {
        // The last bucket also holds every value beyond kMaxValue: its bound is max().
        return i + 1 == kBucketCount ? max : std::min(highest_equivalent(i), max);
      }
    }
    return max;
  }

  // Samples <= kLatencyBoundsNs[i], for each i: Prometheus' cumulative `_bucket` counts (the
  // `+Inf` bucket is count()).
  std::array<std::uint64_t, kBoundCount> cumulative_counts() const noexcept {
    std::array<std::uint64_t, kBoundCount> out{};
    std::uint64_t running = 0;
    for (std::size_t i = 0; i < kBoundCount; ++i) {
      running += get(coarse_[i]);
      out[i] = running;
    }
    return out;
  }

  // Fine-bucket arithmetic (see the layout above), exposed for tests.
  static constexpr std::size_t index_of(std::uint64_t v) noexcept {
    if (v < 2 * kSubBuckets) return static_cast<std::size_t>(v);
    const int shift = 63 - std::countl_zero(v) - kSubBucketBits;
    return static_cast<std::size_t>(shift) * kSubBuckets + static_cast<std::size_t>(v >> shift);
  }
  static constexpr std::uint64_t highest_equivalent(std::size_t index) noexcept {
    if (index < 2 * kSubBuckets) return index;
    const std::size_t shift = index / kSubBuckets - 1;
    const std::uint64_t mantissa = index - shift * kSubBuckets;
    return ((mantissa + 1) << shift) - 1;
  }
  // How many bounds lie below v: v's coarse bucket (kBoundCount: above every bound, +Inf).
  static constexpr std::size_t bound_index(std::uint64_t v) noexcept {
    const int octave = 63 - std::countl_zero(v | 1);
    return detail::kLatencyOctaves.below[octave] +
           (v > detail::kLatencyOctaves.bound[octave] ? 1 : 0);
  }

 private:
  static std::uint64_t get(const std::uint64_t& word) noexcept {
    return std::atomic_ref<std::uint64_t>(const_cast<std::uint64_t&>(word))
        .load(std::memory_order_relaxed);
  }
  static void set(std::uint64_t& word, std::uint64_t value) noexcept {
    std::atomic_ref<std::uint64_t>(word).store(value, std::memory_order_relaxed);
  }
  // One writer: a load and a store, not an atomic increment.
  static void add(std::uint64_t& word, std::uint64_t by) noexcept { set(word, get(word) + by); }

  // The totals and the coarse buckets first: record() touches them on every call, so they
  // share the histogram's first cache lines; one fine bucket is the only other line touched.
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t max_ = 0;
  std::array<std::uint64_t, kBoundCount + 1> coarse_{};  // last: above every bound
  std::array<std::uint64_t, kBucketCount> fine_{};
};

}  // namespace be::engine
