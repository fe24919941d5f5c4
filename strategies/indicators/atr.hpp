// Average true range, matching TA-Lib's ATR (the shared shape is in moving_average.hpp).
//
//   true range at t >= 1 = max(high - low, |high - close[t-1]|, |low - close[t-1]|)
//   first ATR (index period) = simple average of the true ranges at indices 1..period
//   then ATR = (ATR * (period-1) + TR) / period       (Wilder smoothing)
// The first bar only provides the previous close: TA-Lib has no true range at index 0.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/event.hpp"
#include "strategies/indicators/common.hpp"
#include "strategies/indicators/state.hpp"

namespace be::ta {

class Atr : public Snapshottable<Atr, IndicatorKind::kAtr> {
 public:
  explicit Atr(int period) : period_(static_cast<std::uint32_t>(clamp_period(period, 1))) {}

  bool update(double high, double low, double close) noexcept {
    if (count_ == 0) {
      prev_close_ = close;
      ++count_;
      return false;
    }
    double tr = high - low;
    const double up = std::fabs(prev_close_ - high);
    if (up > tr) tr = up;
    const double down = std::fabs(prev_close_ - low);
    if (down > tr) tr = down;
    prev_close_ = close;
    if (count_ <= period_) {
      atr_ += tr;  // a plain sum while seeding
      if (count_++ < period_) return false;
      atr_ /= period_;
      return true;
    }
    atr_ = (atr_ * (period_ - 1) + tr) / period_;
    return true;
  }
  bool update(const Bar& bar, int price_scale, int /*qty_scale*/) noexcept {
    return update(to_double(bar.high, price_scale), to_double(bar.low, price_scale),
                  to_double(bar.close, price_scale));
  }

  double value() const noexcept { return atr_; }
  bool ready() const noexcept { return count_ > period_; }
  int lookback() const noexcept { return static_cast<int>(period_); }

  template <class A>
  void fields(A& a) {
    a.param(period_);
    a.value(count_);
    a.value(prev_close_);
    a.value(atr_);
  }

 private:
  std::uint32_t period_;
  std::uint32_t count_ = 0;  // bars seen, saturating at period_ + 1
  double prev_close_ = 0.0;
  double atr_ = 0.0;
};

}  // namespace be::ta
