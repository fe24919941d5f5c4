// core/log.hpp: the text format keeps the lines operators know; the JSON format is one object
// per line that a JSON parser reads back with every field, whatever the message holds.
#include "core/log.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/json_config.hpp"

namespace be::log {
namespace {

constexpr Nanos kTime = 1'796'598'602'118'273'645;

TEST(Log, shouldKeepTheTextLinesOperatorsKnow) {
  EXPECT_EQ(format_line(Format::kText, kTime, Level::kError, kRun, "journal failed: ENOSPC"),
            "botengine run: journal failed: ENOSPC");
  EXPECT_EQ(format_line(Format::kText, kTime, Level::kWarning, kRun, "recovery: snapshot skipped"),
            "botengine run: warning: recovery: snapshot skipped");
  EXPECT_EQ(format_line(Format::kText, kTime, Level::kInfo, kRunProgress, "stopped cleanly"),
            "stopped cleanly");
  EXPECT_EQ(format_line(Format::kText, kTime, Level::kWarning, kNotify, "webhook 'ops' failed",
                        {{"seq", "42"}}),
            "notify: warning: webhook 'ops' failed seq=42");
}

TEST(Log, shouldWriteOneJsonObjectPerLineWithEveryField) {
  const std::string message = "a \"quoted\" path C:\\x and a\nnewline \x01";
  const std::string line = format_line(Format::kJson, kTime, Level::kError, kEngine, message,
                                       {{"webhook", "ops \"desk\""}, {"seq", "42"}});
  EXPECT_EQ(line.find('\n'), std::string::npos);  // one line, whatever the message holds
  auto parsed = config::parse(line);
  ASSERT_TRUE(parsed.has_value()) << line;
  const config::Value& v = *parsed;
  ASSERT_NE(v.find("time"), nullptr);
  EXPECT_EQ(v.find("time")->text, "2026-12-06T23:10:02.118273645Z");
  EXPECT_EQ(v.find("time_ns")->text, "1796598602118273645");
  EXPECT_EQ(v.find("level")->text, "error");
  EXPECT_EQ(v.find("component")->text, "engine");
  EXPECT_EQ(v.find("message")->text, message);
  EXPECT_EQ(v.find("webhook")->text, "ops \"desk\"");
  EXPECT_EQ(v.find("seq")->text, "42");
}

TEST(Log, shouldParseOnlyTheTwoFormats) {
  Format f = Format::kText;
  EXPECT_TRUE(parse_format("json", f));
  EXPECT_EQ(f, Format::kJson);
  EXPECT_TRUE(parse_format("text", f));
  EXPECT_EQ(f, Format::kText);
  EXPECT_FALSE(parse_format("JSON", f));
  EXPECT_FALSE(parse_format("", f));
}

}  // namespace
}  // namespace be::log
