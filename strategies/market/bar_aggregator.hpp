// Trades (or closed lower-timeframe bars) folded into OHLCV bars on event time.
//
// Intervals are aligned to the Unix epoch in UTC, as the exchanges align klines: a 1h bar
// opens at hh:00:00, a 4h bar at 00:00, 04:00, ..., a 1d bar at 00:00 UTC. A bar covers
// [open_time, open_time + interval) and is emitted, with closed = 1, as soon as event time
// is known to have passed its end: the first trade of a later interval, the last lower bar
// of the interval (on_bar), or an explicit time advance (on_time, fed by timer inputs so a
// replay closes bars at the same points).
//
// Empty intervals (no trade at all):
//  - kCarryForward (default, what Binance's klines do): a flat bar at the previous close with
//    zero volume and zero trades is emitted for each empty interval, so indicators see one
//    bar per interval. Before the first trade there is no previous close and nothing is
//    emitted.
//  - kSkip: nothing is emitted; the next bar follows the gap directly.
// A gap of more than max_empty_fill intervals (a venue outage, a hostile timestamp) emits no
// filler at all and is counted in gaps_not_filled: bounded work per input, never a hang.
//
// Late input (a trade or bar for an interval already emitted) is counted and dropped; an
// emitted bar is never amended. Partial (not closed) bars given to on_bar are counted and
// ignored. Volume that would overflow int64 saturates and is counted.
//
// Thread-safety: none; owned by the strategy stage. Allocation: none. Exceptions: none.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "core/counters.hpp"
#include "core/event.hpp"

namespace be {

enum class EmptyIntervalPolicy : std::uint8_t { kCarryForward = 0, kSkip = 1 };

// The bar aggregator's counters.
inline constexpr auto kBarAggregatorCounters = counter_table({
    {"trades", "Trades folded into bars."},
    {"bars_in", "Lower-interval bars folded into bars."},
    {"bars_emitted", "Bars emitted."},
    {"empty_bars_emitted", "Empty bars emitted for intervals without trades (carry forward)."},
    {"late_inputs", "Trades or bars older than the open bar, ignored."},
    {"partial_bars_ignored", "Partial (unclosed) lower bars ignored."},
    {"misaligned_bars", "Lower bars whose interval does not divide the bar's."},
    {"gaps_not_filled", "Gaps too long to fill with empty bars."},
    {"volume_saturated", "Bars whose volume reached its maximum and stopped adding."},
});
using BarAggregatorStats = Counters<kBarAggregatorCounters>;

inline constexpr Nanos kNanosPerSecond = 1'000'000'000;

// floor(t / step) * step for negative t too.
constexpr Nanos align_down(Nanos t, Nanos step) noexcept {
  const Nanos q = t / step;
  return (t % step != 0 && t < 0 ? q - 1 : q) * step;
}

class BarAggregator {
 public:
  static constexpr std::uint32_t kDefaultMaxEmptyFill = 10'000;

  BarAggregator(InstrumentId instrument, std::uint32_t interval_seconds,
                EmptyIntervalPolicy policy = EmptyIntervalPolicy::kCarryForward,
                std::uint32_t max_empty_fill = kDefaultMaxEmptyFill) noexcept
      : instrument_(instrument),
        interval_seconds_(interval_seconds == 0 ? 1 : interval_seconds),
        interval_(static_cast<Nanos>(interval_seconds_) * kNanosPerSecond),
        policy_(policy),
        max_empty_fill_(max_empty_fill) {}

  // Sink: callable as sink(const Bar&) for each closed bar, in time order.
  template <class Sink>
  void on_trade(std::int64_t price, std::int64_t quantity, Nanos event_time, Sink&& sink) {
    const Nanos start = align_down(event_time, interval_);
    if (!admit(start)) return;
    ++stats_["trades"];
    advance_to(start, sink);
    if (!open_) {
      begin_bar(start, price, price, price, price);
    } else {
      fold_prices(price, price, price);
    }
    filler_only_ = false;
    add_volume(quantity);
    ++bar_.trade_count;
  }

  template <class Sink>
  void on_trade(const Trade& trade, Nanos event_time, Sink&& sink) {
    on_trade(trade.price, trade.quantity, event_time, sink);
  }

  // Folds a closed bar of a shorter (or equal) interval that divides this one, such as the
  // exchange's own 1m kline. Emits this interval's bar as soon as its last sub-bar arrives.
  template <class Sink>
  void on_bar(const Bar& lower, Sink&& sink) {
    if (!lower.closed) {
      ++stats_["partial_bars_ignored"];
      return;
    }
    if (lower.interval_seconds == 0 || interval_seconds_ % lower.interval_seconds != 0) {
      ++stats_["misaligned_bars"];
      return;
    }
    const Nanos start = align_down(lower.open_time, interval_);
    if (!admit(start)) return;
    ++stats_["bars_in"];
    advance_to(start, sink);
    // A filler bar (no trades: an empty interval carried forward) says nothing about this
    // interval's prices unless the whole interval is empty; so it opens a bar only
    // provisionally and the first real sub-bar replaces its open, high and low. This keeps a
    // rolled-up bar identical to one built from the trades themselves.
    const bool filler = lower.trade_count == 0 && lower.volume == 0;
    if (!open_ || (filler_only_ && !filler)) {
      begin_bar(start, lower.open, lower.high, lower.low, lower.close);
      filler_only_ = filler;
    } else if (!filler) {
      fold_prices(lower.high, lower.low, lower.close);
    }
    add_volume(lower.volume);
    bar_.trade_count += lower.trade_count;
    const Nanos lower_end =
        lower.open_time + static_cast<Nanos>(lower.interval_seconds) * kNanosPerSecond;
    if (lower_end >= start + interval_) advance_to(start + interval_, sink);
  }

  // Event time has reached `now`: emits every bar (and, by policy, empty interval) that
  // ended at or before it.
  template <class Sink>
  void on_time(Nanos now, Sink&& sink) {
    advance_to(align_down(now, interval_), sink);
  }

  bool has_open_bar() const noexcept { return open_; }
  // The bar being built. Precondition: has_open_bar().
  const Bar& open_bar() const noexcept { return bar_; }
  std::uint32_t interval_seconds() const noexcept { return interval_seconds_; }
  const BarAggregatorStats& stats() const noexcept { return stats_; }

 private:
  // False (and counted) for input that belongs to an interval already emitted.
  bool admit(Nanos start) noexcept {
    if (!started_) {
      started_ = true;
      cursor_ = start;
      return true;
    }
    if (start < cursor_) {
      ++stats_["late_inputs"];
      return false;
    }
    return true;
  }

  // Emits every interval whose open time is before `start`.
  template <class Sink>
  void advance_to(Nanos start, Sink& sink) {
    if (!started_ || cursor_ >= start) return;
    if (open_) {
      emit(bar_, sink);
      last_close_ = bar_.close;
      has_last_close_ = true;
      open_ = false;
      cursor_ += interval_;
    }
    if (cursor_ >= start) return;
    const Nanos empty_intervals = (start - cursor_) / interval_;
    if (policy_ == EmptyIntervalPolicy::kCarryForward && has_last_close_) {
      if (empty_intervals > static_cast<Nanos>(max_empty_fill_)) {
        ++stats_["gaps_not_filled"];
      } else {
        for (; cursor_ < start; cursor_ += interval_) {
          Bar flat = make_bar(cursor_, last_close_, last_close_, last_close_, last_close_);
          flat.closed = 1;
          ++stats_["empty_bars_emitted"];
          emit(flat, sink);
        }
      }
    }
    cursor_ = start;
  }

  template <class Sink>
  void emit(Bar& bar, Sink& sink) {
    bar.closed = 1;
    ++stats_["bars_emitted"];
    sink(static_cast<const Bar&>(bar));
  }

  Bar make_bar(Nanos open_time, std::int64_t o, std::int64_t h, std::int64_t l,
               std::int64_t c) const noexcept {
    Bar b;
    b.instrument = instrument_;
    b.interval_seconds = interval_seconds_;
    b.open_time = open_time;
    b.open = o;
    b.high = h;
    b.low = l;
    b.close = c;
    return b;
  }

  void begin_bar(Nanos start, std::int64_t o, std::int64_t h, std::int64_t l,
                 std::int64_t c) noexcept {
    bar_ = make_bar(start, o, h, l, c);
    open_ = true;
  }

  void fold_prices(std::int64_t high, std::int64_t low, std::int64_t close) noexcept {
    if (high > bar_.high) bar_.high = high;
    if (low < bar_.low) bar_.low = low;
    bar_.close = close;
  }

  void add_volume(std::int64_t quantity) noexcept {
    if (__builtin_add_overflow(bar_.volume, quantity, &bar_.volume)) {
      bar_.volume = std::numeric_limits<std::int64_t>::max();
      ++stats_["volume_saturated"];
    }
  }

  InstrumentId instrument_;
  std::uint32_t interval_seconds_;
  Nanos interval_;
  EmptyIntervalPolicy policy_;
  std::uint32_t max_empty_fill_;

  bool started_ = false;  // cursor_ is meaningful
  bool open_ = false;     // bar_ holds input for the interval at cursor_
  bool has_last_close_ = false;
  bool filler_only_ = false;  // bar_ was opened by filler sub-bars only (see on_bar)
  Nanos cursor_ = 0;          // open time of the earliest interval not yet emitted
  std::int64_t last_close_ = 0;
  Bar bar_{};
  BarAggregatorStats stats_{};
};

// The standard timeframes, one aggregator each, fed by the same trades.
inline constexpr std::array<std::uint32_t, 6> kStandardIntervals = {60,   300,   900,
                                                                    3600, 14400, 86400};

class MultiTimeframeBars {
 public:
  explicit MultiTimeframeBars(InstrumentId instrument,
                              EmptyIntervalPolicy policy = EmptyIntervalPolicy::kCarryForward)
      : aggregators_{BarAggregator(instrument, kStandardIntervals[0], policy),
                     BarAggregator(instrument, kStandardIntervals[1], policy),
                     BarAggregator(instrument, kStandardIntervals[2], policy),
                     BarAggregator(instrument, kStandardIntervals[3], policy),
                     BarAggregator(instrument, kStandardIntervals[4], policy),
                     BarAggregator(instrument, kStandardIntervals[5], policy)} {}

  template <class Sink>
  void on_trade(const Trade& trade, Nanos event_time, Sink&& sink) {
    for (auto& a : aggregators_)
      a.on_trade(trade, event_time, sink);
  }
  template <class Sink>
  void on_time(Nanos now, Sink&& sink) {
    for (auto& a : aggregators_)
      a.on_time(now, sink);
  }
  const BarAggregator& timeframe(std::size_t i) const noexcept { return aggregators_[i]; }

 private:
  std::array<BarAggregator, kStandardIntervals.size()> aggregators_;
};

}  // namespace be
