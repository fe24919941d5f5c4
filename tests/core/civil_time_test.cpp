#include "core/civil_time.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace be {
namespace {

constexpr Nanos kSecond = 1'000'000'000;
constexpr Nanos kDay = 86'400 * kSecond;

// Compile-time contracts: the formatter is constexpr, so a wrong date fails the build.
constexpr bool formats(Nanos t, std::string_view want) {
  char buf[kRfc3339NsChars] = {};
  const char* end = format_rfc3339_ns(t, buf);
  return std::string_view(buf, static_cast<std::size_t>(end - buf)) == want;
}
static_assert(formats(0, "1970-01-01T00:00:00.000000000Z"));
static_assert(formats(-1, "1969-12-31T23:59:59.999999999Z"));

struct Case {
  const char* what;
  Nanos t;
  const char* text;
};

// Expected texts from Python's datetime (an independent calendar), not from this code.
constexpr Case kCases[] = {
    {"the epoch", 0, "1970-01-01T00:00:00.000000000Z"},
    {"one nanosecond keeps nine digits", 1, "1970-01-01T00:00:00.000000001Z"},
    {"a whole second keeps nine zeros", kSecond, "1970-01-01T00:00:01.000000000Z"},
    {"a notification time", 1'763'868'812'123'456'789, "2025-11-23T03:33:32.123456789Z"},
    {"this session", 1'796'592'300'123'456'789, "2026-12-06T21:25:00.123456789Z"},
    {"leap day of a year divisible by 4", 1'709'164'800'000'000'005,
     "2024-02-29T00:00:00.000000005Z"},
    {"the day after a leap day", 1'709'164'800'000'000'000 + kDay,
     "2024-03-01T00:00:00.000000000Z"},
    {"leap day of a year divisible by 400", 951'782'400 * kSecond,
     "2000-02-29T00:00:00.000000000Z"},
    {"the last nanosecond of a leap year", 1'609'459'200 * kSecond - 1,
     "2020-12-31T23:59:59.999999999Z"},
    {"before 1970: the division floors", -1, "1969-12-31T23:59:59.999999999Z"},
    {"before 1970: one second and a bit", -kSecond - 1, "1969-12-31T23:59:58.999999999Z"},
    {"1900 is not a leap year", -2'203'977'600 * kSecond, "1900-02-28T00:00:00.000000000Z"},
    {"1900-03-01 follows 1900-02-28", -2'203'977'600 * kSecond + kDay,
     "1900-03-01T00:00:00.000000000Z"},
    {"the largest int64", std::numeric_limits<Nanos>::max(), "2262-04-11T23:47:16.854775807Z"},
    {"the smallest int64", std::numeric_limits<Nanos>::min(), "1677-09-21T00:12:43.145224192Z"},
};

TEST(Rfc3339Ns, FormatsEveryCaseWithNineFractionalDigits) {
  for (const Case& c : kCases) {
    const std::string text = rfc3339_ns(c.t);
    EXPECT_EQ(text, c.text) << c.what;
    EXPECT_EQ(text.size(), kRfc3339NsChars) << c.what;
    EXPECT_EQ(text[19], '.') << c.what;
    EXPECT_EQ(text.back(), 'Z') << c.what;
  }
}

TEST(Rfc3339Ns, CivilFromDaysInvertsDaysFromCivilOverFourCenturies) {
  // 1800..2200 covers the 100- and 400-year rules on both sides of the epoch.
  const std::int64_t first = days_from_civil(1800, 1, 1);
  const std::int64_t last = days_from_civil(2200, 12, 31);
  std::int64_t previous_year = 1799;
  for (std::int64_t z = first; z <= last; ++z) {
    const CivilDate d = civil_from_days(z);
    ASSERT_EQ(days_from_civil(d.year, d.month, d.day), z) << z;
    ASSERT_GE(d.month, 1u);
    ASSERT_LE(d.month, 12u);
    ASSERT_GE(d.day, 1u);
    ASSERT_LE(d.day, 31u);
    ASSERT_TRUE(d.year == previous_year || d.year == previous_year + 1) << z;
    previous_year = d.year;
  }
}

TEST(Rfc3339Ns, AppendTimeFieldsWritesTheTextAndTheExactIntegerAsAString) {
  std::string out = "{";
  append_time_fields(out, "time", 1'796'592'300'123'456'789);
  out += '}';
  EXPECT_EQ(out, R"({"time":"2026-12-06T21:25:00.123456789Z","time_ns":"1796592300123456789"})");

  std::string before;
  append_time_fields(before, "at", -1);
  EXPECT_EQ(before, R"("at":"1969-12-31T23:59:59.999999999Z","at_ns":"-1")");
}

}  // namespace
}  // namespace be
