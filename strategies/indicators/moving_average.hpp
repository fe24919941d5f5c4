// Moving averages: SMA, EMA and the SMA of volume, matching TA-Lib's SMA and EMA.
//
// Every indicator in strategies/indicators has the same shape:
//   bool update(inputs...)          O(1), never allocates, never throws; true once ready()
//   bool update(const Bar&, price_scale, qty_scale)   the same fed from a fixed-point bar
//   double value() const            the primary output; meaningful only when ready()
//   bool ready() const              false during warm-up (TA-Lib's empty cells)
//   int lookback() const            TA-Lib's lookback: the first value comes with input
//                                   number lookback() (0-based)
//   void reset()                    back to the freshly constructed state (Snapshottable)
//   state_size/save/restore/state_hash   snapshots (strategies/indicators/state.hpp)
// Thread-safety: none; an indicator belongs to the one thread that updates it.
// Constructors allocate the window once; periods outside TA-Lib's range are clamped into it
// (callers validate user input with parse_indicator_spec first).
#pragma once

#include <cstdint>

#include "core/event.hpp"
#include "strategies/indicators/common.hpp"
#include "strategies/indicators/state.hpp"

namespace be::ta {

// Simple moving average over `period` inputs; first value at index period-1.
// The window total is a compensated running sum: O(1) and no drift (TA-Lib keeps a plain
// running total; the two agree far inside 1e-9).
class Sma : public Snapshottable<Sma, IndicatorKind::kSma> {
 public:
  explicit Sma(int period)
      : period_(static_cast<std::uint32_t>(clamp_period(period, 1))), window_(period_) {}

  bool update(double x) noexcept {
    double evicted = 0.0;
    const bool full = window_.push(x, evicted);
    // x - evicted as an exact pair (TwoSum), then one compensated add: a shorter dependency
    // chain than two compensated adds in a row. Before the window fills, evicted is 0.
    const double d = x - evicted;
    const double bb = d - x;
    sum_.add(d);
    sum_.carry += (x - (d - bb)) + (-evicted - bb);
    if (full || window_.full()) value_ = sum_.value() / period_;
    return full || window_.full();
  }
  bool update(const Bar& bar, int price_scale, int /*qty_scale*/) noexcept {
    return update(to_double(bar.close, price_scale));
  }

  double value() const noexcept { return value_; }
  bool ready() const noexcept { return window_.full(); }
  int lookback() const noexcept { return static_cast<int>(period_) - 1; }
  int period() const noexcept { return static_cast<int>(period_); }

  template <class A>
  void fields(A& a) {
    a.param(period_);
    window_.fields(a);
    sum_.fields(a);
    a.value(value_);
  }

 private:
  std::uint32_t period_;
  Ring<double> window_;
  CompensatedSum sum_;
  double value_ = 0.0;
};

// SMA of the bar volume (the "volume MA"): the same arithmetic, fed volume from bars.
class VolumeSma : public Snapshottable<VolumeSma, IndicatorKind::kVolumeSma> {
 public:
  explicit VolumeSma(int period) : sma_(period) {}

  bool update(double volume) noexcept { return sma_.update(volume); }
  bool update(const Bar& bar, int /*price_scale*/, int qty_scale) noexcept {
    return sma_.update(to_double(bar.volume, qty_scale));
  }
  double value() const noexcept { return sma_.value(); }
  bool ready() const noexcept { return sma_.ready(); }
  int lookback() const noexcept { return sma_.lookback(); }

  template <class A>
  void fields(A& a) {
    sma_.fields(a);
  }

 private:
  Sma sma_;
};

// Exponential moving average, TA-Lib's default: k = 2/(period+1), the first value (index
// period-1) is the SMA of the first `period` inputs, then ema += (x - ema) * k.
class Ema : public Snapshottable<Ema, IndicatorKind::kEma> {
 public:
  explicit Ema(int period)
      : period_(static_cast<std::uint32_t>(clamp_period(period, 1))),
        k_(2.0 / (static_cast<double>(period_) + 1.0)) {}

  bool update(double x) noexcept {
    if (count_ < period_) {
      seed_sum_ += x;  // TA-Lib seeds with a plain sum: keep its rounding
      if (++count_ == period_) value_ = seed_sum_ / period_;
      return count_ == period_;
    }
    value_ = (x - value_) * k_ + value_;
    return true;
  }
  bool update(const Bar& bar, int price_scale, int /*qty_scale*/) noexcept {
    return update(to_double(bar.close, price_scale));
  }

  double value() const noexcept { return value_; }
  bool ready() const noexcept { return count_ == period_; }
  int lookback() const noexcept { return static_cast<int>(period_) - 1; }

  template <class A>
  void fields(A& a) {
    a.param(period_);
    a.value(count_);
    a.value(seed_sum_);
    a.value(value_);
  }

 private:
  std::uint32_t period_;
  double k_;
  std::uint32_t count_ = 0;  // inputs seen, saturating at period_
  double seed_sum_ = 0.0;
  double value_ = 0.0;
};

}  // namespace be::ta
