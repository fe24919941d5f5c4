// MACD, matching TA-Lib's MACD (the shared indicator shape is in moving_average.hpp).
//
// TA-Lib aligns the two EMAs so that both start at index slow-1:
//   slow EMA: seeded with the SMA of inputs [0, slow-1]
//   fast EMA: seeded with the SMA of inputs [slow-fast, slow-1] (not [0, fast-1]!)
//   macd line = fast - slow, defined from index slow-1
//   signal    = EMA(signal) of the macd line, seeded with the SMA of its first `signal` values
//   hist      = macd - signal
// All three outputs start at index slow+signal-2 (33 for 12/26/9): TA-Lib withholds the macd
// line until the signal exists, and so does ready(). If slow < fast they are swapped, as
// TA-Lib does.
#pragma once

#include <cstdint>
#include <utility>

#include "core/event.hpp"
#include "strategies/indicators/common.hpp"
#include "strategies/indicators/state.hpp"

namespace be::ta {

class Macd : public Snapshottable<Macd, IndicatorKind::kMacd> {
 public:
  Macd(int fast, int slow, int signal)
      : fast_(static_cast<std::uint32_t>(clamp_period(std::min(fast, slow), 2))),
        slow_(static_cast<std::uint32_t>(clamp_period(std::max(fast, slow), 2))),
        signal_(static_cast<std::uint32_t>(clamp_period(signal, 1))),
        k_fast_(2.0 / (fast_ + 1.0)),
        k_slow_(2.0 / (slow_ + 1.0)),
        k_signal_(2.0 / (signal_ + 1.0)) {}

  bool update(double x) noexcept {
    const std::uint64_t i = count_++;
    if (i < slow_) {  // seeding both EMAs with plain sums, as TA-Lib does
      slow_ema_ += x;
      if (i >= slow_ - fast_) fast_ema_ += x;
      if (i + 1 < slow_) return false;
      slow_ema_ /= slow_;
      fast_ema_ /= fast_;
    } else {
      slow_ema_ = (x - slow_ema_) * k_slow_ + slow_ema_;
      fast_ema_ = (x - fast_ema_) * k_fast_ + fast_ema_;
    }
    macd_ = fast_ema_ - slow_ema_;
    const std::uint64_t j = i - (slow_ - 1);  // index into the macd line
    if (j < signal_) {
      signal_ema_ += macd_;
      if (j + 1 < signal_) return false;
      signal_ema_ /= signal_;
    } else {
      signal_ema_ = (macd_ - signal_ema_) * k_signal_ + signal_ema_;
    }
    return true;
  }
  bool update(const Bar& bar, int price_scale, int /*qty_scale*/) noexcept {
    return update(to_double(bar.close, price_scale));
  }

  double value() const noexcept { return macd_; }
  double macd() const noexcept { return macd_; }
  double signal() const noexcept { return signal_ema_; }
  double hist() const noexcept { return macd_ - signal_ema_; }
  bool ready() const noexcept { return count_ >= slow_ + signal_ - 1; }
  int lookback() const noexcept { return static_cast<int>(slow_ + signal_) - 2; }

  template <class A>
  void fields(A& a) {
    a.param(fast_);
    a.param(slow_);
    a.param(signal_);
    a.value(count_);
    a.value(fast_ema_);
    a.value(slow_ema_);
    a.value(signal_ema_);
    a.value(macd_);
  }

 private:
  std::uint32_t fast_;
  std::uint32_t slow_;
  std::uint32_t signal_;
  double k_fast_;
  double k_slow_;
  double k_signal_;
  std::uint64_t count_ = 0;
  double fast_ema_ = 0.0;  // plain sums while seeding
  double slow_ema_ = 0.0;
  double signal_ema_ = 0.0;
  double macd_ = 0.0;
};

}  // namespace be::ta
