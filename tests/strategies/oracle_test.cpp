// TA-Lib itself, compiled to WebAssembly (npm talib-web, driven by tests/oracle/ta_oracle.js),
// computes every indicator it has on the real 1-minute candles for several periods; each of
// our values must be within 1e-9 relative and ready exactly where TA-Lib starts.
// Needs `node` on PATH and `npm ci --prefix tests/oracle`; otherwise the test skips.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "feed/candle_file.hpp"
#include "strategies/indicators/indicator.hpp"
#include "tests/strategies/test_data.hpp"

#ifndef BE_ORACLE_DIR
#error "BE_ORACLE_DIR must name tests/oracle"
#endif

namespace {

// ta_oracle.js and botengine share the spec grammar.
const std::vector<std::string> kSpecs = {
    "sma:5",  "sma:20", "sma:50",      "sma:200",      "ema:9",        "ema:50",       "ema:200",
    "rsi:7",  "rsi:14", "rsi:21",      "macd:12:26:9", "macd:5:35:5",  "atr:14",       "atr:5",
    "roc:10", "mom:10", "stoch:5:3:3", "stoch:14:3:3", "bbands:5:2:2", "bbands:20:2:2"};

std::string run(const std::string& command) {
  std::string out;
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[1 << 16];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0)
    out.append(buf, n);
  const int status = ::pclose(pipe);
  if (status != 0) out = "FAILED(" + std::to_string(status) + "): " + out;
  return out;
}

class OracleTalib : public ::testing::TestWithParam<const char*> {};

TEST_P(OracleTalib, shouldMatchTalibOnRealCandles) {
  const auto dir = be::test::shared_data_dir();
  if (!dir) GTEST_SKIP() << "BE_SHARED_DATA not set or not found: real candles absent";
  if (std::system("command -v node > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "node is not on PATH: the TA-Lib oracle needs Node.js";
  }
  const std::string oracle = BE_ORACLE_DIR;
  if (!std::filesystem::exists(oracle + "/node_modules/talib-web/lib/talib.wasm")) {
    GTEST_SKIP() << "TA-Lib oracle not installed: run `npm ci --prefix tests/oracle`";
  }
  const std::string file = *dir + "/candles-1m/" + GetParam();
  auto candles = be::replay::load_candles(file);
  ASSERT_TRUE(candles) << candles.error().message;

  std::string command = "node '" + oracle + "/ta_oracle.js' '" + file + "'";
  for (const auto& s : kSpecs)
    command += " " + s;
  const std::string csv = run(command + " 2>&1");
  ASSERT_EQ(csv.rfind("index,", 0), 0u) << csv.substr(0, 500);

  std::vector<be::ta::AnyIndicator> ours;
  std::size_t columns = 0;
  for (const auto& s : kSpecs) {
    auto spec = be::ta::parse_indicator_spec(s);
    ASSERT_TRUE(spec) << spec.error().message;
    ours.emplace_back(*spec);
    columns += ours.back().output_count();
  }
  std::vector<double> worst(columns, 0.0);
  // Outputs that reach or cross zero are compared relative to a floor, not to 0: the price
  // level x 1e-6 for price differences (macd, hist, mom), 1e-6 for ROC percentages, and 1
  // for the 0..100 oscillators (rsi, stoch), whose natural scale is 100: TA-Lib's plain
  // running sums leave residue such as 4.7e-15 where our compensated sums give exactly 0.
  const double price_floor = 1e-6 * candles->close.front();

  std::istringstream lines(csv);
  std::string line;
  std::getline(lines, line);  // header
  std::size_t row = 0;
  while (std::getline(lines, line)) {
    ASSERT_LT(row, candles->size());
    const std::vector<std::string> cells = be::test::csv_cells(line);
    ASSERT_EQ(cells.size(), columns + 1) << "row " << row;
    std::size_t c = 1;
    for (std::size_t k = 0; k < ours.size(); ++k) {
      const bool ready = ours[k].update(candles->bars[row], 8, 8);
      for (std::size_t o = 0; o < ours[k].output_count(); ++o, ++c) {
        ASSERT_EQ(ready, !cells[c].empty())
            << kSpecs[k] << " output " << o << ": warm-up differs at bar " << row;
        if (!ready) continue;
        const double expected = std::strtod(cells[c].c_str(), nullptr);
        const auto starts = [&](const char* p) { return kSpecs[k].rfind(p, 0) == 0; };
        const double floor = starts("macd") || starts("mom")    ? price_floor
                             : starts("rsi") || starts("stoch") ? 1.0
                                                                : 1e-6;
        const double err = be::test::relative_error(ours[k].output(o), expected, floor);
        worst[c - 1] = std::max(worst[c - 1], err);
        // TA-Lib's BBANDS bands take E[x^2] - E[x]^2 from plain running sums: on DASH's flat
        // windows it reports a deviation of ~5e-6 where the exact one is 0 (1.3e-7 relative
        // on the band). Ours are held to 1e-9 against an exact two-pass computation in
        // reference_test.cpp and to the golden file; here the bands only have to agree with
        // TA-Lib to within TA-Lib's own cancellation error.
        const bool band = starts("bbands") && o != 1;
        ASSERT_LE(err, band ? 1e-6 : 1e-9)
            << kSpecs[k] << " output " << o << " bar " << row << ": ours " << ours[k].output(o)
            << ", TA-Lib " << cells[c];
      }
    }
    ++row;
  }
  EXPECT_EQ(row, candles->size());
  std::size_t c = 0;
  for (std::size_t k = 0; k < ours.size(); ++k) {
    for (std::size_t o = 0; o < ours[k].output_count(); ++o, ++c) {
      std::printf("[ oracle ] %s %s#%zu max relative error %.3g\n", GetParam(), kSpecs[k].c_str(),
                  o, worst[c]);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(RealCandles, OracleTalib,
                         ::testing::Values("BTCUSDT_2021-02-19_1week_1m.json",
                                           "DASHUSDT_2020-09-09_1week_1m.json",
                                           "LTCUSDT_2020-11-08_2days_1m.json"),
                         [](const auto& param_info) {
                           return std::string(param_info.param).substr(0, 4);
                         });

}  // namespace
