// Indicator spec strings: what `botengine ta --indicator` and bot configs accept.
#include <gtest/gtest.h>

#include <string>

#include "strategies/indicators/indicator.hpp"

namespace {

using be::ta::output_names;
using be::ta::parse_indicator_spec;

TEST(IndicatorSpec, shouldParseEveryIndicatorWithItsOutputs) {
  struct Case {
    const char* spec;
    std::vector<std::string> names;
    int lookback;
  };
  const Case cases[] = {
      {"sma:9", {"sma_9"}, 8},
      {"ema:21", {"ema_21"}, 20},
      {"rsi:14", {"rsi_14"}, 14},
      {"macd", {"macd_12_26_9_macd", "macd_12_26_9_signal", "macd_12_26_9_hist"}, 33},
      {"macd:5:35:5", {"macd_5_35_5_macd", "macd_5_35_5_signal", "macd_5_35_5_hist"}, 38},
      {"bbands:20", {"bbands_20_2_2_upper", "bbands_20_2_2_middle", "bbands_20_2_2_lower"}, 19},
      {"bbands:20:2.5",
       {"bbands_20_2.5_2.5_upper", "bbands_20_2.5_2.5_middle", "bbands_20_2.5_2.5_lower"},
       19},
      {"atr:14", {"atr_14"}, 14},
      {"roc:10", {"roc_10"}, 10},
      {"mom:10", {"mom_10"}, 10},
      {"vsma:20", {"vsma_20"}, 19},
      {"stoch", {"stoch_5_3_3_k", "stoch_5_3_3_d"}, 8},
      {"stoch:14:3:3", {"stoch_14_3_3_k", "stoch_14_3_3_d"}, 17},
      {"vwap:0", {"vwap_0"}, 0},
      {"vwap:30", {"vwap_30"}, 29},
  };
  for (const Case& c : cases) {
    auto spec = parse_indicator_spec(c.spec);
    ASSERT_TRUE(spec) << c.spec << ": " << spec.error().message;
    EXPECT_EQ(output_names(*spec), c.names) << c.spec;
    be::ta::AnyIndicator ind(*spec);
    EXPECT_EQ(ind.output_count(), c.names.size()) << c.spec;
    EXPECT_EQ(ind.lookback(), c.lookback) << c.spec;
  }
}

TEST(IndicatorSpec, shouldRejectBadSpecsNamingTheProblem) {
  struct Case {
    const char* spec;
    const char* mentions;
  };
  const Case cases[] = {
      {"", "unknown indicator"},
      {"foo:3", "unknown indicator 'foo'"},
      {"rsi", "takes 1 parameter"},
      {"rsi:", "parameter 1 ''"},
      {"rsi:abc", "parameter 1 'abc' is not an integer in 2..100000"},
      {"rsi:1", "not an integer in 2..100000"},
      {"sma:100001", "not an integer"},
      {"sma:-5", "not an integer"},
      {"sma:5x", "'5x'"},
      {"macd:12:26", "takes 0 or 3 parameters, got 2"},
      {"bbands", "takes 1..3 parameter"},
      {"bbands:20:-1", "not a number in 0..100"},
      {"bbands:20:nan", "not a number"},
      {"ema:5:5", "takes 1 parameter"},
      {"stoch:5:0:3", "parameter 2 '0'"},
      {"sma:1:2:3:4:5", "too many"},
  };
  for (const Case& c : cases) {
    auto spec = parse_indicator_spec(c.spec);
    ASSERT_FALSE(spec) << c.spec;
    EXPECT_NE(spec.error().message.find(c.mentions), std::string::npos)
        << c.spec << " -> " << spec.error().message;
    EXPECT_NE(spec.error().message.find(std::string("'") + c.spec + "'"), std::string::npos)
        << "the message must quote the spec: " << spec.error().message;
  }
}

}  // namespace
