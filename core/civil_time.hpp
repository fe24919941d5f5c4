// Calendar arithmetic on the proleptic Gregorian calendar, UTC only (no time zones, no DST):
// what exchange timestamps ("2021-02-19T00:00:00Z"), candle files and schedules need.
// Howard Hinnant's days_from_civil / civil_from_days: exact, branch-light, constexpr.
//
// And the one spelling of a time in everything the engine writes for clients (API, event
// stream, webhooks, reports): RFC 3339 UTC with nine fractional digits,
// "2026-12-06T21:45:00.123456789Z", beside the exact integer nanoseconds as a decimal
// *string* ("time_ns"), because integers near 1.8e18 are beyond 2^53 and JavaScript clients
// would round a JSON number. docs/API.md ("Times") states the convention.
//
// Thread-safety: pure functions. format_rfc3339_ns never allocates (usable anywhere);
// rfc3339_ns and append_time_fields allocate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/ids.hpp"

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

struct CivilDate {
  std::int64_t year = 1970;
  unsigned month = 1;  // 1..12
  unsigned day = 1;    // 1..31
};

// The inverse of days_from_civil, for any day count (negative: before 1970).
constexpr CivilDate civil_from_days(std::int64_t z) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

// "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ": always this many characters. Every int64 nanosecond
// count lies in years 1677..2262, so the year always has four digits.
inline constexpr std::size_t kRfc3339NsChars = 30;

// Writes exactly kRfc3339NsChars characters of `t` (nanoseconds since the Unix epoch; before
// 1970 too: the division floors) to `out`; returns the end. No terminating NUL.
constexpr char* format_rfc3339_ns(Nanos t, char* out) noexcept {
  constexpr std::int64_t kNsPerDay = 86'400'000'000'000;
  std::int64_t days = t / kNsPerDay;
  std::int64_t in_day = t % kNsPerDay;
  if (in_day < 0) {
    in_day += kNsPerDay;
    --days;
  }
  const CivilDate date = civil_from_days(days);
  const auto digits = [&out](std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) {
      out[i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
    out += n;
  };
  const auto put = [&out](char c) { *out++ = c; };
  const auto ns = static_cast<std::uint64_t>(in_day);
  const std::uint64_t secs = ns / 1'000'000'000;
  digits(static_cast<std::uint64_t>(date.year), 4);
  put('-');
  digits(date.month, 2);
  put('-');
  digits(date.day, 2);
  put('T');
  digits(secs / 3600, 2);
  put(':');
  digits(secs / 60 % 60, 2);
  put(':');
  digits(secs % 60, 2);
  put('.');
  digits(ns % 1'000'000'000, 9);
  put('Z');
  return out;
}

inline std::string rfc3339_ns(Nanos t) {
  std::string s(kRfc3339NsChars, '\0');
  format_rfc3339_ns(t, s.data());
  return s;
}

// Appends `"<key>":"<RFC 3339>","<key>_ns":"<integer>"` to JSON text, the one way a time is
// written for clients. `key` is a plain name from our code (not escaped).
inline void append_time_fields(std::string& out, std::string_view key, Nanos t) {
  out += '"';
  out += key;
  out += "\":\"";
  const std::size_t at = out.size();
  out.resize(at + kRfc3339NsChars);
  format_rfc3339_ns(t, out.data() + at);
  out += "\",\"";
  out += key;
  out += "_ns\":\"";
  out += std::to_string(t);
  out += '"';
}

}  // namespace be
