#include "replay/report_metrics.hpp"

#include <cmath>

namespace be::engine {

RatioSet risk_ratios(std::span<const double> equity, double capital, double max_drawdown) {
  ReturnSeries series;
  for (const double e : equity)
    series.add(e);
  return series.ratios(capital, max_drawdown);
}

RatioSet ReturnSeries::ratios(double capital, double max_drawdown) const noexcept {
  RatioSet out;
  if (n_ < 2 || capital <= 0) return out;
  // r = change / capital, so each figure of r is the change's divided by capital.
  const double mean = mean_ / capital;
  const double annual = std::sqrt(kPeriodsPerYear);
  const double stdev = std::sqrt(m2_ / static_cast<double>(n_ - 1)) / capital;
  if (stdev > 0) out.sharpe = mean / stdev * annual;
  const double downside_dev = std::sqrt(downside_ / static_cast<double>(n_)) / capital;
  if (downside_dev > 0) out.sortino = mean / downside_dev * annual;
  if (max_drawdown > 0) out.calmar = mean_ * kPeriodsPerYear / max_drawdown;
  return out;
}

}  // namespace be::engine
