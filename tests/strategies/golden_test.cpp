// TA-Lib's own output on 1,000 BTCUSDT 15m bars (shared/data/btcusdt-15m-talib): every value
// within 1e-9 relative, and warm-up cells empty exactly where TA-Lib's are.
#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "feed/candle_file.hpp"
#include "strategies/indicators/bollinger.hpp"
#include "strategies/indicators/macd.hpp"
#include "strategies/indicators/moving_average.hpp"
#include "strategies/indicators/oscillators.hpp"
#include "tests/strategies/test_data.hpp"

namespace {

using be::test::read_csv_column;
using be::test::relative_error;

constexpr double kTolerance = 1e-9;

class GoldenTalib : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto dir = be::test::shared_data_dir();
    if (!dir) GTEST_SKIP() << "BE_SHARED_DATA not set or not found: golden TA-Lib data absent";
    base_ = *dir + "/btcusdt-15m-talib/BTCUSDT_15m";
    auto candles = be::replay::load_candles(base_ + ".csv");
    ASSERT_TRUE(candles) << candles.error().message;
    candles_ = std::move(*candles);
    ASSERT_EQ(candles_.size(), 1000u);
  }

  // Feeds every close through `step` (which returns ready and writes the output) and
  // compares with column `col` of the golden file `suffix`.
  void expect_matches(const std::string& suffix, std::size_t col,
                      const std::function<std::optional<double>(double)>& step,
                      double floor = 0.0) {
    const auto golden = read_csv_column(base_ + suffix, col);
    ASSERT_EQ(golden.size(), candles_.size()) << suffix;
    double worst = 0.0;
    for (std::size_t i = 0; i < candles_.size(); ++i) {
      const std::optional<double> got = step(candles_.close[i]);
      ASSERT_EQ(got.has_value(), golden[i].has_value())
          << suffix << " column " << col << ": warm-up differs at bar " << i;
      if (!got) continue;
      const double err = relative_error(*got, *golden[i], floor);
      worst = std::max(worst, err);
      ASSERT_LE(err, kTolerance) << suffix << " column " << col << " bar " << i << ": got " << *got
                                 << ", TA-Lib " << *golden[i];
    }
    char worst_text[32];
    std::snprintf(worst_text, sizeof worst_text, "%.3g", worst);
    RecordProperty(suffix + "_" + std::to_string(col) + "_max_rel_error", worst_text);
  }

  std::string base_;
  be::replay::Candles candles_;
};

// A one-value indicator as expect_matches steps it: its value once ready, else nullopt.
template <class Indicator>
std::function<std::optional<double>(double)> value_once_ready(Indicator& indicator) {
  return [&indicator](double x) -> std::optional<double> {
    if (!indicator.update(x)) return std::nullopt;
    return indicator.value();
  };
}

TEST_F(GoldenTalib, shouldMatchTalibSma9) {
  be::ta::Sma sma(9);
  expect_matches("_SMA9.csv", 1, value_once_ready(sma));
}

TEST_F(GoldenTalib, shouldMatchTalibEma21SeededWithSma) {
  be::ta::Ema ema(21);
  expect_matches("_EMA21.csv", 1, value_once_ready(ema));
}

TEST_F(GoldenTalib, shouldMatchTalibRsi9WithWilderSmoothing) {
  be::ta::Rsi rsi(9);
  expect_matches("_RSI9.csv", 1, value_once_ready(rsi));
}

TEST_F(GoldenTalib, shouldMatchTalibBollinger5AllThreeBands) {
  for (std::size_t col = 1; col <= 3; ++col) {
    be::ta::Bollinger bb(5, 2.0, 2.0);
    expect_matches("_BBANDS5.csv", col, [&](double x) -> std::optional<double> {
      if (!bb.update(x)) return std::nullopt;
      return col == 1 ? bb.upper() : col == 2 ? bb.middle() : bb.lower();
    });
  }
}

TEST_F(GoldenTalib, shouldMatchTalibMacd12_26_9FirstValueAtIndex33) {
  // The histogram crosses zero: it is compared relative to the price level's 1e-6.
  const double floor = 1e-6 * candles_.close.front();
  for (std::size_t col = 1; col <= 3; ++col) {
    be::ta::Macd macd(12, 26, 9);
    EXPECT_EQ(macd.lookback(), 33);
    expect_matches(
        "_MACD_12_26_9.csv", col,
        [&](double x) -> std::optional<double> {
          if (!macd.update(x)) return std::nullopt;
          return col == 1 ? macd.macd() : col == 2 ? macd.signal() : macd.hist();
        },
        floor);
  }
}

}  // namespace
