// Engine's ControlPlane commands (engine/control.hpp): validated here, then journaled as
// OperatorCommand inputs through the ingress; the caller waits (bounded) for the outcome the
// thread that finishes inputs notes, and for a read model that shows it.
#include "engine/engine_impl.hpp"
#include "strategies/plugin/plugin_bot.hpp"

namespace be::engine {

CommandResult Engine::Impl::submit(OperatorCommand command, const std::string* blob,
                                   std::uint32_t blob_kind) {
  CommandResult result;
  result.bot = command.bot;
  if (!self.running()) {
    result.status = CommandStatus::kUnavailable;
    const std::string why = failure();
    result.message = why.empty() ? "the engine is not running" : "the engine halted: " + why;
    return result;
  }
  command.request_id = next_request.fetch_add(1);
  const Nanos now = wall_now();
  {
    std::lock_guard lock(control_mutex);
    if (blob != nullptr) {
      const BlobRef ref = keep_blob(blob_kind, *blob);
      command.blob_id = ref.blob_id;
      if (!control_producer->try_push(InputItem{Event::make(ref, now, now), 0})) {
        result.status = CommandStatus::kUnavailable;
        result.message = "the engine's intake is full";
        return result;
      }
    }
    if (!control_producer->try_push(InputItem{Event::make(command, now, now), 0})) {
      result.status = CommandStatus::kUnavailable;
      result.message = "the engine's intake is full";
      return result;
    }
  }
  std::unique_lock lock(request_mutex);
  const bool done = request_cv.wait_for(lock, std::chrono::seconds(5), [&] {
    return outcomes.count(command.request_id) != 0 || is_halted();
  });
  if (done && outcomes.count(command.request_id) == 0) {
    result.status = CommandStatus::kUnavailable;
    result.message = "the engine halted: " + failure();
    return result;
  }
  if (!done) {
    result.status = CommandStatus::kTimeout;
    // In the engine's intake, not yet through the fold: it may still be applied and kept.
    result.message =
        "queued but not applied within 5 s: it may still be applied; read the "
        "bot to see";
    return result;
  }
  const Outcome o = std::move(outcomes[command.request_id]);
  outcomes.erase(command.request_id);
  lock.unlock();
  result.sequence = o.sequence;
  // Refused or applied, the answer waits until the journal keeps the command: a refusal is an
  // outcome a replay must reproduce too.
  if (!wait_kept(o.sequence, result)) return result;
  if (!o.accepted) {
    result.status = CommandStatus::kConflict;
    result.message = o.refusal.empty() ? "the bot's state does not allow this command" : o.refusal;
    return result;
  }
  // Answered once a published read model shows the effect, so the caller's next read sees
  // it (the control API's clients read right after a command). Bounded: the command is
  // applied either way.
  publish_requested.store(true, std::memory_order_release);
  lock.lock();
  request_cv.wait_for(lock, std::chrono::seconds(5), [&] {
    return published_position.load(std::memory_order_acquire) >= o.sequence || is_halted();
  });
  return result;
}

CommandResult invalid_command(std::vector<config::FieldError> errors) {
  CommandResult r;
  r.status = CommandStatus::kInvalid;
  r.message = config::format_errors(errors);
  r.errors = std::move(errors);
  return r;
}

namespace {

// A bot config's "account" (validate_bot_config checked its type), if it names one.
std::optional<std::uint32_t> requested_account(std::string_view json) {
  auto doc = config::parse(json);
  const config::Value* v = doc ? doc->find("account") : nullptr;
  if (v == nullptr || v->kind != config::Value::Kind::kNumber) return std::nullopt;
  const auto id = parse_decimal(v->text, 0);
  if (!id || *id < 0 || *id >= index_of(kNoAccount)) return std::nullopt;
  return static_cast<std::uint32_t>(*id);
}

// New bots are refused while the journal's disk is below its reserve floor.
std::optional<CommandResult> refuse_new_bots(const Engine::Impl& im) {
  if (!im.disk_reserve_on.load(std::memory_order_acquire)) return std::nullopt;
  CommandResult r;
  r.status = CommandStatus::kUnavailable;
  r.message = "the disk holding the journal is below its reserve floor (" +
              std::to_string(im.disk_free.load()) +
              " bytes free): new bots are refused until space is freed";
  return r;
}

// Bot ids are never reused: a deployment holds the ids below the smallest of its tables'.
std::uint32_t bot_capacity(const Engine::Impl& im) noexcept {
  const FoldConfig& f = im.config.fold;
  return std::min({f.oms.bots, f.risk.capacity.bots, f.strategy.bots});
}

// 409: the deployment's state refuses it until a restart with a larger engine.capacity.bots;
// counted (botengine_engine_capacity_refused_total), nothing journaled, no id taken.
CommandResult capacity_refusal(Engine::Impl& im, std::uint32_t capacity) {
  im.capacity_refused.fetch_add(1, std::memory_order_relaxed);
  CommandResult r;
  r.status = CommandStatus::kConflict;
  r.message = "this deployment's bot capacity (" + std::to_string(capacity) +
              ") is used up (bot ids, deleted bots' included): restart with a larger "
              "engine.capacity.bots";
  return r;
}

}  // namespace

CommandResult Engine::create_bot(UserId user, std::string_view config_json) {
  if (auto refused = refuse_new_bots(*impl_)) return *refused;
  // The account: the owner's (docs/ACCOUNTS.md), checked against the directory as the
  // command will find it (directory commands wait their turn meanwhile).
  std::lock_guard serial(impl_->directory_mutex);
  auto errors = validate_bot_config(config_json);
  const auto account =
      impl_->published_directory()->bot_account(user, requested_account(config_json), errors);
  if (!errors.empty()) return invalid_command(std::move(errors));
  OperatorCommand c;
  c.kind = OperatorCommandKind::kCreateBot;
  c.account = index_of(*account);
  // Bot ids index the tables and are never reused: one past the capacity is refused before
  // anything is journaled, and not taken, so a refusal leaves nothing behind.
  const std::uint32_t capacity = bot_capacity(*impl_);
  std::uint32_t id = impl_->next_bot.load();
  do {
    if (id >= capacity) return capacity_refusal(*impl_, capacity);
  } while (!impl_->next_bot.compare_exchange_weak(id, id + 1));
  c.bot = BotId{id};
  c.user_id = index_of(user);
  // A plugin bot's config carries the loaded build's hash into the journal (plugin_bot.hpp).
  const std::string blob = plugin::stamp_build(config_json);
  return impl_->submit(c, &blob);
}

BulkCreateResult Engine::create_bots(UserId user, std::span<const std::string> configs) {
  BulkCreateResult out;
  out.items.resize(configs.size());
  const auto each = [&](const CommandResult& r) {
    out.status = r.status;
    out.message = r.message;
    for (CommandResult& item : out.items)
      item = r;
    return out;
  };
  if (configs.size() > kMaxBulkBots) {
    return each(invalid_command(
        {{"bots", "at most " + std::to_string(kMaxBulkBots) + " bots per command"}}));
  }
  if (auto refused = refuse_new_bots(*impl_)) return each(*refused);
  // Validated as single creates are, against the directory the command will find (directory
  // commands and other creates wait their turn meanwhile, so the ids below stay ours).
  std::lock_guard serial(impl_->directory_mutex);
  const auto directory = impl_->published_directory();
  std::optional<AccountId> account;
  std::vector<std::size_t> valid;  // indexes into configs, in order
  for (std::size_t i = 0; i < configs.size(); ++i) {
    auto errors = validate_bot_config(configs[i]);
    const auto a = directory->bot_account(user, requested_account(configs[i]), errors);
    if (errors.empty() && account && *a != *account) {
      errors.push_back({"account", "one bulk request creates its bots on one account (account " +
                                       std::to_string(index_of(*account)) +
                                       ", the first valid item's)"});
    }
    if (!errors.empty()) {
      out.items[i] = invalid_command(std::move(errors));
      continue;
    }
    account = account.value_or(*a);
    valid.push_back(i);
  }
  // Ids from the next one on while the capacity lasts; the items past it are refused, whole.
  const std::uint32_t capacity = bot_capacity(*impl_);
  const std::uint32_t first = impl_->next_bot.load();
  const std::size_t room = first >= capacity ? 0 : capacity - first;
  const std::size_t count = std::min(valid.size(), room);
  for (std::size_t k = count; k < valid.size(); ++k)
    out.items[valid[k]] = capacity_refusal(*impl_, capacity);
  if (count == 0) return out;
  std::vector<std::string> texts;  // canonical: what each bot keeps, and the blob's items
  for (std::size_t k = 0; k < count; ++k) {
    auto doc = config::parse(configs[valid[k]]);
    plugin::stamp_build(*doc);  // a plugin bot's loaded build, journaled (plugin_bot.hpp)
    texts.push_back(config::to_json(*doc));  // validate_bot_config parsed it already
  }
  const std::string blob = config::join_array(texts);
  if (blob.size() > BlobRef::kMaxSize) {
    const CommandResult big = invalid_command(
        {{"bots", "the valid configs come to " + std::to_string(blob.size()) +
                      " bytes; one bulk command holds at most " +
                      std::to_string(BlobRef::kMaxSize) + " (send fewer per request)"}});
    for (std::size_t k = 0; k < count; ++k)
      out.items[valid[k]] = big;
    return out;
  }
  impl_->next_bot.fetch_add(static_cast<std::uint32_t>(count));
  OperatorCommand c;
  c.kind = OperatorCommandKind::kCreateBots;
  c.bot = BotId{first};
  c.count = static_cast<std::uint16_t>(count);
  c.account = index_of(*account);
  c.user_id = index_of(user);
  CommandResult r = impl_->submit(c, &blob);
  out.status = r.status;
  out.message = r.message;
  out.sequence = r.sequence;
  r.bot = kNoBot;
  // Applied: a read model that shows the command shows each bot the fold created (one
  // published too late to wait for leaves the items answered as created, as validated).
  const bool shown = impl_->published_position.load(std::memory_order_acquire) >= r.sequence;
  const auto model = r.status == CommandStatus::kAccepted && shown ? read_model() : nullptr;
  for (std::size_t k = 0; k < count; ++k) {
    CommandResult& item = out.items[valid[k]];
    item = r;
    const BotId id{first + static_cast<std::uint32_t>(k)};
    if (r.status == CommandStatus::kAccepted) item.bot = id;
    if (model == nullptr) continue;
    const auto& bots = model->bots;
    const auto at = std::lower_bound(bots.begin(), bots.end(), id,
                                     [](const BotView& b, BotId v) { return b.id < v; });
    if (at == bots.end() || at->id != id) {
      item.bot = kNoBot;
      item.status = CommandStatus::kConflict;
      item.message = "bot " + std::to_string(index_of(id)) +
                     " was not created: the engine refused it as it applied the command";
    }
  }
  return out;
}

namespace {
bool visible(const ReadModel& m, BotId bot, UserId user, bool is_admin) {
  const BotView* b = m.find(bot);
  return b != nullptr && (is_admin || b->owner == user);
}
CommandResult not_found(BotId bot) {
  CommandResult r;
  r.status = CommandStatus::kNotFound;
  r.bot = bot;
  r.message = "no such bot";
  return r;
}
}  // namespace

CommandResult Engine::update_bot(UserId user, bool is_admin, BotId bot,
                                 std::string_view config_json) {
  const auto model = read_model();
  if (!model || !visible(*model, bot, user, is_admin)) return not_found(bot);
  auto errors = validate_bot_config(config_json);
  const auto requested = requested_account(config_json);
  if (requested && AccountId{*requested} != model->find(bot)->account) {
    errors.push_back({"account", "a bot keeps the account it was created on"});
  }
  if (!errors.empty()) return invalid_command(std::move(errors));
  OperatorCommand c;
  c.kind = OperatorCommandKind::kUpdateBot;
  c.bot = bot;
  c.user_id = index_of(user);
  // A plugin bot's config carries the loaded build's hash into the journal (plugin_bot.hpp).
  const std::string blob = plugin::stamp_build(config_json);
  return impl_->submit(c, &blob);
}

CommandResult Engine::bot_command(UserId user, bool is_admin, BotId bot, OperatorCommandKind kind) {
  const auto model = read_model();
  if (user != kEngineUser && (!model || !visible(*model, bot, user, is_admin))) {
    return not_found(bot);
  }
  const bool starts = kind == OperatorCommandKind::kStartBot ||
                      kind == OperatorCommandKind::kRestartBot ||
                      kind == OperatorCommandKind::kResumeBot;
  const BotView* view = model ? model->find(bot) : nullptr;
  const AccountView* account = view ? model->find_account(view->account) : nullptr;
  // A live account's bot starts only when the runner attached its gateways (or in dry run,
  // where the paper venue answers it): never on paper instead.
  const bool live_wired = impl_->live_venues != nullptr || config_.dry_run;
  if (starts && account != nullptr && account->mode == "live" && !live_wired) {
    CommandResult r;
    r.status = CommandStatus::kConflict;
    r.bot = bot;
    r.message = "bot " + std::to_string(index_of(bot)) + " trades on live account " +
                std::to_string(index_of(account->id)) +
                ", and this engine has no live venues attached (nor dry run): it does not start "
                "(nor trade on paper instead)";
    return r;
  }
  OperatorCommand c;
  c.kind = kind;
  c.bot = bot;
  c.user_id = index_of(user);
  return impl_->submit(c, nullptr);
}

CommandResult Engine::kill_switch(UserId user, bool is_admin, CommandScope scope, std::uint32_t id,
                                  bool set) {
  const bool bot_scope = scope == CommandScope::kBotOrGlobal && id != index_of(kNoBot);
  const bool account_scope = scope == CommandScope::kAccount;
  const auto model = read_model();
  if (account_scope) {
    // The account's owner or an admin (an engine without accounts has account 0 alone).
    const AccountView* a = model ? model->find_account(AccountId{id}) : nullptr;
    const bool known = a != nullptr || (model && model->accounts.empty() && id == 0);
    if (!known || (!is_admin && (a == nullptr || a->owner != user))) {
      CommandResult r;
      r.status = CommandStatus::kNotFound;
      r.message = "no such account";
      return r;
    }
  } else if (!bot_scope && !is_admin) {
    CommandResult r;
    r.status = CommandStatus::kNotFound;
    r.message = "the global kill switch needs an admin token";
    return r;
  }
  if (bot_scope && (!model || !visible(*model, BotId{id}, user, is_admin))) {
    return not_found(BotId{id});
  }
  OperatorCommand c;
  c.kind = set ? OperatorCommandKind::kKillSwitchSet : OperatorCommandKind::kKillSwitchReset;
  c.scope = scope;
  c.bot = bot_scope ? BotId{id} : kNoBot;
  c.account = scope == CommandScope::kAccount ? id : 0;
  c.user_id = index_of(user);
  return impl_->submit(c, nullptr);
}

std::vector<config::FieldError> Engine::validate_bot_config(std::string_view json) const {
  // Validated against the configured instruments (immutable), not the live stage.
  bots::InstrumentResolver resolve =
      [this](std::string_view venue, std::string_view symbol) -> const bots::InstrumentInfo* {
    for (const bots::InstrumentInfo& info : impl_->validation_instruments) {
      const InstrumentDefined* d = impl_->instruments.find(info.id);
      if (d == nullptr || d->symbol_view() != symbol) continue;
      if (!venue.empty() && impl_->config.venues.size() > index_of(d->venue) &&
          impl_->config.venues[index_of(d->venue)].name != venue) {
        continue;
      }
      return &info;
    }
    return nullptr;
  };
  auto built = bots::BotRegistry::builtin().create(json, BotId{0}, resolve);
  if (built) return {};
  return built.error();
}

// A journaled command's outcome, for the control thread waiting in submit() (the thread that
// finishes inputs).
void Engine::Impl::note_command(const Event& e, const FoldBatch& batch) {
  const auto c = e.as<OperatorCommand>();
  const bool refused = batch.command_refused;
  std::string refusal = batch.directory.refusal;
  if (refused && refusal.empty()) refusal = "refused: the bot's state does not allow it";
  note_audit(e, refusal);
  if (c.request_id == 0) return;
  // Kill switches and circuit resets are risk's and the order manager's, and idempotent
  // (setting a set switch is not an error): the strategy stage never refuses them.
  const bool accepted = !refused;
  {
    std::lock_guard lock(request_mutex);
    outcomes[c.request_id] = Outcome{true, accepted, e.header.sequence, batch.directory.refusal};
  }
  request_cv.notify_all();
}

}  // namespace be::engine
