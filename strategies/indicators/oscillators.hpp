// Oscillators: RSI, ROC, momentum and the stochastic, matching TA-Lib's RSI, ROC, MOM and
// STOCH. The shared indicator shape is described in moving_average.hpp.
#pragma once

#include <cstdint>

#include "core/event.hpp"
#include "strategies/indicators/common.hpp"
#include "strategies/indicators/moving_average.hpp"
#include "strategies/indicators/state.hpp"

namespace be::ta {

// Relative strength index with Wilder smoothing, as TA-Lib computes it: the first value (at
// index period) uses the simple averages of the first `period` gains and losses; after that
// avg = (avg * (period-1) + new) / period. When avg gain + avg loss is within 1e-8 of zero
// (TA-Lib's TA_IS_ZERO: a flat market) the RSI is 0, as TA-Lib reports it.
class Rsi : public Snapshottable<Rsi, IndicatorKind::kRsi> {
 public:
  explicit Rsi(int period) : warmup_{static_cast<std::uint32_t>(clamp_period(period, 2))} {}

  bool update(double x) noexcept {
    const double change = x - warmup_.previous;
    warmup_.previous = x;
    const WilderWarmup::Step step = warmup_.next();
    if (step == WilderWarmup::Step::kPrime) return false;
    // Each change feeds one side; the other gets +0.0, which leaves it exactly as it was.
    warmup_.add(step, gain_, change < 0 ? 0.0 : change);
    warmup_.add(step, loss_, change < 0 ? -change : 0.0);
    if (step == WilderWarmup::Step::kSeed) return false;
    const double total = gain_ + loss_;
    value_ = (total > -1e-8 && total < 1e-8) ? 0.0 : 100.0 * (gain_ / total);
    return true;
  }
  bool update(const Bar& bar, int price_scale, int /*qty_scale*/) noexcept {
    return update(to_double(bar.close, price_scale));
  }

  double value() const noexcept { return value_; }
  bool ready() const noexcept { return warmup_.ready(); }
  int lookback() const noexcept { return warmup_.lookback(); }

  template <class A>
  void fields(A& a) {
    warmup_.fields(a);
    a.value(gain_);
    a.value(loss_);
    a.value(value_);
  }

 private:
  WilderWarmup warmup_;  // previous: the last close
  double gain_ = 0.0;    // average gain once ready; a plain sum while seeding
  double loss_ = 0.0;
  double value_ = 0.0;
};

// The change against the input `period` bars back, TA-Lib's ROC and MOM:
//   Roc:      ((x / x[t-period]) - 1) * 100, and 0 when x[t-period] is 0
//   Momentum: x - x[t-period]
// First value at index period.
template <IndicatorKind K>
class PriceChange : public Snapshottable<PriceChange<K>, K> {
  static_assert(K == IndicatorKind::kRoc || K == IndicatorKind::kMomentum);

 public:
  explicit PriceChange(int period)
      : period_(static_cast<std::uint32_t>(clamp_period(period, 1))), window_(period_) {}

  bool update(double x) noexcept {
    double past = 0.0;
    if (!window_.push(x, past)) return false;
    if constexpr (K == IndicatorKind::kRoc) {
      value_ = past != 0.0 ? ((x / past) - 1.0) * 100.0 : 0.0;
    } else {
      value_ = x - past;
    }
    ready_ = 1;
    return true;
  }
  bool update(const Bar& bar, int price_scale, int /*qty_scale*/) noexcept {
    return update(to_double(bar.close, price_scale));
  }

  double value() const noexcept { return value_; }
  bool ready() const noexcept { return ready_ != 0; }
  int lookback() const noexcept { return static_cast<int>(period_); }

  template <class A>
  void fields(A& a) {
    a.param(period_);
    window_.fields(a);
    a.value(value_);
    a.value(ready_);
  }

 private:
  std::uint32_t period_;
  Ring<double> window_;  // the last `period` inputs: the oldest is x[t-period]
  double value_ = 0.0;
  std::uint8_t ready_ = 0;
};

using Roc = PriceChange<IndicatorKind::kRoc>;
using Momentum = PriceChange<IndicatorKind::kMomentum>;

// The extreme (max or min) of the last `period` values in amortised O(1): a monotonic queue
// of (index, value) in a ring of `period` slots. Each value is pushed once and popped at most
// once, so n updates cost O(n) in total; a single update can pop up to `period` entries.
template <bool kMax>
class RollingExtreme {
 public:
  struct Entry {
    std::uint64_t index = 0;
    double value = 0.0;
  };

  explicit RollingExtreme(std::uint32_t period) : period_(period), queue_(period) {}

  double update(double x) noexcept {
    // Strictly dominated entries can never be the extreme again.
    while (!queue_.empty() && (kMax ? queue_.back().value <= x : queue_.back().value >= x)) {
      queue_.pop_back();
    }
    if (!queue_.empty() && queue_.front().index + period_ <= next_index_) queue_.pop_front();
    queue_.push_back(Entry{next_index_++, x});
    return queue_.front().value;
  }

  template <class A>
  void fields(A& a) {
    a.value(next_index_);
    queue_.fields(a);
  }

 private:
  std::uint32_t period_;
  Ring<Entry> queue_;
  std::uint64_t next_index_ = 0;
};

// Stochastic oscillator, TA-Lib's STOCH with SMA smoothing (TA-Lib's defaults: fast %K 5,
// slow %K 3, slow %D 3):
//   fast %K = (close - lowest low) / ((highest high - lowest low) / 100) over fast_k bars,
//             0 when the range is 0
//   slow %K = SMA(fast %K, slow_k)      slow %D = SMA(slow %K, slow_d)
// Both outputs start at index (fast_k-1) + (slow_k-1) + (slow_d-1) = 8 for 5/3/3, as in
// TA-Lib, which also withholds slow %K until slow %D exists. value() is slow %K.
class Stoch : public Snapshottable<Stoch, IndicatorKind::kStoch> {
 public:
  Stoch(int fast_k, int slow_k, int slow_d)
      : fast_k_(static_cast<std::uint32_t>(clamp_period(fast_k, 1))),
        highest_(fast_k_),
        lowest_(fast_k_),
        slow_k_(slow_k),
        slow_d_(slow_d) {}

  bool update(double high, double low, double close) noexcept {
    const double hh = highest_.update(high);
    const double ll = lowest_.update(low);
    if (seen_ < fast_k_) ++seen_;
    if (seen_ < fast_k_) return false;
    const double diff = (hh - ll) / 100.0;
    const double fast = diff != 0.0 ? (close - ll) / diff : 0.0;
    if (!slow_k_.update(fast)) return false;
    return slow_d_.update(slow_k_.value());
  }
  bool update(const Bar& bar, int price_scale, int /*qty_scale*/) noexcept {
    return update(to_double(bar.high, price_scale), to_double(bar.low, price_scale),
                  to_double(bar.close, price_scale));
  }

  double value() const noexcept { return k(); }
  double k() const noexcept { return slow_k_.value(); }
  double d() const noexcept { return slow_d_.value(); }
  bool ready() const noexcept { return slow_d_.ready(); }
  int lookback() const noexcept {
    return static_cast<int>(fast_k_) - 1 + slow_k_.lookback() + slow_d_.lookback();
  }

  template <class A>
  void fields(A& a) {
    a.param(fast_k_);
    a.value(seen_);
    highest_.fields(a);
    lowest_.fields(a);
    slow_k_.fields(a);
    slow_d_.fields(a);
  }

 private:
  std::uint32_t fast_k_;
  std::uint32_t seen_ = 0;  // bars seen, saturating at fast_k_
  RollingExtreme<true> highest_;
  RollingExtreme<false> lowest_;
  Sma slow_k_;
  Sma slow_d_;
};

}  // namespace be::ta
