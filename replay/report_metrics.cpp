#include "replay/report_metrics.hpp"

#include <cmath>

namespace be::engine {

RatioSet risk_ratios(std::span<const double> equity, double capital, double max_drawdown) {
  RatioSet out;
  const std::size_t n = equity.size();
  if (n < 2 || capital <= 0) return out;
  double sum = 0, previous = 0, downside = 0;
  for (double e : equity) {
    const double r = (e - previous) / capital;
    sum += r;
    downside += r < 0 ? r * r : 0.0;
    previous = e;
  }
  const double mean = sum / static_cast<double>(n);
  double squares = 0;
  previous = 0;
  for (double e : equity) {
    const double r = (e - previous) / capital;
    squares += (r - mean) * (r - mean);
    previous = e;
  }
  const double annual = std::sqrt(kPeriodsPerYear);
  const double stdev = std::sqrt(squares / static_cast<double>(n - 1));
  if (stdev > 0) out.sharpe = mean / stdev * annual;
  const double downside_dev = std::sqrt(downside / static_cast<double>(n));
  if (downside_dev > 0) out.sortino = mean / downside_dev * annual;
  if (max_drawdown > 0) out.calmar = mean * capital * kPeriodsPerYear / max_drawdown;
  return out;
}

}  // namespace be::engine
