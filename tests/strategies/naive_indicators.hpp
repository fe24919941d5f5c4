// Naive twins of the indicators (STYLE.md #6): whole-series functions that recompute each
// window from scratch, in long double where a sum is involved, written from the TA-Lib
// definitions without sharing any code with strategies/indicators. std::nullopt marks
// TA-Lib's warm-up. Used by the benchmarks to verify before timing; O(n * period).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <optional>
#include <vector>

namespace be::test::naive {

using Series = std::vector<std::optional<double>>;

inline long double window_sum(const std::vector<double>& x, std::size_t end, std::size_t n) {
  long double s = 0;
  for (std::size_t j = end + 1 - n; j <= end; ++j)
    s += x[j];
  return s;
}

inline Series sma(const std::vector<double>& x, std::size_t n) {
  Series out(x.size());
  for (std::size_t i = n - 1; i < x.size(); ++i) {
    out[i] = static_cast<double>(window_sum(x, i, n) / static_cast<long double>(n));
  }
  return out;
}

// Population standard deviation, two passes per window.
inline Series stddev(const std::vector<double>& x, std::size_t n) {
  Series out(x.size());
  for (std::size_t i = n - 1; i < x.size(); ++i) {
    const long double mean = window_sum(x, i, n) / static_cast<long double>(n);
    long double m2 = 0;
    for (std::size_t j = i + 1 - n; j <= i; ++j)
      m2 += (x[j] - mean) * (x[j] - mean);
    out[i] = static_cast<double>(std::sqrt(m2 / static_cast<long double>(n)));
  }
  return out;
}

// EMA seeded with the SMA of inputs [first, first + n).
inline Series ema_from(const std::vector<double>& x, std::size_t n, std::size_t first) {
  Series out(x.size());
  if (x.size() < first + n) return out;
  const double k = 2.0 / (static_cast<double>(n) + 1.0);
  double e = static_cast<double>(window_sum(x, first + n - 1, n) / static_cast<long double>(n));
  out[first + n - 1] = e;
  for (std::size_t i = first + n; i < x.size(); ++i)
    out[i] = e = (x[i] - e) * k + e;
  return out;
}

inline Series ema(const std::vector<double>& x, std::size_t n) {
  return ema_from(x, n, 0);
}

// Wilder-smoothed RSI; 0 when the average move is (within 1e-8) zero, as TA-Lib reports it.
inline Series rsi(const std::vector<double>& x, std::size_t n) {
  Series out(x.size());
  long double gain = 0;
  long double loss = 0;
  for (std::size_t i = 1; i < x.size(); ++i) {
    const long double d = static_cast<long double>(x[i]) - x[i - 1];
    const long double g = d > 0 ? d : 0;
    const long double l = d < 0 ? -d : 0;
    if (i <= n) {
      gain += g / n;
      loss += l / n;
      if (i < n) continue;
    } else {
      gain = (gain * (n - 1) + g) / n;
      loss = (loss * (n - 1) + l) / n;
    }
    const long double total = gain + loss;
    out[i] = std::fabs(total) < 1e-8 ? 0.0 : static_cast<double>(100 * gain / total);
  }
  return out;
}

// MACD line, signal and histogram, TA-Lib alignment: both EMAs start at index slow-1.
inline std::vector<Series> macd(const std::vector<double>& x, std::size_t fast, std::size_t slow,
                                std::size_t signal) {
  const Series f = ema_from(x, fast, slow - fast);
  const Series s = ema(x, slow);
  std::vector<double> line;
  for (std::size_t i = slow - 1; i < x.size(); ++i)
    line.push_back(*f[i] - *s[i]);
  const Series sig = ema(line, signal);
  std::vector<Series> out(3, Series(x.size()));
  for (std::size_t j = signal - 1; j < line.size(); ++j) {
    out[0][j + slow - 1] = line[j];
    out[1][j + slow - 1] = *sig[j];
    out[2][j + slow - 1] = line[j] - *sig[j];
  }
  return out;
}

inline Series atr(const std::vector<double>& h, const std::vector<double>& l,
                  const std::vector<double>& c, std::size_t n) {
  Series out(c.size());
  long double a = 0;
  for (std::size_t i = 1; i < c.size(); ++i) {
    const double tr =
        std::max({h[i] - l[i], std::fabs(h[i] - c[i - 1]), std::fabs(l[i] - c[i - 1])});
    if (i <= n) {
      a += tr;
      if (i < n) continue;
      a /= n;
    } else {
      a = (a * (n - 1) + tr) / n;
    }
    out[i] = static_cast<double>(a);
  }
  return out;
}

inline Series roc(const std::vector<double>& x, std::size_t n) {
  Series out(x.size());
  for (std::size_t i = n; i < x.size(); ++i) {
    out[i] = x[i - n] != 0 ? (x[i] / x[i - n] - 1.0) * 100.0 : 0.0;
  }
  return out;
}

// Slow %K and %D with SMA smoothing, highest/lowest by scanning the window.
inline std::vector<Series> stoch(const std::vector<double>& h, const std::vector<double>& l,
                                 const std::vector<double>& c, std::size_t fast_k,
                                 std::size_t slow_k, std::size_t slow_d) {
  std::vector<double> fast;
  for (std::size_t i = fast_k - 1; i < c.size(); ++i) {
    const double hh = *std::max_element(h.begin() + static_cast<long>(i + 1 - fast_k),
                                        h.begin() + static_cast<long>(i + 1));
    const double ll = *std::min_element(l.begin() + static_cast<long>(i + 1 - fast_k),
                                        l.begin() + static_cast<long>(i + 1));
    fast.push_back(hh != ll ? (c[i] - ll) / ((hh - ll) / 100.0) : 0.0);
  }
  const Series k = sma(fast, slow_k);
  std::vector<double> kv;
  for (const auto& v : k) {
    if (v) kv.push_back(*v);
  }
  const Series d = sma(kv, slow_d);
  std::vector<Series> out(2, Series(c.size()));
  const std::size_t offset = fast_k - 1 + slow_k - 1;
  for (std::size_t j = slow_d - 1; j < kv.size(); ++j) {
    out[0][j + offset] = kv[j];
    out[1][j + offset] = *d[j];
  }
  return out;
}

// Rolling VWAP of `price` weighted by `volume` over n bars; the last price when untraded.
inline Series vwap(const std::vector<double>& price, const std::vector<double>& volume,
                   std::size_t n) {
  Series out(price.size());
  for (std::size_t i = n - 1; i < price.size(); ++i) {
    long double pv = 0;
    long double v = 0;
    for (std::size_t j = i + 1 - n; j <= i; ++j) {
      pv += static_cast<long double>(price[j]) * volume[j];
      v += volume[j];
    }
    out[i] = v == 0 ? price[i] : static_cast<double>(pv / v);
  }
  return out;
}

}  // namespace be::test::naive
