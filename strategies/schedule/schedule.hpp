// Schedules on event time: interval ticks, active hours, start and stop times, all turned
// into timer deadlines computed from the event time handed in, never from a clock, so a
// replay of the same inputs sets the same timers and fires them at the same points.
//
// What a schedule says (docs/CONDITIONS.md, "Scheduling"):
//  - every N (optional): ticks at anchor + k*N. The anchor is the Unix epoch (align "epoch",
//    the default: "every 15m" ticks at :00, :15, :30, :45 UTC like the exchanges' bars) or
//    the start time (align "start": "every 1h" from 09:20 ticks at 09:20, 10:20, ...).
//  - start / stop (optional): active on [start, stop).
//  - active hours (optional): a daily UTC window [from, to) on the listed weekdays (all by
//    default). A window whose `to` is not after `from` crosses midnight and belongs to the
//    weekday it opens on: "22:00-02:00" on fri is active Fri 22:00 .. Sat 02:00.
// A tick fires only while the schedule is active; ticks that fall outside are skipped, not
// missed. Everything is UTC, so there is no DST: every day has 24 hours of ticks.
//
// Missed ticks: when the event time handed to on_time() is past several due ticks (a feed
// gap, a replay that jumps), they coalesce into ONE firing; how many active ticks were
// skipped is reported in Due::missed and summed in ticks_missed(), never fired one by one.
// Counting them is arithmetic per active run (one step per window crossed), never per tick.
//
// Usage from a bot: on_start: sched.arm(ctx.now()); ctx.set_timer(id, sched.next_deadline());
// on_timer: auto due = sched.on_time(ctx.now()); act on due.tick / due.activity_changed;
// ctx.set_timer(id, sched.next_deadline()) unless it is kNever.
//
// Thread-safety: none (one owner). Allocation: none after construction; no exceptions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "core/expected.hpp"
#include "core/ids.hpp"
#include "core/json_config.hpp"

namespace be::sched {

inline constexpr Nanos kNever = std::numeric_limits<Nanos>::max();

enum class Align : std::uint8_t { kEpoch = 0, kStart = 1 };

struct ActiveHours {
  int from_minute = 0;       // 0..1439
  int to_minute = 1440;      // 1..1440; <= from_minute: the window crosses midnight
  std::uint8_t days = 0x7F;  // bit w = weekday w (0 Monday .. 6 Sunday)
  friend bool operator==(const ActiveHours&, const ActiveHours&) = default;
};

struct ScheduleSpec {
  std::uint32_t every_seconds = 0;  // 0: no ticks, only activity changes
  Align align = Align::kEpoch;
  std::optional<Nanos> start;
  std::optional<Nanos> stop;
  std::optional<ActiveHours> hours;
  friend bool operator==(const ScheduleSpec&, const ScheduleSpec&) = default;
};

class Schedule {
 public:
  // Precondition: a spec that read_schedule() accepts (or equivalent): every_seconds fits,
  // align kStart has a start, stop > start.
  explicit Schedule(const ScheduleSpec& spec) noexcept : spec_(spec) {}

  const ScheduleSpec& spec() const noexcept { return spec_; }

  // Pure questions about the spec.
  bool is_active(Nanos t) const noexcept;
  // The first active tick strictly after t, or kNever.
  Nanos next_tick_after(Nanos t) const noexcept;
  // The first time strictly after t at which is_active differs from is_active(t), or kNever.
  Nanos next_change_after(Nanos t) const noexcept;
  // Active ticks in (from, to].
  std::uint64_t count_active_ticks(Nanos from, Nanos to) const noexcept;

  // Starts at event time `now`: a tick due exactly at `now` is the first deadline.
  void arm(Nanos now) noexcept;
  bool armed() const noexcept { return armed_; }
  // The next time the owner needs a timer: the earlier of the next tick and the next
  // activity change; kNever when neither will come (after stop, or nothing scheduled).
  Nanos next_deadline() const noexcept {
    return next_tick_ < next_change_ ? next_tick_ : next_change_;
  }

  struct Due {
    bool tick = false;              // an interval tick is due: act once
    std::uint64_t missed = 0;       // active ticks coalesced into this one
    bool active = false;            // is_active(now)
    bool activity_changed = false;  // differs from the last on_time / arm
  };
  // Handles event time `now` (usually a timer input at next_deadline(), but any later time
  // is fine: whatever fell due in between is coalesced). Earlier than the deadline: nothing.
  Due on_time(Nanos now) noexcept;

  std::uint64_t ticks_fired() const noexcept { return ticks_fired_; }
  std::uint64_t ticks_missed() const noexcept { return ticks_missed_; }

  // Snapshot (the spec is written too and checked on restore, as indicators check their
  // parameters): restore returns false and leaves the schedule unchanged on a bad buffer
  // or another spec.
  std::vector<std::byte> save() const;
  bool restore(const std::vector<std::byte>& bytes) noexcept;
  std::uint64_t state_hash() const noexcept;

 private:
  template <class A>
  void fields(A& a) const;
  bool in_hours(Nanos t) const noexcept;
  Nanos tick_at_or_after(Nanos t) const noexcept;

  ScheduleSpec spec_;
  bool armed_ = false;
  bool active_ = false;
  Nanos next_tick_ = kNever;
  Nanos next_change_ = kNever;
  std::uint64_t ticks_fired_ = 0;
  std::uint64_t ticks_missed_ = 0;
};

// Reads a schedule object, adding a FieldError (path-prefixed) for every bad field:
//   {"every": "15m", "align": "epoch"|"start", "start": "2026-01-05T09:00:00Z",
//    "stop": "...Z", "active_hours": "09:00-17:00", "days": ["mon", "tue", ...]}
// Every field is optional; unknown fields are errors. nullopt when any field was bad.
std::optional<ScheduleSpec> read_schedule(const config::Value& object, const std::string& path,
                                          std::vector<config::FieldError>& errors);
// The same from JSON text (a config blob), with parse errors reported as field "".
Expected<ScheduleSpec, std::vector<config::FieldError>> parse_schedule(std::string_view json);

}  // namespace be::sched
