// The hand-written JSON: escaping, comma placement, numbers; and the templates it serves.
#include <gtest/gtest.h>

#include "core/json_config.hpp"
#include "runner/api/json_writer.hpp"
#include "runner/api/router.hpp"
#include "runner/api/templates.hpp"
#include "strategies/bots/registry.hpp"

namespace be::api {
namespace {

TEST(JsonWriter, shouldEscapeQuotesBackslashesAndControlCharacters) {
  JsonWriter w;
  w.begin_object().field("k\"ey", std::string_view("a\"b\\c\n\t\x01\x7f\xc3\xa9")).end_object();
  EXPECT_EQ(w.str(), "{\"k\\\"ey\":\"a\\\"b\\\\c\\n\\t\\u0001\x7f\xc3\xa9\"}");
  auto parsed = config::parse(w.str());
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_EQ(parsed->find("k\"ey")->text, "a\"b\\c\n\t\x01\x7f\xc3\xa9");
}

TEST(JsonWriter, shouldPlaceCommasInNestedArraysAndObjects) {
  JsonWriter w;
  w.begin_object().key("a").begin_array().integer(1).integer(-2).begin_object().end_object();
  w.begin_array().end_array().end_array().field("b", true).key("c").null();
  w.field("d", 1.5).end_object();
  EXPECT_EQ(w.str(), R"({"a":[1,-2,{},[]],"b":true,"c":null,"d":1.5})");
}

TEST(JsonWriter, shouldWriteNonFiniteNumbersAsNull) {
  JsonWriter w;
  w.begin_array().number(1.0 / 0.0).number(0.0 / 0.0).end_array();
  EXPECT_EQ(w.str(), "[null,null]");
}

// Every time in an answer is the RFC 3339 text and the exact integer as a string (API.md
// "Times"), placed by the writer like any field; the read model's 0 ("never") is null in both.
TEST(JsonWriter, shouldWriteTimesAsTextAndExactNanosecondStringsAndNeverAsNull) {
  JsonWriter w;
  w.begin_object().field("a", 1).time_field("time", 1'796'592'300'123'456'789);
  w.time_field("last_message_time", 0).field("b", 2).end_object();
  EXPECT_EQ(w.str(),
            R"({"a":1,"time":"2026-12-06T21:25:00.123456789Z","time_ns":"1796592300123456789",)"
            R"("last_message_time":null,"last_message_time_ns":null,"b":2})");
  auto parsed = config::parse(w.str());
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_EQ(parsed->find("time_ns")->text, "1796592300123456789");

  JsonWriter first;
  first.begin_array().begin_object().time_field("t", 1).end_object().end_array();
  EXPECT_EQ(first.str(), R"([{"t":"1970-01-01T00:00:00.000000001Z","t_ns":"1"}])");
}

TEST(QueryParam, shouldPercentDecodeAndFindByName) {
  EXPECT_EQ(query_param("/x?a=1&token=ab%2Bc+d", "token"), "ab+c d");
  EXPECT_EQ(query_param("/x?tokens=1", "token"), std::nullopt);
  EXPECT_EQ(query_param("/x", "token"), std::nullopt);
  EXPECT_EQ(query_param("/x?token=%zz%4", "token"), "%zz%4");
}

TEST(Templates, shouldOfferEachBuiltInFamilyWithAConfigTheRegistryAccepts) {
  bots::InstrumentInfo info;
  info.price_scale = 8;
  info.qty_scale = 8;
  info.tick_size = 1'000'000;
  info.step_size = 1'000;
  const bots::InstrumentResolver resolve =
      [&](std::string_view venue, std::string_view symbol) -> const bots::InstrumentInfo* {
    return venue == "binance" && symbol == "BTCUSDT" ? &info : nullptr;
  };
  std::vector<std::string_view> names;
  for (const BotTemplate& t : bot_templates()) {
    names.push_back(t.name);
    EXPECT_FALSE(t.title.empty());
    EXPECT_FALSE(t.description.empty());
    auto created = bots::BotRegistry::builtin().create(t.config_json, BotId{1}, resolve);
    EXPECT_TRUE(created.has_value())
        << t.name << ": " << (created ? "" : config::format_errors(created.error()));
  }
  EXPECT_EQ(names, (std::vector<std::string_view>{"dca", "grid", "rsi", "ma_cross", "custom"}));
}

}  // namespace
}  // namespace be::api
