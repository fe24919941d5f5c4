// The time texts operators write in condition and schedule configs, read exactly and without
// a clock or a time zone database: every time here is UTC, so there is no DST to get wrong.
//
//   duration   N followed by s, m, h or d: "30s", "15m", "4h", "1d" (N a positive integer)
//   clock      "HH:MM" in 00:00..23:59, and "24:00" as the end of a day
//   instant    "YYYY-MM-DDTHH:MM:SSZ" (a space may stand for 'T'; the 'Z' is required, so
//              nobody writes a local time by mistake)
//
// Thread-safety: pure functions. Allocation: none.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/ids.hpp"

namespace be::sched {

inline constexpr Nanos kNanosPerSecond = 1'000'000'000;
inline constexpr Nanos kNanosPerMinute = 60 * kNanosPerSecond;
inline constexpr Nanos kNanosPerDay = 86'400 * kNanosPerSecond;

// Seconds, at most `max_seconds`; nullopt when malformed, zero or larger.
std::optional<std::uint32_t> parse_duration_seconds(std::string_view text,
                                                    std::uint32_t max_seconds) noexcept;

// Minutes since 00:00 (0..1440); nullopt when malformed.
std::optional<int> parse_clock_minutes(std::string_view text) noexcept;

// Nanoseconds since the Unix epoch; nullopt when malformed or not a real date.
std::optional<Nanos> parse_utc_instant(std::string_view text) noexcept;

// floor(t / step) for negative t too.
constexpr Nanos floor_div(Nanos t, Nanos step) noexcept {
  const Nanos q = t / step;
  return (t % step != 0 && t < 0) ? q - 1 : q;
}

// 0 = Monday .. 6 = Sunday for the UTC day holding t (1970-01-01 was a Thursday).
constexpr int weekday_of(Nanos t) noexcept {
  const Nanos day = floor_div(t, kNanosPerDay);
  const Nanos w = (day + 3) % 7;
  return static_cast<int>(w < 0 ? w + 7 : w);
}

}  // namespace be::sched
