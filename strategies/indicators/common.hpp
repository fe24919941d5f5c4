// Helpers every indicator shares: period limits, fixed point -> double, compensated sums.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/event.hpp"
#include "core/fixed_point.hpp"

namespace be::ta {

// TA-Lib's own bounds for a time period.
inline constexpr int kMaxPeriod = 100000;

constexpr int clamp_period(int period, int min_period) noexcept {
  return std::clamp(period, min_period, kMaxPeriod);
}

// A fixed-point value as a double: exact for |value| < 2^53, and then the correctly rounded
// decimal (an exact integer divided by an exact power of ten rounds once), so it equals what
// strtod gives for the same decimal text.
inline double to_double(std::int64_t value, int scale) noexcept {
  return static_cast<double>(value) / static_cast<double>(pow10(scale));
}

// A compensated sum (Knuth's branch-free TwoSum feeding a running correction). A sliding
// window adds each value once and subtracts the same bits once later, so the compensated
// total stays within a few ulps of the window's true sum however long it runs; a plain
// running sum random-walks away from it. Branch-free on purpose: Neumaier's variant needs a
// data-dependent branch that mispredicts on real prices.
struct CompensatedSum {
  double sum = 0.0;
  double carry = 0.0;

  void add(double x) noexcept {
    const double t = sum + x;
    const double x_part = t - sum;
    carry += (sum - (t - x_part)) + (x - x_part);
    sum = t;
  }
  double value() const noexcept { return sum + carry; }
  void clear() noexcept { sum = carry = 0.0; }

  template <class A>
  void fields(A& a) {
    a.value(sum);
    a.value(carry);
  }
};

// The warm-up TA-Lib's Wilder-smoothed indicators share (RSI, ATR): the first input only
// primes `previous`; inputs 1..period add to plain sums, divided once by period (the seed);
// after that each average moves as avg = (avg * (period-1) + x) / period. The first value
// comes with input number period, TA-Lib's lookback.
struct WilderWarmup {
  enum class Step : std::uint8_t { kPrime, kSeed, kSeedLast, kSmooth };

  std::uint32_t period;
  std::uint32_t count = 0;  // inputs seen, saturating at period + 1
  double previous = 0.0;    // the last input's value the indicator keeps (close, price)

  // Counts one input: what its caller does with it.
  Step next() noexcept {
    if (count == 0) {
      ++count;
      return Step::kPrime;
    }
    if (count <= period) return count++ < period ? Step::kSeed : Step::kSeedLast;
    return Step::kSmooth;
  }
  // Moves one average by the input's contribution `x` at step `step` (not kPrime).
  void add(Step step, double& average, double x) const noexcept {
    if (step == Step::kSmooth) {
      average = (average * (period - 1) + x) / period;
      return;
    }
    average += x;  // a plain sum while seeding, as TA-Lib keeps it
    if (step == Step::kSeedLast) average /= period;
  }
  bool ready() const noexcept { return count > period; }
  int lookback() const noexcept { return static_cast<int>(period); }

  template <class A>
  void fields(A& a) {
    a.param(period);
    a.value(count);
    a.value(previous);
  }
};

}  // namespace be::ta
