// Volume-weighted average price (the shared indicator shape is in moving_average.hpp).
//
// Decision: a rolling VWAP over the last `period` bars, or, with period 0, a cumulative VWAP
// since construction or the last reset() (the caller resets at its session boundary; the
// indicator never reads a clock). TA-Lib has no VWAP, so this one is defined here:
//   vwap = sum(price_i * volume_i) / sum(volume_i) over the window
// where a bar's price is its typical price (high + low + close) / 3. When every bar in the
// window has zero volume there is no traded price to weight; the VWAP is then the latest
// price (a flat, untraded market trades at its last price). First value at index period-1
// (index 0 when cumulative). Sums are compensated (no drift over long runs).
#pragma once

#include <cstdint>

#include "core/event.hpp"
#include "strategies/indicators/common.hpp"
#include "strategies/indicators/state.hpp"

namespace be::ta {

class Vwap : public Snapshottable<Vwap, IndicatorKind::kVwap> {
 public:
  explicit Vwap(int period)
      : period_(static_cast<std::uint32_t>(period <= 0 ? 0 : clamp_period(period, 1))),
        pv_window_(period_),
        volume_window_(period_) {}

  bool update(double price, double volume) noexcept {
    const double pv = price * volume;
    pv_sum_.add(pv);
    volume_sum_.add(volume);
    if (volume != 0.0) ++traded_;
    seen_ = 1;
    if (period_ != 0) {
      double old_pv = 0.0;
      double old_volume = 0.0;
      pv_window_.push(pv, old_pv);
      if (volume_window_.push(volume, old_volume)) {
        pv_sum_.add(-old_pv);
        volume_sum_.add(-old_volume);
        if (old_volume != 0.0) --traded_;
      }
    }
    if (traded_ == 0) {  // nothing traded in the window: exact zeros, not residue
      pv_sum_.clear();
      volume_sum_.clear();
      value_ = price;
    } else {
      value_ = pv_sum_.value() / volume_sum_.value();
    }
    return ready();
  }
  bool update(const Bar& bar, int price_scale, int qty_scale) noexcept {
    const double typical = (to_double(bar.high, price_scale) + to_double(bar.low, price_scale) +
                            to_double(bar.close, price_scale)) /
                           3.0;
    return update(typical, to_double(bar.volume, qty_scale));
  }

  double value() const noexcept { return value_; }
  bool ready() const noexcept { return period_ == 0 ? seen_ != 0 : volume_window_.full(); }
  int lookback() const noexcept { return period_ == 0 ? 0 : static_cast<int>(period_) - 1; }

  template <class A>
  void fields(A& a) {
    a.param(period_);
    pv_window_.fields(a);
    volume_window_.fields(a);
    pv_sum_.fields(a);
    volume_sum_.fields(a);
    a.value(traded_);
    a.value(value_);
    a.value(seen_);
  }

 private:
  std::uint32_t period_;  // 0: cumulative
  Ring<double> pv_window_;
  Ring<double> volume_window_;
  CompensatedSum pv_sum_;
  CompensatedSum volume_sum_;
  std::uint64_t traded_ = 0;  // bars in the window with non-zero volume
  double value_ = 0.0;
  std::uint8_t seen_ = 0;  // any input since reset (what `ready` means when cumulative)
};

}  // namespace be::ta
