// replay/report_metrics: each report figure against a hand-worked example
// (docs/BACKTEST.md states the definitions).
#include "replay/report_metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace {

using be::engine::DrawdownTracker;
using be::engine::risk_ratios;
using be::engine::TradeStats;

TEST(ReportMetrics, shouldAnnualiseSharpeSortinoAndCalmarFromMinuteReturnsAsDocumented) {
  // Equity 1, 3, 2, 6 at four minute ends over a capital of 100: returns .01, .02, -.01, .04,
  // mean .015; deviations -.005, .005, -.025, .025: sum of squares .0013, sample variance
  // .0013 / 3; downside: only -.01, mean square .0001 / 4 = .000025, deviation .005.
  const std::vector<double> equity = {1, 3, 2, 6};
  const auto r = risk_ratios(equity, 100, 2);
  const double year = std::sqrt(525'600.0);  // minutes in 365 days of 24 h
  ASSERT_TRUE(r.sharpe && r.sortino && r.calmar);
  EXPECT_NEAR(*r.sharpe, 0.015 / std::sqrt(0.0013 / 3) * year, 1e-9);
  EXPECT_NEAR(*r.sortino, 0.015 / 0.005 * year, 1e-9);
  // Annualised PnL: 1.5 a minute x 525,600 minutes, over a drawdown of 2.
  EXPECT_NEAR(*r.calmar, 1.5 * 525'600 / 2, 1e-6);
}

TEST(ReportMetrics, shouldLeaveRatiosUndefinedWithoutEnoughPeriodsDispersionLossesOrDrawdown) {
  const std::vector<double> one = {5};
  const auto few = risk_ratios(one, 100, 1);
  EXPECT_FALSE(few.sharpe || few.sortino || few.calmar);
  const std::vector<double> flat = {0, 0, 0};
  const auto none = risk_ratios(flat, 100, 0);
  EXPECT_FALSE(none.sharpe || none.sortino || none.calmar);
  const std::vector<double> rising = {1, 2, 3};  // no dispersion, no loss, no drawdown
  const auto up = risk_ratios(rising, 100, 0);
  EXPECT_FALSE(up.sharpe || up.sortino || up.calmar);
  EXPECT_FALSE(risk_ratios(rising, 0, 1).sharpe);  // no capital: no returns
}

TEST(ReportMetrics, shouldComputeProfitFactorAndExpectancyOverClosingTrades) {
  TradeStats t;
  for (double pnl : {3.0, -1.0, 2.0, -2.0})
    t.add_closing(pnl);
  EXPECT_EQ(t.closing, 4u);
  EXPECT_EQ(t.winning, 2u);
  ASSERT_TRUE(t.profit_factor());
  EXPECT_DOUBLE_EQ(*t.profit_factor(), 5.0 / 3.0);
  EXPECT_DOUBLE_EQ(t.expectancy(), 0.5);
  TradeStats only_wins;
  only_wins.add_closing(1);
  EXPECT_FALSE(only_wins.profit_factor());
  EXPECT_DOUBLE_EQ(only_wins.expectancy(), 1.0);
  EXPECT_DOUBLE_EQ(TradeStats{}.expectancy(), 0.0);
}

TEST(ReportMetrics, shouldMeasureTheDeepestDrawdownAndTheLongestTimeBelowAPeak) {
  DrawdownTracker d;
  // Peak 5 at t=10, 3 below it at t=20, still below at 35 (25 s), back above at 40 (peak 6),
  // 5 below at 50, 3 below at 60 (20 s since the peak): deepest 5, longest 25.
  for (auto [t, e] : std::vector<std::pair<be::Nanos, std::int64_t>>{
           {0, 0}, {10, 5}, {20, 2}, {35, 4}, {40, 6}, {50, 1}, {60, 3}}) {
    d.add(t, e);
  }
  EXPECT_EQ(d.max_drawdown, 5);
  EXPECT_EQ(d.longest, 25);
  EXPECT_EQ(d.peak, 6);
}

}  // namespace
