#include "core/json_config.hpp"

#include <gtest/gtest.h>

namespace be::config {
namespace {

TEST(JsonConfig, shouldKeepNumbersExactlyAsWritten) {
  auto v = parse(R"({"max_position_size": 1000.0, "tiny": 0.00000001, "n": 14})");
  ASSERT_TRUE(v.has_value()) << v.error();
  std::vector<FieldError> errors;
  ObjectReader r(*v, "", errors);
  EXPECT_EQ(r.decimal("max_position_size", 8, Presence::kRequired, 0, INT64_MAX), 100000000000);
  EXPECT_EQ(r.decimal("tiny", 8, Presence::kRequired, 0, INT64_MAX), 1);
  EXPECT_EQ(r.integer("n", Presence::kRequired, 1, 100), 14);
  r.finish();
  EXPECT_TRUE(errors.empty()) << format_errors(errors);
}

TEST(JsonConfig, shouldNameEveryBadFieldAtOnce) {
  auto v = parse(R"({
    "period": 0, "ratio": "high", "side": "sideways", "amount": 0.123456789,
    "nested": {"flag": 1, "extra": true}, "typo_field": 5, "whole": 14.5
  })");
  ASSERT_TRUE(v.has_value()) << v.error();
  std::vector<FieldError> errors;
  ObjectReader r(*v, "bot", errors);
  r.integer("period", Presence::kRequired, 2, 500);
  r.number("ratio", Presence::kRequired, 0, 10);
  r.string("side", Presence::kRequired, {"buy", "sell"});
  r.decimal("amount", 8, Presence::kRequired, 0, INT64_MAX);
  r.integer("whole", Presence::kRequired, 1, 100);
  r.boolean("missing_required", Presence::kRequired);
  r.boolean("missing_optional", Presence::kOptional);
  if (auto nested = r.object("nested", Presence::kRequired)) {
    nested->boolean("flag", Presence::kRequired);
    nested->finish();
  }
  r.finish();
  const std::vector<FieldError> expected = {
      {"bot.period", "must be an integer from 2 to 500, got 0"},
      {"bot.ratio", "must be a number, got a string"},
      {"bot.side", "must be one of buy, sell, got \"sideways\""},
      {"bot.amount",
       "must be a decimal with at most 8 decimal places, got 0.123456789 (more decimal places "
       "than the scale allows)"},
      {"bot.whole", "must be an integer from 1 to 100, got 14.5"},
      {"bot.missing_required", "required field is missing"},
      {"bot.nested.flag", "must be true or false, got a number"},
      {"bot.nested.extra", "unknown field"},
      {"bot.typo_field", "unknown field"},
  };
  EXPECT_EQ(errors, expected) << format_errors(errors);
}

TEST(JsonConfig, shouldRefuseMalformedAndHostileDocuments) {
  EXPECT_FALSE(parse("").has_value());
  EXPECT_FALSE(parse("{").has_value());
  EXPECT_FALSE(parse(R"({"a": 1,})").has_value());
  EXPECT_FALSE(parse(R"({"a": 1} trailing)").has_value());
  EXPECT_FALSE(parse("42").has_value());
  auto dup = parse(R"({"a": 1, "a": 2})");
  ASSERT_FALSE(dup.has_value());
  EXPECT_NE(dup.error().find("duplicate key \"a\""), std::string::npos);
  std::string deep(100, '[');
  deep += std::string(100, ']');
  auto too_deep = parse(deep);
  ASSERT_FALSE(too_deep.has_value());
  EXPECT_NE(too_deep.error().find("nesting deeper"), std::string::npos) << too_deep.error();
  EXPECT_FALSE(parse(std::string(kMaxConfigBytes + 1, ' ')).has_value());
}

TEST(JsonConfig, shouldReadTheProductsRiskExample) {
  auto v = parse(
      R"({"risk_management":{"max_position_size":1000.0,"stop_loss_pct":3.0,"take_profit_pct":6.0,"max_daily_loss":200.0,"max_daily_trades":5}})");
  ASSERT_TRUE(v.has_value());
  std::vector<FieldError> errors;
  ObjectReader root(*v, "", errors);
  auto risk = root.object("risk_management", Presence::kRequired);
  ASSERT_TRUE(risk.has_value());
  EXPECT_EQ(risk->decimal("stop_loss_pct", 4, Presence::kOptional, 0, 1'000'000), 30000);
  EXPECT_EQ(risk->integer("max_daily_trades", Presence::kOptional, 0, 1'000'000), 5);
  EXPECT_TRUE(risk->has("max_daily_loss"));
}

}  // namespace
}  // namespace be::config
