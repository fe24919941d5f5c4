#include "core/fixed_point.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>

namespace be {
namespace {

// Compile-time contracts: the conversion is constexpr, so these fail the build, not a test.
static_assert(parse_decimal("51613.38000000", 8).value() == 5161338000000);
static_assert(parse_decimal("-0.00000001", 8).value() == -1);
static_assert(!parse_decimal("0.000000001", 8).has_value());

std::int64_t parse_ok(std::string_view s, int scale) {
  auto r = parse_decimal(s, scale);
  EXPECT_TRUE(r.has_value()) << s << " at scale " << scale;
  return r.has_value() ? *r : 0;
}

DecimalError parse_err(std::string_view s, int scale) {
  auto r = parse_decimal(s, scale);
  EXPECT_FALSE(r.has_value()) << s << " parsed as " << (r ? *r : 0);
  return r.has_value() ? DecimalError{} : r.error();
}

TEST(FixedPoint, shouldParseBinancePriceExactly) {
  EXPECT_EQ(parse_ok("51613.38000000", 8), 5161338000000);
  EXPECT_EQ(parse_ok("0.00100000", 8), 100000);
  EXPECT_EQ(parse_ok("0", 8), 0);
  EXPECT_EQ(parse_ok("0.0", 2), 0);
  EXPECT_EQ(parse_ok("007.5", 1), 75);
  EXPECT_EQ(parse_ok("12", 0), 12);
}

TEST(FixedPoint, shouldAcceptTrailingZerosBeyondScale) {
  EXPECT_EQ(parse_ok("1.500000000000", 2), 150);
}

TEST(FixedPoint, shouldRejectDigitsThatWouldRound) {
  EXPECT_EQ(parse_err("1.005", 2), DecimalError::kTooManyDecimals);
  EXPECT_EQ(parse_err("0.000000001", 8), DecimalError::kTooManyDecimals);
}

TEST(FixedPoint, shouldRejectMalformedStrings) {
  EXPECT_EQ(parse_err("", 8), DecimalError::kEmpty);
  EXPECT_EQ(parse_err("-", 8), DecimalError::kEmpty);
  for (const char* bad : {"abc", "1.2.3", ".5", "5.", "+1", "1e5", " 1", "1 ", "--1", "1-", "0x10",
                          "1,5", "NaN", "inf", "-.1"}) {
    EXPECT_EQ(parse_err(bad, 8), DecimalError::kMalformed) << bad;
  }
}

TEST(FixedPoint, shouldRejectOutOfRangeAtScale) {
  // 92233720368.54775807 is INT64_MAX at scale 8.
  EXPECT_EQ(parse_ok("92233720368.54775807", 8), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(parse_err("92233720368.54775808", 8), DecimalError::kOutOfRange);
  EXPECT_EQ(parse_ok("-92233720368.54775808", 8), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(parse_err("-92233720368.54775809", 8), DecimalError::kOutOfRange);
  EXPECT_EQ(parse_err("99999999999999999999999", 0), DecimalError::kOutOfRange);
  EXPECT_EQ(parse_err("100000000000", 8), DecimalError::kOutOfRange);
}

TEST(FixedPoint, shouldRejectBadScale) {
  EXPECT_EQ(parse_err("1", -1), DecimalError::kBadScale);
  EXPECT_EQ(parse_err("1", 19), DecimalError::kBadScale);
}

TEST(FixedPoint, shouldFormatWithExactlyScaleDecimals) {
  EXPECT_EQ(decimal_to_string(5161338000000, 8), "51613.38000000");
  EXPECT_EQ(decimal_to_string(1, 8), "0.00000001");
  EXPECT_EQ(decimal_to_string(-1, 8), "-0.00000001");
  EXPECT_EQ(decimal_to_string(0, 8), "0.00000000");
  EXPECT_EQ(decimal_to_string(0, 0), "0");
  EXPECT_EQ(decimal_to_string(-42, 0), "-42");
  EXPECT_EQ(decimal_to_string(std::numeric_limits<std::int64_t>::min(), 8),
            "-92233720368.54775808");
  EXPECT_EQ(decimal_to_string(std::numeric_limits<std::int64_t>::max(), 18),
            "9.223372036854775807");
}

// Round trip over a seeded random sample of values and every scale.
TEST(FixedPoint, shouldRoundTripEveryValueAndScale) {
  std::mt19937_64 rng(20261123);
  for (int i = 0; i < 200000; ++i) {
    const auto value = static_cast<std::int64_t>(rng() >> (rng() % 64));
    const std::int64_t signed_value = (rng() & 1) ? -value : value;
    const int scale = static_cast<int>(rng() % (kMaxDecimalScale + 1));
    const std::string text = decimal_to_string(signed_value, scale);
    auto back = parse_decimal(text, scale);
    ASSERT_TRUE(back.has_value()) << text;
    ASSERT_EQ(*back, signed_value) << text << " scale " << scale;
  }
}

}  // namespace
}  // namespace be
