#include "strategies/bots/bot.hpp"

#include <cstring>

namespace be::bots {

const std::vector<cond::ConditionDef>& Bot::conditions() const noexcept {
  static const std::vector<cond::ConditionDef> kNone;
  return kNone;
}

void Bot::start(BotContext& ctx) {
  if (schedule_) {
    schedule_->arm(ctx.now());
    if (schedule_->next_deadline() != sched::kNever) {
      ctx.set_timer(kScheduleTimer, schedule_->next_deadline());
    }
  }
  on_start(ctx);
}

void Bot::timer(std::uint32_t timer_id, BotContext& ctx) {
  if (timer_id != kScheduleTimer) {
    on_timer(timer_id, ctx);
    return;
  }
  if (!schedule_) return;
  const sched::Schedule::Due due = schedule_->on_time(ctx.now());
  if (schedule_->next_deadline() != sched::kNever) {
    ctx.set_timer(kScheduleTimer, schedule_->next_deadline());
  }
  if (due.activity_changed) on_schedule_change(due.active, ctx);
}

void Bot::save(std::vector<std::byte>& out) const {
  state_io::Writer w(out);
  w.put_string(type_name());
  w.put(rng_.state());
  const std::vector<std::byte> schedule = schedule_ ? schedule_->save() : std::vector<std::byte>{};
  w.put_bytes(schedule);
  save_fields(w);
}

bool Bot::load(std::span<const std::byte> in) {
  state_io::Reader r(in);
  const auto type = r.get_bytes();
  const std::string_view expected = type_name();
  if (r.failed() || type.size() != expected.size() ||
      std::memcmp(type.data(), expected.data(), expected.size()) != 0) {
    return false;
  }
  std::uint64_t rng_state = 0;
  r.get(rng_state);
  const auto schedule = r.get_bytes();
  if (r.failed() || schedule.empty() != !schedule_.has_value()) return false;
  if (schedule_ && !schedule_->restore(std::vector<std::byte>(schedule.begin(), schedule.end()))) {
    return false;
  }
  if (!load_fields(r) || r.failed() || !r.at_end()) return false;
  rng_.set_state(rng_state);
  return true;
}

std::uint64_t Bot::state_hash() const {
  std::vector<std::byte> bytes;
  save(bytes);
  return state_io::fnv1a64(bytes);
}

}  // namespace be::bots
