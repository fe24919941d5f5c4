// The strategy stage, commands for bots: operator commands (create, update, delete, start,
// stop, pause, resume, restart, shutdown) drive each bot's lifecycle, emit its BotStatus and
// Notification, and (un)subscribe its conditions. Control path: it may allocate.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "core/json_config.hpp"
#include "strategies/stage/stage_state.hpp"

namespace be::stage {

bots::InstrumentResolver StrategyStage::resolver() const {
  return [this](std::string_view venue, std::string_view symbol) -> const bots::InstrumentInfo* {
    for (const Instrument& in : instruments_) {
      if (!in.defined || in.symbol != symbol) continue;
      // Venue names are the deployment's (InstrumentDefined carries only the id): a name the
      // stage was never told matches any venue, and the engine validates names beforehand.
      const std::string_view known = venue_name(in.venue);
      if (!venue.empty() && !known.empty() && known != venue) continue;
      return &in.info;
    }
    return nullptr;
  };
}

Expected<bots::CreatedBot, bots::ConfigErrors> StrategyStage::build(std::string_view json,
                                                                    BotId id) const {
  const bots::InstrumentResolver resolve = resolver();
  return registry_->create(json, id, resolve);
}

std::vector<config::FieldError> StrategyStage::validate(std::string_view json) const {
  auto built = build(json, BotId{0});
  if (built) return {};
  return built.error();
}

// A slot for a bot built from its config: order and timer tables sized once, here, so the
// bot's handlers never allocate.
std::unique_ptr<StrategyStage::BotSlot> StrategyStage::new_slot(bots::CreatedBot built,
                                                                std::string_view json) const {
  auto slot = std::make_unique<BotSlot>();
  slot->config = std::move(built.config);
  slot->config_json = std::string(json);
  slot->bot = std::move(built.bot);
  slot->instrument = slot->bot->instrument();
  slot->orders.reserve(capacity_.orders_per_bot);
  slot->timers.resize(capacity_.timers_per_bot);
  return slot;
}

// The config a create or update command names (the kBlob input before it), taken out of the
// waiting blobs; nothing (and counted) when that blob never came.
std::optional<std::string> StrategyStage::take_config(std::uint64_t blob_id) {
  auto blob = blobs_.find(blob_id);
  if (blob == blobs_.end()) {
    ++stats_["missing_blobs"];
    return std::nullopt;
  }
  std::string json = std::move(blob->second);
  blobs_.erase(blob);
  return json;
}

void StrategyStage::set_state(BotSlot& slot, BotState to, BotStatusReason reason,
                              std::uint32_t user, Nanos t, Outbox& out) {
  BotStatus status;
  status.bot = slot.bot->id();
  status.from = slot.state;
  status.to = to;
  status.reason = static_cast<std::uint16_t>(reason);
  status.user_id = user;
  slot.state = to;
  slot.reason = reason;
  view_versions_.bump(index_of(status.bot));
  out.emit(status, t);
  Notification n;
  n.kind = NotificationKind::kBotStatus;
  n.code = static_cast<std::uint16_t>(to);
  n.bot = status.bot;
  n.instrument = slot.instrument;
  n.cause = input_ordinal_;
  out.emit(n, t);
}

void StrategyStage::subscribe_conditions(BotSlot& slot) {
  const auto& defs = slot.bot->conditions();
  for (std::uint32_t k = 0; k < defs.size(); ++k) {
    auto sub = conditions_.subscribe(slot.bot->id(), defs[k]);
    if (!sub) {
      ++stats_["bad_commands"];
      continue;
    }
    slot.subscriptions.push_back(*sub);
    subscriptions_[*sub] = {slot.bot->id(), k};
  }
}

// starting -> `to` (running, or paused for a paused bot whose config was swapped), then the
// bot's own start: what it submits from on_start already sees its final state.
void StrategyStage::start_bot(BotSlot& slot, BotState to, std::uint32_t user, Nanos t,
                              Outbox& out) {
  set_state(slot, BotState::kStarting, BotStatusReason::kOperator, user, t, out);
  set_state(slot, to, BotStatusReason::kOperator, user, t, out);
  subscribe_conditions(slot);
  Context ctx(*this, slot, out);
  slot.bot->start(ctx);
  fail_if_stopped(slot, out);
}

// A bot that stopped itself is stopped as an operator would, to `error`: its resting orders
// withdrawn, its conditions and timers dropped; describe() shows its failure.
void StrategyStage::fail_bot(BotSlot& slot, Outbox& out) {
  stop_bot(slot, BotState::kError, BotStatusReason::kScriptError, 0, now_, out);
}

// stopping -> the bot's on_stop and the withdrawal of its orders -> `to` (stopped, deleted).
void StrategyStage::stop_bot(BotSlot& slot, BotState to, BotStatusReason reason, std::uint32_t user,
                             Nanos t, Outbox& out) {
  set_state(slot, BotState::kStopping, reason, user, t, out);
  {
    Context ctx(*this, slot, out);
    slot.bot->on_stop(ctx);
    // Whatever the bot left resting is withdrawn: a stopped bot owns no live orders.
    for (const TrackedOrder& o : slot.orders) {
      ++stats_["cancels"];
      emit_cancel(slot.bot->id(), o, now_, out);
    }
  }
  for (cond::SubscriptionId sub : slot.subscriptions) {
    conditions_.unsubscribe(sub);
    subscriptions_.erase(sub);
  }
  slot.subscriptions.clear();
  for (TimerSlot& timer : slot.timers)
    timer.armed = 0;
  set_state(slot, to, reason, user, t, out);
}

void StrategyStage::on_command(const OperatorCommand& command, Nanos t, Outbox& out) {
  using K = OperatorCommandKind;
  const std::uint32_t user = command.user_id;
  BotSlot* slot = find(command.bot);
  last_command_refused_ = false;
  auto bad = [&] {
    ++stats_["bad_commands"];
    last_command_refused_ = true;
  };
  // One bot from its config, stopped, or nothing (an id in use, no room, a config that does
  // not build): a create and each item of a bulk create alike.
  auto create = [&](const std::string& json, BotId id) {
    if (find(id) != nullptr || bots_.size() >= capacity_.bots) return false;
    auto built = build(json, id);
    if (!built) return false;
    auto fresh = new_slot(std::move(*built), json);
    fresh->owner = UserId{user};
    BotSlot& s = *fresh;
    bots_[id] = std::move(fresh);
    if (index_of(id) < slot_of_.size()) slot_of_[index_of(id)] = &s;
    listen(s);
    s.state = BotState::kDeleted;
    set_state(s, BotState::kStopped, BotStatusReason::kOperator, user, t, out);
    return true;
  };
  switch (command.kind) {
    case K::kCreateBot: {
      bot_ids_used_ = std::max(bot_ids_used_, index_of(command.bot) + 1);
      const std::optional<std::string> json = take_config(command.blob_id);
      if (!json) return bad();  // counted as a missing blob too: refused, and answered so
      if (!create(*json, command.bot)) return bad();
      return;
    }
    case K::kCreateBots: {
      // Each item on its own: one refused (counted) leaves the others created; the command
      // is refused only when none was.
      bot_ids_used_ = std::max(bot_ids_used_, index_of(command.bot) + command.count);
      const std::optional<std::string> json = take_config(command.blob_id);
      if (!json) return bad();
      const std::vector<std::string> configs = config::split_array(*json, command.count);
      std::size_t created = 0;
      for (std::size_t i = 0; i < configs.size(); ++i) {
        if (create(configs[i], BotId{index_of(command.bot) + static_cast<std::uint32_t>(i)})) {
          ++created;
        } else {
          ++stats_["bad_commands"];
        }
      }
      last_command_refused_ = created == 0;
      return;
    }
    case K::kUpdateBot: {
      const std::optional<std::string> json = take_config(command.blob_id);
      if (!json) return bad();
      if (slot == nullptr) return bad();
      auto built = build(*json, command.bot);
      if (!built) return bad();
      const bool was_active = slot->active();
      const BotState before = slot->state;
      if (was_active) {
        stop_bot(*slot, BotState::kStopped, BotStatusReason::kOperator, user, t, out);
      }
      // Carry the state over where the type is the same and the saved bytes still load; a bot
      // that stopped itself (a failed script) starts its new config afresh.
      if (built->bot->type_name() == slot->bot->type_name() && slot->bot->failure().empty()) {
        std::vector<std::byte> saved;
        slot->bot->save(saved);
        std::vector<std::byte> fallback;
        built->bot->save(fallback);
        if (!built->bot->load(saved)) built->bot->load(fallback);
      }
      slot->config = std::move(built->config);
      slot->config_json = *json;
      view_versions_.bump(index_of(command.bot));
      unlisten(*slot);
      slot->bot = std::move(built->bot);
      slot->instrument = slot->bot->instrument();
      listen(*slot);
      if (was_active) {
        start_bot(*slot, before, user, t, out);
      }
      return;
    }
    case K::kDeleteBot: {
      if (slot == nullptr) return bad();
      if (slot->active()) {
        stop_bot(*slot, BotState::kDeleted, BotStatusReason::kOperator, user, t, out);
      } else {
        set_state(*slot, BotState::kDeleted, BotStatusReason::kOperator, user, t, out);
      }
      unlisten(*slot);
      if (index_of(command.bot) < slot_of_.size()) slot_of_[index_of(command.bot)] = nullptr;
      bots_.erase(command.bot);
      return;
    }
    case K::kStartBot: {
      if (slot == nullptr ||
          (slot->state != BotState::kStopped && slot->state != BotState::kError)) {
        return bad();
      }
      start_bot(*slot, BotState::kRunning, user, t, out);
      return;
    }
    case K::kStopBot: {
      if (slot == nullptr || !slot->active()) return bad();
      stop_bot(*slot, BotState::kStopped, BotStatusReason::kOperator, user, t, out);
      return;
    }
    case K::kPauseBot:
      if (slot == nullptr || slot->state != BotState::kRunning) return bad();
      set_state(*slot, BotState::kPaused, BotStatusReason::kOperator, user, t, out);
      return;
    case K::kResumeBot:
      if (slot == nullptr || slot->state != BotState::kPaused) return bad();
      set_state(*slot, BotState::kRunning, BotStatusReason::kOperator, user, t, out);
      return;
    case K::kRestartBot: {
      if (slot == nullptr || slot->state == BotState::kStopping) return bad();
      if (slot->active()) {
        stop_bot(*slot, BotState::kStopped, BotStatusReason::kOperator, user, t, out);
      }
      start_bot(*slot, BotState::kRunning, user, t, out);
      return;
    }
    case K::kShutdown:
      for (auto& [id, s] : bots_) {
        if (!s->active()) continue;
        stop_bot(*s, BotState::kStopped, BotStatusReason::kShutdown, user, t, out);
      }
      return;
    case K::kKillSwitchSet:
    case K::kKillSwitchReset:
    case K::kCircuitReset:
    case K::kDiskReserveSet:
    case K::kDiskReserveReset:
    case K::kDryRunSet:
    case K::kDryRunReset:
      return;  // risk's and the order manager's business
    case K::kCreateUser:
    case K::kUpdateUser:
    case K::kCreateAccount:
    case K::kRemoveAccount:
    case K::kAttachKey:
      blobs_.erase(command.blob_id);  // the engine's directory's (engine/directory.hpp)
      return;
  }
}

}  // namespace be::stage
