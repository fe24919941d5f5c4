// Each incremental indicator against a naive twin that recomputes its window from scratch
// (STYLE.md #6), on the real 1-minute candles (BTC, DASH with its many flat bars, LTC) and on
// a seeded synthetic series with flat stretches and jumps. Bollinger's standard deviation is
// checked against an exact two-pass computation in long double: relative error <= 1e-9.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "feed/candle_file.hpp"
#include "strategies/indicators/bollinger.hpp"
#include "strategies/indicators/moving_average.hpp"
#include "strategies/indicators/oscillators.hpp"
#include "strategies/indicators/vwap.hpp"
#include "tests/strategies/test_data.hpp"

namespace {

using be::test::relative_error;

struct Series {
  std::string name;
  std::vector<double> high, low, close, volume;
};

// A random walk around 50,000 with runs of identical closes and occasional 5% jumps: flat
// windows and sudden volatility are where sliding sums go wrong.
Series synthetic(std::size_t n) {
  std::mt19937_64 rng(20260223);
  std::normal_distribution<double> step(0.0, 15.0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Series s{"synthetic", {}, {}, {}, {}};
  double price = 50000.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double r = u(rng);
    if (r < 0.3) {
      // unchanged: a flat bar
    } else if (r < 0.31) {
      price *= u(rng) < 0.5 ? 0.95 : 1.05;
    } else {
      price = std::round((price + step(rng)) * 100.0) / 100.0;
    }
    s.close.push_back(price);
    s.high.push_back(price + std::round(u(rng) * 2000.0) / 100.0);
    s.low.push_back(price - std::round(u(rng) * 2000.0) / 100.0);
    s.volume.push_back(r < 0.3 ? 0.0 : std::round(u(rng) * 1e6) / 1e4);
  }
  return s;
}

std::vector<Series> all_series() {
  std::vector<Series> out;
  out.push_back(synthetic(20000));
  if (const auto dir = be::test::shared_data_dir()) {
    for (const char* f : {"BTCUSDT_2021-02-19_1week_1m.json", "DASHUSDT_2020-09-09_1week_1m.json",
                          "LTCUSDT_2020-11-08_2days_1m.json"}) {
      auto c = be::replay::load_candles(*dir + "/candles-1m/" + f);
      EXPECT_TRUE(c) << c.error().message;
      if (c) out.push_back(Series{f, c->high, c->low, c->close, c->volume});
    }
  } else {
    std::cout << "[ note ] BE_SHARED_DATA absent: checking the synthetic series only\n";
  }
  return out;
}

const std::vector<Series>& series() {
  static const std::vector<Series> s = all_series();
  return s;
}

long double window_mean(const std::vector<double>& x, std::size_t end, std::size_t n) {
  long double sum = 0;
  for (std::size_t j = end + 1 - n; j <= end; ++j)
    sum += x[j];
  return sum / static_cast<long double>(n);
}

TEST(IndicatorReference, shouldMatchRecomputedWindowSma) {
  for (const Series& s : series()) {
    for (int n : {2, 9, 50, 200}) {
      be::ta::Sma sma(n);
      for (std::size_t i = 0; i < s.close.size(); ++i) {
        const bool ready = sma.update(s.close[i]);
        ASSERT_EQ(ready, i + 1 >= static_cast<std::size_t>(n)) << s.name << " n=" << n;
        if (!ready) continue;
        const auto exact =
            static_cast<double>(window_mean(s.close, i, static_cast<std::size_t>(n)));
        ASSERT_LE(relative_error(sma.value(), exact), 1e-12) << s.name << " n=" << n << " i=" << i;
      }
    }
  }
}

// The exact population standard deviation by two passes in long double.
double exact_stddev(const std::vector<double>& x, std::size_t end, std::size_t n) {
  const long double mean = window_mean(x, end, n);
  long double m2 = 0;
  for (std::size_t j = end + 1 - n; j <= end; ++j)
    m2 += (x[j] - mean) * (x[j] - mean);
  return static_cast<double>(std::sqrt(m2 / static_cast<long double>(n)));
}

TEST(IndicatorReference, shouldKeepBollingerStddevWithin1e9OfExactTwoPass) {
  for (const Series& s : series()) {
    for (int n : {5, 20, 200}) {
      be::ta::Bollinger bb(n, 2.0, 2.0);
      // TA-Lib's formula, E[x^2] - E[x]^2 over plain running sums, for comparison only.
      double sum = 0;
      double sum2 = 0;
      double worst = 0;
      double worst_naive = 0;
      for (std::size_t i = 0; i < s.close.size(); ++i) {
        sum += s.close[i];
        sum2 += s.close[i] * s.close[i];
        if (i >= static_cast<std::size_t>(n)) {
          sum -= s.close[i - static_cast<std::size_t>(n)];
          sum2 -=
              s.close[i - static_cast<std::size_t>(n)] * s.close[i - static_cast<std::size_t>(n)];
        }
        if (!bb.update(s.close[i])) continue;
        const double exact = exact_stddev(s.close, i, static_cast<std::size_t>(n));
        if (exact == 0.0) {
          ASSERT_EQ(bb.stddev(), 0.0) << s.name << " n=" << n << " i=" << i << ": flat window";
        } else {
          const double err = relative_error(bb.stddev(), exact);
          worst = std::max(worst, err);
          ASSERT_LE(err, 1e-9) << s.name << " n=" << n << " i=" << i;
        }
        const double mean = sum / n;
        const double var = sum2 / n - mean * mean;
        const double naive = var > 0 ? std::sqrt(var) : 0.0;
        worst_naive = std::max(
            worst_naive, exact == 0.0 ? (naive == 0.0 ? 0.0 : 1.0) : relative_error(naive, exact));
        const double band = 2.0 * exact;
        ASSERT_LE(
            relative_error(bb.upper(), static_cast<double>(window_mean(s.close, i, n)) + band),
            1e-12);
      }
      std::cout << "[ stddev ] " << s.name << " n=" << n << ": max relative error " << worst
                << " (E[x^2]-E[x]^2 running sums: " << worst_naive << ")\n";
    }
  }
}

TEST(IndicatorReference, shouldMatchScannedWindowStochastic) {
  for (const Series& s : series()) {
    const std::size_t fk = 14;
    be::ta::Stoch stoch(14, 3, 3);
    std::vector<double> fast;
    std::vector<double> slow_k;
    for (std::size_t i = 0; i < s.close.size(); ++i) {
      const bool ready = stoch.update(s.high[i], s.low[i], s.close[i]);
      ASSERT_EQ(ready, i >= static_cast<std::size_t>(stoch.lookback())) << s.name << " i=" << i;
      if (i + 1 < fk) continue;
      double hh = s.high[i];
      double ll = s.low[i];
      for (std::size_t j = i + 1 - fk; j <= i; ++j) {
        hh = std::max(hh, s.high[j]);
        ll = std::min(ll, s.low[j]);
      }
      fast.push_back(hh != ll ? (s.close[i] - ll) / ((hh - ll) / 100.0) : 0.0);
      if (fast.size() >= 3) {
        slow_k.push_back(static_cast<double>(window_mean(fast, fast.size() - 1, 3)));
      }
      if (!ready) continue;
      const double d = static_cast<double>(window_mean(slow_k, slow_k.size() - 1, 3));
      ASSERT_LE(std::fabs(stoch.k() - slow_k.back()), 1e-9) << s.name << " i=" << i;
      ASSERT_LE(std::fabs(stoch.d() - d), 1e-9) << s.name << " i=" << i;
    }
  }
}

TEST(IndicatorReference, shouldMatchRecomputedRollingAndCumulativeVwap) {
  for (const Series& s : series()) {
    for (int n : {0, 1, 20, 390}) {
      be::ta::Vwap vwap(n);
      long double cum_pv = 0;
      long double cum_v = 0;
      for (std::size_t i = 0; i < s.close.size(); ++i) {
        const double price = (s.high[i] + s.low[i] + s.close[i]) / 3.0;
        const bool ready = vwap.update(price, s.volume[i]);
        cum_pv += static_cast<long double>(price) * s.volume[i];
        cum_v += s.volume[i];
        ASSERT_EQ(ready, n == 0 || i + 1 >= static_cast<std::size_t>(n));
        if (!ready) continue;
        long double pv = cum_pv;
        long double v = cum_v;
        if (n > 0) {
          pv = 0;
          v = 0;
          for (std::size_t j = i + 1 - static_cast<std::size_t>(n); j <= i; ++j) {
            const double pj = (s.high[j] + s.low[j] + s.close[j]) / 3.0;
            pv += static_cast<long double>(pj) * s.volume[j];
            v += s.volume[j];
          }
        }
        const double expected = v == 0 ? price : static_cast<double>(pv / v);
        ASSERT_LE(relative_error(vwap.value(), expected), 1e-9)
            << s.name << " n=" << n << " i=" << i;
      }
    }
  }
}

TEST(IndicatorReference, shouldAverageVolumeOverTheWindow) {
  for (const Series& s : series()) {
    be::ta::VolumeSma vsma(20);
    for (std::size_t i = 0; i < s.volume.size(); ++i) {
      if (!vsma.update(s.volume[i])) continue;
      const auto exact = static_cast<double>(window_mean(s.volume, i, 20));
      ASSERT_LE(std::fabs(vsma.value() - exact), 1e-9 * std::max(1.0, exact)) << s.name << " " << i;
    }
  }
}

}  // namespace
