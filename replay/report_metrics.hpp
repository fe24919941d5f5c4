// The backtest report's risk and trade metrics as pure functions, so each is checked by hand
// in tests/replay (docs/BACKTEST.md states every definition):
//
//  - returns: one per period (kReportPeriod of event time), r_i = (E_i - E_{i-1}) / capital,
//    E the bot's equity (realized + unrealized PnL - fees) at the period's end, capital the
//    paper account's opening balance of the quote asset;
//  - Sharpe = mean(r) / sample stdev(r) x sqrt(periods per year); Sortino = mean(r) /
//    downside deviation (sqrt of the mean of min(r, 0)^2 over every period) x the same;
//    a year is 365 days of 24 h (crypto trades around the clock), so with 1-minute periods
//    the factor is sqrt(525,600). No risk-free rate. Undefined (nullopt) with fewer than
//    two periods or no dispersion;
//  - Calmar = annualised PnL (mean PnL per period x periods per year) / maximum drawdown,
//    both in the quote currency; undefined without a drawdown;
//  - profit factor = gross profit / gross loss of the closing trades' realized PnL (before
//    fees); undefined without a losing trade; expectancy = their mean;
//  - maximum drawdown duration: the longest time from an equity peak until equity is back at
//    it (or the end of the run, if it never is).
//
// Thread-safety: pure functions and a small value type. Doubles: a report, not the ledger.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "core/ids.hpp"

namespace be::engine {

inline constexpr Nanos kReportPeriod = 60'000'000'000;  // 1 minute
inline constexpr double kPeriodsPerYear = 365.0 * 24 * 60;
// A gap of more periods than this (a week of minutes) between two inputs is bridged by one
// period, as the capture feeder bridges a time jump with one tick: a broken timestamp
// centuries ahead must not fill memory (or a sweep's time) with flat periods.
inline constexpr std::uint64_t kMaxPeriodsPerGap = 10'080;
// The periods recorded when `ended` periods ended between two inputs.
constexpr std::uint64_t periods_recorded(std::uint64_t ended) noexcept {
  return ended > kMaxPeriodsPerGap ? 1 : ended;
}

struct RatioSet {
  std::optional<double> sharpe, sortino, calmar;
};
// `equity`: the equity at each period's end, from the start (E_0 = 0 before it).
RatioSet risk_ratios(std::span<const double> equity, double capital, double max_drawdown);

// The same figures from a running summary of the period returns (Welford's mean and variance
// of the equity changes, and their downside squares), fed one period end at a time: what a
// sweep of thousands of configurations keeps instead of a series per configuration (80 KB a
// week of 1-minute periods each). risk_ratios() is this, fed the series.
class ReturnSeries {
 public:
  // The equity at the end of `periods` more periods (the same at each end): one change, then
  // periods - 1 changes of zero merged in closed form (Chan et al.'s pairwise update), so a
  // flat stretch costs one step whatever its length.
  void add(double equity, std::size_t periods = 1) noexcept {
    if (periods == 0) return;
    const double change = equity - previous_;
    previous_ = equity;
    ++n_;
    const double d = change - mean_;
    mean_ += d / static_cast<double>(n_);
    m2_ += d * (change - mean_);
    if (change < 0) downside_ += change * change;
    if (periods == 1) return;
    const auto k = static_cast<double>(periods - 1);
    const auto before = static_cast<double>(n_);
    n_ += periods - 1;
    const double to_zero = -mean_;
    mean_ += to_zero * k / static_cast<double>(n_);
    m2_ += to_zero * to_zero * before * k / static_cast<double>(n_);
  }
  std::size_t periods() const noexcept { return n_; }
  RatioSet ratios(double capital, double max_drawdown) const noexcept;

 private:
  std::size_t n_ = 0;
  double previous_ = 0, mean_ = 0, m2_ = 0, downside_ = 0;  // in equity units, not returns
};

struct TradeStats {
  std::uint64_t closing = 0, winning = 0;
  double gross_profit = 0, gross_loss = 0;  // gross_loss >= 0

  void add_closing(double realized) noexcept {
    ++closing;
    if (realized > 0) ++winning, gross_profit += realized;
    if (realized < 0) gross_loss -= realized;
  }
  std::optional<double> profit_factor() const noexcept {
    if (gross_loss == 0) return std::nullopt;
    return gross_profit / gross_loss;
  }
  double expectancy() const noexcept {
    return closing ? (gross_profit - gross_loss) / static_cast<double>(closing) : 0.0;
  }
};

// Equity peaks and drawdowns over time: max drawdown (amount) and its longest duration.
struct DrawdownTracker {
  std::int64_t peak = 0, max_drawdown = 0;
  Nanos peak_time = 0, longest = 0;
  bool started = false;

  void add(Nanos t, std::int64_t equity) noexcept {
    if (!started) started = true, peak_time = t;
    if (equity >= peak) {
      peak = equity;
      peak_time = t;
      return;
    }
    if (peak - equity > max_drawdown) max_drawdown = peak - equity;
    if (t - peak_time > longest) longest = t - peak_time;
  }
};

}  // namespace be::engine
