// Calendar arithmetic on the proleptic Gregorian calendar, UTC only (no time zones, no DST):
// what exchange timestamps ("2021-02-19T00:00:00Z"), candle files and schedules need.
// Howard Hinnant's days_from_civil: exact, branch-light, constexpr.
#pragma once

#include <cstdint>

namespace be {

// Days since 1970-01-01 of year-month-day (month 1..12, day 1..31; not range-checked).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}
static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(2020, 1, 8) == 18269);
static_assert(days_from_civil(2021, 2, 19) == 18677);
static_assert(days_from_civil(1969, 12, 31) == -1);

}  // namespace be
