// `botengine ta` end to end: the real binary on the golden TA-Lib candles, cells checked
// against TA-Lib's values; bad arguments exit 2 naming the argument, bad files exit 1.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/strategies/test_data.hpp"

#ifndef BE_BOTENGINE_BIN
#error "BE_BOTENGINE_BIN must name the botengine binary"
#endif

namespace {

struct Result {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};

Result run(const std::string& args) {
  Result r;
  const std::string command = std::string("'") + BE_BOTENGINE_BIN + "' ta " + args + " 2>&1";
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[1 << 16];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0)
    r.out.append(buf, n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const std::vector<std::string> cells = be::test::csv_cells(line);
    rows.push_back(cells);
  }
  return rows;
}

TEST(TaCli, shouldPrintIndicatorsMatchingTalibGoldenValues) {
  const auto dir = be::test::shared_data_dir();
  if (!dir) GTEST_SKIP() << "BE_SHARED_DATA not set or not found: golden TA-Lib data absent";
  const std::string base = *dir + "/btcusdt-15m-talib/BTCUSDT_15m";
  const Result r = run("--input '" + base + ".csv' --indicator rsi:9 --indicator macd:12:26:9" +
                       " --indicator bbands:5 --indicator sma:9 --indicator ema:21");
  ASSERT_EQ(r.exit_code, 0) << r.out.substr(0, 500);
  const auto rows = parse_csv(r.out);
  ASSERT_EQ(rows.size(), 1001u);
  const std::vector<std::string> header = {"time",
                                           "close",
                                           "rsi_9",
                                           "macd_12_26_9_macd",
                                           "macd_12_26_9_signal",
                                           "macd_12_26_9_hist",
                                           "bbands_5_2_2_upper",
                                           "bbands_5_2_2_middle",
                                           "bbands_5_2_2_lower",
                                           "sma_9",
                                           "ema_21"};
  ASSERT_EQ(rows[0], header);
  EXPECT_EQ(rows[1][0], "1578447000000") << "2020-01-08 01:30:00 UTC in ms";
  EXPECT_EQ(rows[1][1], "8379.13");

  struct Golden {
    const char* file;
    std::size_t golden_col;
    std::size_t cli_col;
  };
  const Golden checks[] = {
      {"_RSI9.csv", 1, 2},         {"_MACD_12_26_9.csv", 1, 3}, {"_MACD_12_26_9.csv", 2, 4},
      {"_MACD_12_26_9.csv", 3, 5}, {"_BBANDS5.csv", 1, 6},      {"_BBANDS5.csv", 2, 7},
      {"_BBANDS5.csv", 3, 8},      {"_SMA9.csv", 1, 9},         {"_EMA21.csv", 1, 10}};
  for (const Golden& g : checks) {
    const auto golden = be::test::read_csv_column(base + g.file, g.golden_col);
    ASSERT_EQ(golden.size(), 1000u);
    for (std::size_t i = 0; i < golden.size(); ++i) {
      const std::string& cell = rows[i + 1][g.cli_col];
      ASSERT_EQ(cell.empty(), !golden[i].has_value())
          << header[g.cli_col] << ": warm-up differs at bar " << i;
      if (cell.empty()) continue;
      // %.12g: 12 significant digits; MACD values are compared at the price level's scale.
      EXPECT_LE(be::test::relative_error(std::strtod(cell.c_str(), nullptr), *golden[i], 1e-3),
                1e-9)
          << header[g.cli_col] << " bar " << i << ": " << cell << " vs " << *golden[i];
    }
  }
}

TEST(TaCli, shouldExitTwoNamingTheBadArgument) {
  struct Case {
    std::string args;
    std::string mentions;
  };
  const Case cases[] = {
      {"", "missing --input"},
      {"--input x.csv", "missing --indicator"},
      {"--input x.csv --indicator rsi:0", "indicator 'rsi:0'"},
      {"--input x.csv --indicator wiggle:3", "unknown indicator 'wiggle'"},
      {"--input x.csv --indicator", "'--indicator' needs a value"},
      {"--input x.csv --indicator rsi:14 --frobnicate", "unknown argument '--frobnicate'"},
      {"--input x.csv --indicator rsi:14 --price-scale 19", "'--price-scale 19'"},
  };
  for (const Case& c : cases) {
    const Result r = run(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << " -> " << r.out;
    EXPECT_NE(r.out.find(c.mentions), std::string::npos) << c.args << " -> " << r.out;
  }
}

TEST(TaCli, shouldExitOneOnUnreadableOrMalformedFile) {
  Result r = run("--input /nonexistent/candles.csv --indicator rsi:14");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("/nonexistent/candles.csv: cannot open"), std::string::npos) << r.out;

  const std::string path = ::testing::TempDir() + "ta_cli_malformed.csv";
  {
    std::ofstream f(path);
    f << "time,open,high,low,close,volume\n"
      << "1600000000,1.0,2.0,0.5,1.5,10\n"
      << "1600000060,1.0,2.0,0.5,1.5x,10\n";
  }
  r = run("--input '" + path + "' --indicator rsi:14");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("line 3: field 'close'"), std::string::npos) << r.out;
}

}  // namespace
