#include "strategies/schedule/schedule.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "core/state_io.hpp"

#include "strategies/schedule/time_text.hpp"

namespace be::sched {
namespace {

// Ticks that never land in an active window (every 1d at 00:00 with hours 09:00-17:00) must
// not loop forever: after this many activations without a tick the answer is kNever, and
// read_schedule refuses such a spec.
constexpr int kMaxActivationsSearched = 4096;

constexpr std::uint32_t kStateMagic = 0x53434844;  // "SCHD"
constexpr std::uint16_t kStateVersion = 1;

Nanos window_length(const ActiveHours& h) noexcept {
  const int minutes = h.to_minute > h.from_minute ? h.to_minute - h.from_minute
                                                  : h.to_minute + 1440 - h.from_minute;
  return static_cast<Nanos>(minutes) * kNanosPerMinute;
}

bool day_listed(const ActiveHours& h, Nanos day) noexcept {
  return (h.days >> weekday_of(day * kNanosPerDay)) & 1u;
}

}  // namespace

bool Schedule::in_hours(Nanos t) const noexcept {
  if (!spec_.hours) return true;
  const ActiveHours& h = *spec_.hours;
  const Nanos day = floor_div(t, kNanosPerDay);
  const Nanos offset = t - day * kNanosPerDay;
  const Nanos open = static_cast<Nanos>(h.from_minute) * kNanosPerMinute;
  const Nanos length = window_length(h);
  if (day_listed(h, day) && offset >= open && offset < open + length) return true;
  // Yesterday's window may run past midnight into today.
  const Nanos offset_from_yesterday = offset + kNanosPerDay;
  return day_listed(h, day - 1) && offset_from_yesterday >= open &&
         offset_from_yesterday < open + length;
}

bool Schedule::is_active(Nanos t) const noexcept {
  if (spec_.start && t < *spec_.start) return false;
  if (spec_.stop && t >= *spec_.stop) return false;
  return in_hours(t);
}

Nanos Schedule::next_change_after(Nanos t) const noexcept {
  if (spec_.stop && t >= *spec_.stop) return kNever;  // inactive for good
  if (spec_.start && t < *spec_.start) {
    // Inactive until start; from there the first activation is the change.
    return is_active(*spec_.start) ? *spec_.start : next_change_after(*spec_.start);
  }
  // Window edges repeat weekly, so if none of the edges within the next 8 days changes the
  // state, none ever will; stop is the only other candidate.
  std::array<Nanos, 2 * 10 + 1> edges{};
  std::size_t n = 0;
  if (spec_.stop) edges[n++] = *spec_.stop;
  if (spec_.hours) {
    const ActiveHours& h = *spec_.hours;
    const Nanos today = floor_div(t, kNanosPerDay);
    for (Nanos day = today - 1; day <= today + 8; ++day) {
      if (!day_listed(h, day)) continue;
      const Nanos open = day * kNanosPerDay + static_cast<Nanos>(h.from_minute) * kNanosPerMinute;
      edges[n++] = open;
      edges[n++] = open + window_length(h);
    }
  }
  std::sort(edges.begin(), edges.begin() + static_cast<std::ptrdiff_t>(n));
  const bool now = is_active(t);
  for (std::size_t i = 0; i < n; ++i) {
    if (edges[i] > t && is_active(edges[i]) != now) return edges[i];
  }
  return kNever;
}

Nanos Schedule::tick_at_or_after(Nanos t) const noexcept {
  const Nanos step = static_cast<Nanos>(spec_.every_seconds) * kNanosPerSecond;
  const Nanos anchor = spec_.align == Align::kStart && spec_.start ? *spec_.start : 0;
  const Nanos k = -floor_div(anchor - t, step);  // ceil((t - anchor) / step)
  return anchor + k * step;
}

Nanos Schedule::next_tick_after(Nanos t) const noexcept {
  if (spec_.every_seconds == 0) return kNever;
  Nanos from = t;
  for (int i = 0; i < kMaxActivationsSearched; ++i) {
    const Nanos tick = tick_at_or_after(from + 1);
    if (spec_.stop && tick >= *spec_.stop) return kNever;
    if (is_active(tick)) return tick;
    const Nanos activation = next_change_after(tick);
    if (activation == kNever) return kNever;
    from = activation - 1;
  }
  return kNever;
}

std::uint64_t Schedule::count_active_ticks(Nanos from, Nanos to) const noexcept {
  if (spec_.every_seconds == 0 || to <= from) return 0;
  const Nanos step = static_cast<Nanos>(spec_.every_seconds) * kNanosPerSecond;
  std::uint64_t count = 0;
  Nanos tick = next_tick_after(from);
  while (tick <= to) {
    const Nanos run_end = next_change_after(tick);  // tick is active: this is the deactivation
    const Nanos last = run_end == kNever ? to : std::min(run_end - 1, to);
    count += static_cast<std::uint64_t>((last - tick) / step) + 1;
    if (run_end == kNever || run_end > to) break;
    tick = next_tick_after(run_end - 1);
  }
  return count;
}

void Schedule::arm(Nanos now) noexcept {
  armed_ = true;
  active_ = is_active(now);
  next_tick_ = next_tick_after(now - 1);
  next_change_ = next_change_after(now);
}

Schedule::Due Schedule::on_time(Nanos now) noexcept {
  Due due;
  if (!armed_) {
    arm(now);
    due.active = active_;
    return due;
  }
  due.active = active_;
  if (now < next_deadline()) return due;
  const bool active_now = is_active(now);
  if (now >= next_tick_) {
    // next_tick_ and every active tick up to now fell due; one firing stands for them all,
    // and only while active: a gap that ends outside the active time fires nothing.
    const std::uint64_t due_ticks = 1 + count_active_ticks(next_tick_, now);
    due.tick = active_now;
    due.missed = active_now ? due_ticks - 1 : due_ticks;
    ticks_fired_ += active_now ? 1 : 0;
    ticks_missed_ += due.missed;
    next_tick_ = next_tick_after(now);
  }
  due.activity_changed = active_now != active_;
  due.active = active_now;
  active_ = active_now;
  next_change_ = next_change_after(now);
  return due;
}

template <class A>
void Schedule::fields(A& a) const {
  a(spec_.every_seconds);
  a(static_cast<std::uint8_t>(spec_.align));
  a(static_cast<std::uint8_t>(spec_.start.has_value()));
  a(spec_.start.value_or(0));
  a(static_cast<std::uint8_t>(spec_.stop.has_value()));
  a(spec_.stop.value_or(0));
  a(static_cast<std::uint8_t>(spec_.hours.has_value()));
  const ActiveHours h = spec_.hours.value_or(ActiveHours{});
  a(static_cast<std::int32_t>(h.from_minute));
  a(static_cast<std::int32_t>(h.to_minute));
  a(h.days);
  a(static_cast<std::uint8_t>(armed_));
  a(static_cast<std::uint8_t>(active_));
  a(next_tick_);
  a(next_change_);
  a(ticks_fired_);
  a(ticks_missed_);
}

std::vector<std::byte> Schedule::save() const {
  std::vector<std::byte> out;
  state_io::Writer w{out};
  w.put(kStateMagic);
  w.put(kStateVersion);
  fields(w);
  return out;
}

bool Schedule::restore(const std::vector<std::byte>& bytes) noexcept {
  state_io::Reader r{std::span<const std::byte>(bytes)};
  if (r.get<std::uint32_t>() != kStateMagic || r.get<std::uint16_t>() != kStateVersion) {
    return false;
  }
  ScheduleSpec spec;
  spec.every_seconds = r.get<std::uint32_t>();
  spec.align = static_cast<Align>(r.get<std::uint8_t>());
  const bool has_start = r.get<std::uint8_t>() != 0;
  const Nanos start = r.get<Nanos>();
  if (has_start) spec.start = start;
  const bool has_stop = r.get<std::uint8_t>() != 0;
  const Nanos stop = r.get<Nanos>();
  if (has_stop) spec.stop = stop;
  const bool has_hours = r.get<std::uint8_t>() != 0;
  ActiveHours h;
  h.from_minute = r.get<std::int32_t>();
  h.to_minute = r.get<std::int32_t>();
  h.days = r.get<std::uint8_t>();
  if (has_hours) spec.hours = h;
  const bool armed = r.get<std::uint8_t>() != 0;
  const bool active = r.get<std::uint8_t>() != 0;
  const Nanos next_tick = r.get<Nanos>();
  const Nanos next_change = r.get<Nanos>();
  const auto fired = r.get<std::uint64_t>();
  const auto missed = r.get<std::uint64_t>();
  if (!r.ok() || !r.at_end() || !(spec == spec_)) return false;
  armed_ = armed;
  active_ = active;
  next_tick_ = next_tick;
  next_change_ = next_change;
  ticks_fired_ = fired;
  ticks_missed_ = missed;
  return true;
}

std::uint64_t Schedule::state_hash() const noexcept {
  state_io::Hasher h;
  fields(h);
  return h.value();
}

// ---- Config ---------------------------------------------------------------------------------

std::optional<ScheduleSpec> read_schedule(const config::Value& object, const std::string& path,
                                          std::vector<config::FieldError>& errors) {
  const std::size_t errors_before = errors.size();
  if (object.kind != config::Value::Kind::kObject) {
    errors.push_back({path, "must be an object"});
    return std::nullopt;
  }
  config::ObjectReader r(object, path, errors);
  ScheduleSpec spec;
  constexpr std::uint32_t kMaxEvery = 7 * 86400;
  if (auto every = r.string("every", config::Presence::kOptional)) {
    if (auto s = parse_duration_seconds(*every, kMaxEvery)) {
      spec.every_seconds = *s;
    } else {
      r.error("every",
              "must be a duration like 30s, 15m, 4h or 1d, at most 7d, got \"" + *every + "\"");
    }
  }
  const auto read_instant = [&](std::string_view key) -> std::optional<Nanos> {
    auto text = r.string(key, config::Presence::kOptional);
    if (!text) return std::nullopt;
    auto t = parse_utc_instant(*text);
    if (!t) {
      r.error(key, "must be a UTC time like 2026-01-05T09:00:00Z, got \"" + *text + "\"");
    }
    return t;
  };
  spec.start = read_instant("start");
  spec.stop = read_instant("stop");
  if (spec.start && spec.stop && *spec.stop <= *spec.start) {
    r.error("stop", "must be after start");
  }
  if (auto align = r.string("align", config::Presence::kOptional, {"epoch", "start"})) {
    spec.align = *align == "start" ? Align::kStart : Align::kEpoch;
    if (spec.align == Align::kStart && !r.has("start")) {
      r.error("align", "\"start\" needs a start time");
    }
    if (!r.has("every")) r.error("align", "only means something with \"every\"");
  }
  if (auto hours = r.string("active_hours", config::Presence::kOptional)) {
    const std::string_view text = *hours;
    const auto dash = text.find('-');
    std::optional<int> from;
    std::optional<int> to;
    if (dash != std::string_view::npos) {
      from = parse_clock_minutes(text.substr(0, dash));
      to = parse_clock_minutes(text.substr(dash + 1));
    }
    if (!from || !to || *from == 1440 || *to == 0) {
      r.error(
          "active_hours",
          "must be \"HH:MM-HH:MM\" in UTC (e.g. 09:00-17:00, 22:00-02:00, 00:00-24:00), got \"" +
              *hours + "\"");
    } else if (*from == *to) {
      r.error("active_hours", "is an empty window (from equals to); use 00:00-24:00 for all day");
    } else {
      spec.hours = ActiveHours{*from, *to, 0x7F};
    }
  }
  if (const config::Value* days = r.array("days", config::Presence::kOptional)) {
    static constexpr std::array<std::string_view, 7> kNames = {"mon", "tue", "wed", "thu",
                                                               "fri", "sat", "sun"};
    std::uint8_t mask = 0;
    bool bad = days->items.empty();
    for (const config::Value& d : days->items) {
      const auto it = std::find(kNames.begin(), kNames.end(), d.text);
      if (d.kind != config::Value::Kind::kString || it == kNames.end()) {
        bad = true;
        continue;
      }
      const auto bit = static_cast<std::uint8_t>(1u << (it - kNames.begin()));
      if (mask & bit) bad = true;
      mask |= bit;
    }
    if (bad) {
      r.error("days", "must be a non-empty list of distinct mon, tue, wed, thu, fri, sat, sun");
    } else if (!r.has("active_hours")) {
      r.error("days", "needs \"active_hours\" (use 00:00-24:00 for whole days)");
    } else if (spec.hours) {
      spec.hours->days = mask;
    }
  }
  r.finish();
  if (errors.size() != errors_before) return std::nullopt;
  if (spec.every_seconds != 0) {
    const Schedule probe(spec);
    if (probe.next_tick_after(spec.start.value_or(0) - 1) == kNever) {
      errors.push_back({r.field_path("every"),
                        "no tick ever falls inside the active hours between start and stop"});
      return std::nullopt;
    }
  }
  return spec;
}

Expected<ScheduleSpec, std::vector<config::FieldError>> parse_schedule(std::string_view json) {
  std::vector<config::FieldError> errors;
  auto root = config::parse(json);
  if (!root) {
    errors.push_back({"", root.error()});
    return Unexpected{std::move(errors)};
  }
  auto spec = read_schedule(*root, "", errors);
  if (!spec) return Unexpected{std::move(errors)};
  return *spec;
}

}  // namespace be::sched
