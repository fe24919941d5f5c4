// Condition configs: the documented forms, canonical text and hashing, every bad field named.
#include <gtest/gtest.h>

#include <algorithm>

#include "strategies/conditions/condition.hpp"

namespace be::cond {
namespace {

ConditionContext context(bool defaults = false) {
  ConditionContext c;
  c.resolve = [](std::string_view symbol) -> std::optional<InstrumentId> {
    if (symbol == "BTCUSDT") return InstrumentId{7};
    if (symbol == "ETHUSDT") return InstrumentId{8};
    return std::nullopt;
  };
  if (defaults) {
    c.default_instrument = InstrumentId{8};
    c.default_timeframe_seconds = 300;
  }
  return c;
}

std::string canonical(std::string_view json, bool defaults = false) {
  auto def = parse_condition(json, context(defaults));
  if (!def) return "error: " + config::format_errors(def.error());
  return canonical_text(*def);
}

bool names_field(const std::vector<config::FieldError>& errors, std::string_view field) {
  return std::any_of(errors.begin(), errors.end(),
                     [&](const config::FieldError& e) { return e.field == field; });
}

TEST(ConditionConfig, shouldReadTheDocumentedForms) {
  EXPECT_EQ(canonical(R"({"indicator":"rsi:14","symbol":"BTCUSDT","timeframe":"15m",
                          "operator":"crosses_below","value":30})"),
            "7/900s rsi:14.value crosses_below 30");
  EXPECT_EQ(canonical(R"({"indicator":"ema:9","operator":"crosses_above",
                          "value":{"indicator":"ema:21"}})",
                      true),
            "8/300s ema:9.value crosses_above ema:21.value");
  EXPECT_EQ(canonical(R"({"indicator":"bbands:20","output":"lower","symbol":"BTCUSDT",
                          "timeframe":"1h","operator":"above","value":"close"})"),
            "7/3600s bbands:20:2:2.lower above close");
  EXPECT_EQ(canonical(R"({"indicator":"macd","output":"hist","symbol":"ETHUSDT","timeframe":"4h",
                          "operator":"below","value":{"indicator":"macd:12:26:9","output":"signal"}})"),
            "8/14400s macd:12:26:9.hist below macd:12:26:9.signal");
}

TEST(ConditionConfig, shouldGiveEqualConditionsOneCanonicalTextAndHash) {
  const std::string a = canonical(R"({"indicator":"macd","symbol":"BTCUSDT","timeframe":"1m",
                                      "operator":"above","value":0})");
  const std::string b = canonical(R"({"indicator":"macd:26:12:9","output":"macd",
                                      "symbol":"BTCUSDT","timeframe":"60s","operator":"above",
                                      "value":-0.0})");
  const std::string c = canonical(R"({"indicator":"macd:12:26:9","symbol":"BTCUSDT",
                                      "timeframe":"1m","operator":"above","value":0e5})");
  EXPECT_EQ(a, "7/60s macd:12:26:9.macd above 0");
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, c);
  EXPECT_EQ(condition_hash(a), condition_hash(b));
  EXPECT_EQ(canonical(R"({"indicator":"rsi:14","symbol":"BTCUSDT","timeframe":"1m",
                          "operator":"above","value":30.50})"),
            "7/60s rsi:14.value above 30.5");
  EXPECT_EQ(canonical(R"({"indicator":"bbands:20:2.5","symbol":"BTCUSDT","timeframe":"1m",
                          "operator":"above","value":"high"})"),
            "7/60s bbands:20:2.5:2.5.upper above high");
  EXPECT_NE(condition_hash("7/60s rsi:14.value above 30"),
            condition_hash("7/60s rsi:14.value above 31"));
}

TEST(ConditionConfig, shouldNameEveryBadFieldAtOnce) {
  auto r = parse_condition(R"({"indicator":"rsi:0","symbol":"NOPE","timeframe":"7x",
                               "operator":"crosses","value":true,"extra":1})",
                           context());
  ASSERT_FALSE(r);
  for (const char* f : {"indicator", "symbol", "timeframe", "operator", "value", "extra"}) {
    EXPECT_TRUE(names_field(r.error(), f)) << f << "\n" << config::format_errors(r.error());
  }
  EXPECT_EQ(r.error().size(), 6u) << config::format_errors(r.error());
}

TEST(ConditionConfig, shouldNameBadFieldsInsideAnIndicatorValue) {
  auto r = parse_condition(R"({"indicator":"macd","output":"middle","symbol":"BTCUSDT",
                               "timeframe":"1m","operator":"above",
                               "value":{"indicator":"bogus:3","colour":"red"}})",
                           context());
  ASSERT_FALSE(r);
  EXPECT_TRUE(names_field(r.error(), "output"));
  EXPECT_TRUE(names_field(r.error(), "value.indicator"));
  EXPECT_TRUE(names_field(r.error(), "value.colour"));
  auto missing = parse_condition(R"({})", context());
  ASSERT_FALSE(missing);
  for (const char* f : {"indicator", "symbol", "timeframe", "operator", "value"}) {
    EXPECT_TRUE(names_field(missing.error(), f)) << f;
  }
}

TEST(ConditionConfig, shouldRefuseBadValuesAndNonObjects) {
  EXPECT_FALSE(parse_condition(R"([1,2])", context()));
  EXPECT_FALSE(parse_condition(R"({"indicator":"rsi:14","symbol":"BTCUSDT","timeframe":"1m",
                                   "operator":"above","value":"volume"})",
                               context()));
  EXPECT_FALSE(parse_condition(R"({"indicator":"rsi:14","symbol":"BTCUSDT","timeframe":"0m",
                                   "operator":"above","value":1})",
                               context()));
  EXPECT_FALSE(parse_condition(R"({"indicator":"rsi:14","symbol":"BTCUSDT","timeframe":"1m",
                                   "operator":"above","value":1e400})",
                               context()));
  auto bad_json = parse_condition("{", context());
  ASSERT_FALSE(bad_json);
  EXPECT_EQ(bad_json.error().size(), 1u);
}

}  // namespace
}  // namespace be::cond
