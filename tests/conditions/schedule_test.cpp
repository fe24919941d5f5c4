// Schedules on event time: UTC parsing, interval alignment, active hours with window edges
// and midnight crossing, start/stop, long gaps coalescing, config errors, snapshots, and a
// brute-force twin that walks every minute.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "strategies/schedule/schedule.hpp"
#include "strategies/schedule/time_text.hpp"

namespace be::sched {
namespace {

constexpr Nanos kMin = kNanosPerMinute;
constexpr Nanos kHour = 60 * kMin;

Nanos at(std::string_view text) {
  auto t = parse_utc_instant(text);
  EXPECT_TRUE(t.has_value()) << text;
  return t.value_or(0);
}

ScheduleSpec spec_of(std::string_view json) {
  auto s = parse_schedule(json);
  EXPECT_TRUE(s.has_value()) << (s ? "" : config::format_errors(s.error()));
  return s ? *s : ScheduleSpec{};
}

bool names_field(const std::vector<config::FieldError>& errors, std::string_view field) {
  return std::any_of(errors.begin(), errors.end(),
                     [&](const config::FieldError& e) { return e.field == field; });
}

TEST(TimeText, shouldParseUtcInstantsDurationsAndClocks) {
  EXPECT_EQ(at("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(at("2026-01-01T00:00:00Z"), 1'767'225'600LL * kNanosPerSecond);
  EXPECT_EQ(at("2024-02-29 12:30:15Z"),
            at("2024-02-29T00:00:00Z") + 12 * kHour + 30 * kMin + 15 * kNanosPerSecond);
  EXPECT_FALSE(parse_utc_instant("2025-02-29T00:00:00Z"));
  EXPECT_FALSE(parse_utc_instant("2026-01-01T00:00:00"));  // no Z: not UTC by declaration
  EXPECT_FALSE(parse_utc_instant("2026-01-01T24:00:00Z"));
  EXPECT_FALSE(parse_utc_instant("2026-13-01T00:00:00Z"));
  EXPECT_EQ(weekday_of(0), 3);                           // Thursday
  EXPECT_EQ(weekday_of(at("2026-11-23T23:59:59Z")), 0);  // Monday
  EXPECT_EQ(weekday_of(-1), 2);                          // 1969-12-31, Wednesday
  EXPECT_EQ(parse_duration_seconds("15m", 86400), 900u);
  EXPECT_EQ(parse_duration_seconds("1d", 86400), 86400u);
  EXPECT_FALSE(parse_duration_seconds("2d", 86400));
  EXPECT_FALSE(parse_duration_seconds("0m", 86400));
  EXPECT_FALSE(parse_duration_seconds("m", 86400));
  EXPECT_FALSE(parse_duration_seconds("-5m", 86400));
  EXPECT_EQ(parse_clock_minutes("09:30"), 570);
  EXPECT_EQ(parse_clock_minutes("24:00"), 1440);
  EXPECT_FALSE(parse_clock_minutes("24:01"));
  EXPECT_FALSE(parse_clock_minutes("9:30"));
}

TEST(Schedule, shouldAlignIntervalTicksToTheEpoch) {
  Schedule s(spec_of(R"({"every":"15m"})"));
  const Nanos t = at("2026-03-10T10:07:13Z");
  s.arm(t);
  EXPECT_EQ(s.next_deadline(), at("2026-03-10T10:15:00Z"));
  auto due = s.on_time(at("2026-03-10T10:15:00Z"));
  EXPECT_TRUE(due.tick);
  EXPECT_EQ(due.missed, 0u);
  EXPECT_EQ(s.next_deadline(), at("2026-03-10T10:30:00Z"));
  // A tick due exactly at arm time is the first deadline.
  Schedule exact(spec_of(R"({"every":"15m"})"));
  exact.arm(at("2026-03-10T10:15:00Z"));
  EXPECT_EQ(exact.next_deadline(), at("2026-03-10T10:15:00Z"));
}

TEST(Schedule, shouldAlignIntervalTicksToTheStartTime) {
  Schedule s(spec_of(R"({"every":"1h","align":"start","start":"2026-03-10T09:20:00Z"})"));
  s.arm(at("2026-03-10T08:00:00Z"));
  EXPECT_FALSE(s.is_active(at("2026-03-10T09:19:59Z")));
  EXPECT_EQ(s.next_deadline(), at("2026-03-10T09:20:00Z"));
  auto due = s.on_time(at("2026-03-10T09:20:00Z"));
  EXPECT_TRUE(due.tick);
  EXPECT_TRUE(due.activity_changed);
  EXPECT_EQ(s.next_deadline(), at("2026-03-10T10:20:00Z"));
}

TEST(Schedule, shouldIgnoreDaylightSavingBecauseEverythingIsUtc) {
  // 2026-03-29 is the EU spring-forward day, 2026-11-01 the US fall-back day: in UTC both
  // have 24 hourly ticks, and a 09:00-17:00 window opens at 09:00Z on each.
  Schedule hourly(spec_of(R"({"every":"1h"})"));
  for (const char* day : {"2026-03-29T00:00:00Z", "2026-11-01T00:00:00Z"}) {
    EXPECT_EQ(hourly.count_active_ticks(at(day) - 1, at(day) + 24 * kHour - 1), 24u) << day;
  }
  Schedule office(spec_of(R"({"active_hours":"09:00-17:00"})"));
  office.arm(at("2026-03-29T05:00:00Z"));
  EXPECT_EQ(office.next_deadline(), at("2026-03-29T09:00:00Z"));
  EXPECT_EQ(office.next_change_after(at("2026-03-29T09:00:00Z")), at("2026-03-29T17:00:00Z"));
}

TEST(Schedule, shouldTreatWindowStartAsInsideAndWindowEndAsOutside) {
  Schedule s(spec_of(
      R"({"every":"1h","active_hours":"09:00-17:00","days":["mon","tue","wed","thu","fri"]})"));
  const Nanos mon = at("2026-11-23T00:00:00Z");
  EXPECT_FALSE(s.is_active(mon + 9 * kHour - 1));
  EXPECT_TRUE(s.is_active(mon + 9 * kHour));
  EXPECT_TRUE(s.is_active(mon + 17 * kHour - 1));
  EXPECT_FALSE(s.is_active(mon + 17 * kHour));
  // Ticks: 09:00 .. 16:00 fire; 17:00 is outside.
  EXPECT_EQ(s.next_tick_after(mon + 16 * kHour), mon + 24 * kHour + 9 * kHour);
  EXPECT_EQ(s.count_active_ticks(mon - 1, mon + 24 * kHour - 1), 8u);
  // Friday 16:00 is followed by Monday 09:00.
  const Nanos fri = mon + 4 * 24 * kHour;
  EXPECT_EQ(s.next_tick_after(fri + 16 * kHour), fri + 3 * 24 * kHour + 9 * kHour);
}

TEST(Schedule, shouldKeepAWindowCrossingMidnightOnTheDayItOpens) {
  Schedule s(spec_of(R"({"active_hours":"22:00-02:00","days":["fri"]})"));
  const Nanos thu = at("2026-11-26T00:00:00Z");
  const Nanos fri = thu + 24 * kHour;
  const Nanos sat = fri + 24 * kHour;
  EXPECT_FALSE(s.is_active(thu + 23 * kHour));
  EXPECT_FALSE(s.is_active(fri + 1 * kHour));  // Thursday's window is not listed
  EXPECT_TRUE(s.is_active(fri + 22 * kHour));
  EXPECT_TRUE(s.is_active(sat + 1 * kHour));
  EXPECT_FALSE(s.is_active(sat + 2 * kHour));
  EXPECT_FALSE(s.is_active(sat + 23 * kHour));
  EXPECT_EQ(s.next_change_after(thu), fri + 22 * kHour);
  EXPECT_EQ(s.next_change_after(fri + 22 * kHour), sat + 2 * kHour);
  EXPECT_EQ(s.next_change_after(sat + 2 * kHour), sat + 6 * 24 * kHour + 22 * kHour);
}

TEST(Schedule, shouldCoalesceALongGapIntoOneFiringAndCountTheMissedTicks) {
  Schedule s(spec_of(R"({"every":"1m"})"));
  const Nanos t0 = at("2026-11-23T00:00:30Z");
  s.arm(t0);
  ASSERT_EQ(s.next_deadline(), at("2026-11-23T00:01:00Z"));
  // One event a week later: the 10,080 ticks due fire once, 10,079 are counted missed.
  auto due = s.on_time(t0 + 7 * 24 * kHour);
  EXPECT_TRUE(due.tick);
  EXPECT_EQ(due.missed, 7u * 1440u - 1u);
  EXPECT_EQ(s.ticks_fired(), 1u);
  EXPECT_EQ(s.ticks_missed(), 7u * 1440u - 1u);
  EXPECT_EQ(s.next_deadline(), at("2026-11-30T00:01:00Z"));
}

TEST(Schedule, shouldFireNothingWhenAGapEndsOutsideActiveHours) {
  Schedule s(spec_of(R"({"every":"1h","active_hours":"09:00-17:00"})"));
  const Nanos mon = at("2026-11-23T00:00:00Z");
  s.arm(mon + 8 * kHour);
  ASSERT_EQ(s.next_deadline(), mon + 9 * kHour);  // the window opens and the first tick is due
  auto due = s.on_time(mon + 20 * kHour);         // next event: after the window closed
  EXPECT_FALSE(due.tick);
  EXPECT_EQ(due.missed, 8u);  // 09:00 .. 16:00
  EXPECT_FALSE(due.active);
  EXPECT_FALSE(
      due.activity_changed);  // inactive then, inactive now (the flips in between are not replayed)
  EXPECT_EQ(s.next_deadline(), mon + 33 * kHour);
}

TEST(Schedule, shouldStopTickingAtTheStopTime) {
  Schedule s(
      spec_of(R"({"every":"30m","start":"2026-11-23T10:00:00Z","stop":"2026-11-23T11:00:00Z"})"));
  s.arm(at("2026-11-23T09:00:00Z"));
  std::vector<Nanos> fired;
  Nanos now = at("2026-11-23T09:00:00Z");
  while (s.next_deadline() != kNever) {
    now = s.next_deadline();
    if (s.on_time(now).tick) fired.push_back(now);
  }
  EXPECT_EQ(fired, (std::vector<Nanos>{at("2026-11-23T10:00:00Z"), at("2026-11-23T10:30:00Z")}));
  EXPECT_EQ(now, at("2026-11-23T11:00:00Z"));  // the last deadline is the stop itself
  EXPECT_FALSE(s.is_active(now));
}

TEST(Schedule, shouldNeverFireWithoutEveryButReportActivityChanges) {
  Schedule s(spec_of(R"({"active_hours":"00:00-24:00","days":["sat","sun"]})"));
  const Nanos fri = at("2026-11-27T12:00:00Z");
  s.arm(fri);
  EXPECT_EQ(s.next_deadline(), at("2026-11-28T00:00:00Z"));
  auto due = s.on_time(s.next_deadline());
  EXPECT_FALSE(due.tick);
  EXPECT_TRUE(due.activity_changed);
  EXPECT_TRUE(due.active);
  // sat and sun windows touch: the next change is Monday 00:00, not Sunday.
  EXPECT_EQ(s.next_deadline(), at("2026-11-30T00:00:00Z"));
}

// The brute-force twin: walk minute by minute and compare with the arithmetic.
TEST(Schedule, shouldMatchAMinuteByMinuteWalkOnRandomSchedules) {
  std::mt19937_64 rng(42);
  const char* const everies[] = {"1m", "7m", "15m", "1h", "90m", "4h"};
  const Nanos base = at("2026-11-20T00:00:00Z");
  for (int round = 0; round < 40; ++round) {
    ScheduleSpec spec;
    spec.every_seconds = *parse_duration_seconds(everies[rng() % 6], 86400);
    if (rng() % 2) spec.start = base + static_cast<Nanos>(rng() % 3000) * kMin;
    if (rng() % 2) spec.stop = base + static_cast<Nanos>(4000 + rng() % 8000) * kMin;
    if (spec.start && rng() % 2) spec.align = Align::kStart;
    if (rng() % 3) {
      ActiveHours h;
      h.from_minute = static_cast<int>(rng() % 1440);
      h.to_minute = static_cast<int>(1 + rng() % 1440);
      if (h.to_minute == h.from_minute) h.to_minute = h.from_minute + 1;
      h.days = static_cast<std::uint8_t>(1 + rng() % 127);
      spec.hours = h;
    }
    Schedule s(spec);
    // Naive: every minute's activity and every tick, over 12 days.
    const Nanos step = static_cast<Nanos>(spec.every_seconds) * kNanosPerSecond;
    const Nanos anchor = spec.align == Align::kStart ? *spec.start : 0;
    std::vector<Nanos> ticks;
    for (Nanos m = base; m < base + 12 * 24 * kHour; m += kMin) {
      if ((m - anchor) % step == 0 && s.is_active(m)) ticks.push_back(m);
    }
    // is_active itself against a direct reading of the rules.
    for (Nanos m = base; m < base + 12 * 24 * kHour; m += 37 * kMin) {
      bool expect = (!spec.start || m >= *spec.start) && (!spec.stop || m < *spec.stop);
      if (expect && spec.hours) {
        const ActiveHours& h = *spec.hours;
        const Nanos day = floor_div(m, kNanosPerDay);
        const int minute = static_cast<int>((m - day * kNanosPerDay) / kMin);
        const bool crosses = h.to_minute <= h.from_minute;
        const bool today = (h.days >> weekday_of(m)) & 1;
        const bool yesterday = (h.days >> weekday_of(m - kNanosPerDay)) & 1;
        expect = crosses ? (today && minute >= h.from_minute) || (yesterday && minute < h.to_minute)
                         : today && minute >= h.from_minute && minute < h.to_minute;
      }
      ASSERT_EQ(s.is_active(m), expect) << "round " << round << " t " << m;
    }
    // next_tick_after from random points, and an event-driven run firing each tick.
    for (std::size_t i = 0; i + 1 < ticks.size(); i += 1 + rng() % 5) {
      ASSERT_EQ(s.next_tick_after(ticks[i]), ticks[i + 1]) << "round " << round;
      ASSERT_EQ(s.next_tick_after(ticks[i] - 1), ticks[i]) << "round " << round;
    }
    s.arm(base);
    std::vector<Nanos> fired;
    while (s.next_deadline() < base + 12 * 24 * kHour) {
      const Nanos now = s.next_deadline();
      auto due = s.on_time(now);
      if (due.tick) fired.push_back(now);
      ASSERT_EQ(due.missed, 0u);
    }
    ASSERT_EQ(fired, ticks) << "round " << round;
    // Coalescing: jumping straight to the end counts what was skipped.
    Schedule jump(spec);
    jump.arm(base);
    if (!ticks.empty() && jump.next_deadline() == ticks.front()) {
      const Nanos end = base + 12 * 24 * kHour - 1;
      auto due = jump.on_time(end);
      EXPECT_EQ(due.missed + (due.tick ? 1 : 0), ticks.size()) << "round " << round;
    }
  }
}

TEST(ScheduleConfig, shouldNameEveryBadField) {
  auto r = parse_schedule(R"({"every":"5x","align":"midnight","start":"yesterday",
                              "stop":"2026-01-01T00:00:00","active_hours":"9-5",
                              "days":["mon","funday"],"timezone":"CET"})");
  ASSERT_FALSE(r);
  for (const char* f : {"every", "align", "start", "stop", "active_hours", "days", "timezone"}) {
    EXPECT_TRUE(names_field(r.error(), f)) << f << "\n" << config::format_errors(r.error());
  }
  auto order = parse_schedule(R"({"start":"2026-01-02T00:00:00Z","stop":"2026-01-01T00:00:00Z"})");
  ASSERT_FALSE(order);
  EXPECT_TRUE(names_field(order.error(), "stop"));
  auto empty = parse_schedule(R"({"active_hours":"09:00-09:00"})");
  ASSERT_FALSE(empty);
  EXPECT_TRUE(names_field(empty.error(), "active_hours"));
  auto never = parse_schedule(R"({"every":"1d","active_hours":"09:00-17:00"})");
  ASSERT_FALSE(never);
  EXPECT_TRUE(names_field(never.error(), "every"));
  auto align = parse_schedule(R"({"every":"1h","align":"start"})");
  ASSERT_FALSE(align);
  EXPECT_TRUE(names_field(align.error(), "align"));
  EXPECT_TRUE(parse_schedule(R"({})").has_value());
}

TEST(Schedule, shouldRestoreItsStateAndRefuseAnotherSpec) {
  Schedule s(spec_of(R"({"every":"15m","active_hours":"09:00-17:00"})"));
  s.arm(at("2026-11-23T08:00:00Z"));
  (void)s.on_time(at("2026-11-23T12:00:00Z"));
  const auto bytes = s.save();
  Schedule copy(s.spec());
  ASSERT_TRUE(copy.restore(bytes));
  EXPECT_EQ(copy.state_hash(), s.state_hash());
  EXPECT_EQ(copy.next_deadline(), s.next_deadline());
  EXPECT_EQ(copy.ticks_missed(), s.ticks_missed());
  Schedule other(spec_of(R"({"every":"5m"})"));
  const auto before = other.state_hash();
  EXPECT_FALSE(other.restore(bytes));
  EXPECT_EQ(other.state_hash(), before);
  auto truncated = bytes;
  truncated.pop_back();
  EXPECT_FALSE(copy.restore(truncated));
}

}  // namespace
}  // namespace be::sched
