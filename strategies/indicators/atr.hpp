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
  explicit Atr(int period) : warmup_{static_cast<std::uint32_t>(clamp_period(period, 1))} {}

  bool update(double high, double low, double close) noexcept {
    const double prev_close = warmup_.previous;
    warmup_.previous = close;
    const WilderWarmup::Step step = warmup_.next();
    if (step == WilderWarmup::Step::kPrime) return false;
    double tr = high - low;
    const double up = std::fabs(prev_close - high);
    if (up > tr) tr = up;
    const double down = std::fabs(prev_close - low);
    if (down > tr) tr = down;
    warmup_.add(step, atr_, tr);
    return step != WilderWarmup::Step::kSeed;
  }
  bool update(const Bar& bar, int price_scale, int /*qty_scale*/) noexcept {
    return update(to_double(bar.high, price_scale), to_double(bar.low, price_scale),
                  to_double(bar.close, price_scale));
  }

  double value() const noexcept { return atr_; }
  bool ready() const noexcept { return warmup_.ready(); }
  int lookback() const noexcept { return warmup_.lookback(); }

  template <class A>
  void fields(A& a) {
    warmup_.fields(a);
    a.value(atr_);
  }

 private:
  WilderWarmup warmup_;  // previous: the last close
  double atr_ = 0.0;
};

}  // namespace be::ta
