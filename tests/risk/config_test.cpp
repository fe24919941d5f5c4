// The bot risk config parser: the users' example exactly, exact decimals, and a bad config
// refused with every bad field named at once.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "risk/config.hpp"

namespace be::risk {
namespace {

// BTCUSDT on Binance: price and quantity at scale 8.
constexpr int kPriceScale = 8;
constexpr int kQtyScale = 8;

std::vector<std::string> fields_of(const std::vector<ConfigError>& errors) {
  std::vector<std::string> out;
  for (const ConfigError& e : errors)
    out.push_back(e.field + ": " + e.reason);
  return out;
}

TEST(RiskConfig, shouldParseTheUsersExampleExactly) {
  const auto parsed = parse_bot_risk_config(
      R"({"risk_management":{"max_position_size":1000.0,"stop_loss_pct":3.0,)"
      R"("take_profit_pct":6.0,"max_daily_loss":200.0,"max_daily_trades":5}})",
      kPriceScale, kQtyScale);
  ASSERT_TRUE(parsed.has_value()) << fields_of(parsed.error()).front();
  const BotConfig& c = *parsed;
  EXPECT_EQ(c.limits.max_position_notional, 1000'00000000);  // quote at price scale
  EXPECT_EQ(c.protection.stop_loss_bps, 300u);
  EXPECT_EQ(c.protection.take_profit_bps, 600u);
  EXPECT_EQ(c.limits.max_daily_loss, 200'00000000);
  EXPECT_EQ(c.limits.max_daily_trades, 5u);
  // Everything not named is "no limit".
  EXPECT_EQ(c.limits.max_order_quantity, 0);
  EXPECT_EQ(c.limits.max_drawdown, 0);
  EXPECT_EQ(c.protection.trailing_stop_bps, 0u);
}

TEST(RiskConfig, shouldConvertDecimalsWithoutGoingThroughDouble) {
  // 0.1 + 12345678.12345678 have no exact double; the text converts exactly.
  const auto parsed = parse_bot_risk_config(
      R"({"risk_management":{"max_position_size":12345678.12345678,"max_daily_loss":0.1,)"
      R"("max_order_quantity":0.00000001,"max_drawdown":90071992.54740993,)"
      R"("trailing_stop_pct":1.25,"price_band_bps":50,"order_rate_limit":10,)"
      R"("order_rate_window_ms":1000,"cancel_rate_limit":20,"cancel_rate_window_ms":2000,)"
      R"("max_open_orders":7,"max_consecutive_errors":3,"max_order_size":250.5,)"
      R"("max_position_quantity":2.5}})",
      kPriceScale, kQtyScale);
  ASSERT_TRUE(parsed.has_value()) << fields_of(parsed.error()).front();
  const BotConfig& c = *parsed;
  EXPECT_EQ(c.limits.max_position_notional, 1234567812345678);
  EXPECT_EQ(c.limits.max_daily_loss, 10000000);
  EXPECT_EQ(c.limits.max_order_quantity, 1);
  EXPECT_EQ(c.limits.max_drawdown, 9007199254740993);  // 2^53 + 1: a double would lose the 1
  EXPECT_EQ(c.protection.trailing_stop_bps, 125u);
  EXPECT_EQ(c.limits.price_band_bps, 50u);
  EXPECT_EQ(c.limits.order_rate_count, 10u);
  EXPECT_EQ(c.limits.order_rate_window_ns, 1'000'000'000);
  EXPECT_EQ(c.limits.cancel_rate_count, 20u);
  EXPECT_EQ(c.limits.cancel_rate_window_ns, 2'000'000'000);
  EXPECT_EQ(c.limits.max_open_orders, 7u);
  EXPECT_EQ(c.max_consecutive_errors, 3u);
  EXPECT_EQ(c.limits.max_order_notional, 250'50000000);
  EXPECT_EQ(c.limits.max_position_quantity, 2'50000000);
}

TEST(RiskConfig, shouldNameEveryBadFieldInOneErrorList) {
  const auto parsed = parse_bot_risk_config(
      R"({"risk_management":{"max_position_size":-5,"stop_loss_pct":"3",)"
      R"("take_profit_pct":6.001,"max_daily_trades":2.5,"bogus":1,"max_daily_loss":1e3,)"
      R"("stop_loss_pct":1,"price_band_bps":20000,"order_rate_limit":5,)"
      R"("trailing_stop_pct":100,"max_open_orders":true},"extra":{}})",
      kPriceScale, kQtyScale);
  ASSERT_FALSE(parsed.has_value());
  const std::vector<std::string> got = fields_of(parsed.error());
  const std::vector<std::string> want = {
      "risk_management.max_position_size: negative: must be >= 0",
      "risk_management.stop_loss_pct: wrong type: expected a number",
      "risk_management.take_profit_pct: out of range: more than 2 decimal places",
      "risk_management.max_daily_trades: wrong type: expected an integer",
      "risk_management.bogus: unknown field",
      "risk_management.max_daily_loss: exponent notation is not accepted: write the plain decimal",
      "risk_management.stop_loss_pct: duplicate field",
      "risk_management.price_band_bps: out of range: at most 10000",
      "risk_management.trailing_stop_pct: out of range: at most 99.99%",
      "risk_management.max_open_orders: wrong type: expected an integer",
      "extra: unknown field (expected only \"risk_management\")",
      "risk_management.order_rate_window_ms: missing: required with order_rate_limit",
  };
  EXPECT_EQ(got, want);
}

TEST(RiskConfig, shouldRefuseMalformedOrMissingDocuments) {
  const auto malformed = parse_bot_risk_config(R"([1,2])", kPriceScale, kQtyScale);
  ASSERT_FALSE(malformed.has_value());
  EXPECT_EQ(malformed.error().size(), 1u);
  const auto missing = parse_bot_risk_config(R"({})", kPriceScale, kQtyScale);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(fields_of(missing.error()), std::vector<std::string>{"risk_management: missing"});
  const auto not_object = parse_bot_risk_config(R"({"risk_management":5})", kPriceScale, kQtyScale);
  ASSERT_FALSE(not_object.has_value());
  EXPECT_EQ(fields_of(not_object.error()),
            std::vector<std::string>{"risk_management: wrong type: expected an object"});
  const auto too_big = parse_bot_risk_config(
      R"({"risk_management":{"max_daily_loss":100000000000}})", kPriceScale, kQtyScale);
  ASSERT_FALSE(too_big.has_value());
  EXPECT_EQ(fields_of(too_big.error()),
            std::vector<std::string>{"risk_management.max_daily_loss: out of range: too large"});
}

}  // namespace
}  // namespace be::risk
