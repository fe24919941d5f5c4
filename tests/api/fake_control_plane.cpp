#include "tests/api/fake_control_plane.hpp"

#include <algorithm>
#include <array>

#include "core/names.hpp"

#include "strategies/bots/registry.hpp"

namespace be::api::test {

using engine::BotView;
using engine::CommandResult;
using engine::CommandStatus;

namespace {

bots::InstrumentResolver resolver() {
  static const bots::InstrumentInfo info = [] {
    bots::InstrumentInfo i;
    i.id = InstrumentId{0};
    i.price_scale = 8;
    i.qty_scale = 8;
    i.tick_size = 1'000'000;
    i.step_size = 1'000;
    return i;
  }();
  return [](std::string_view venue, std::string_view symbol) -> const bots::InstrumentInfo* {
    return venue == "binance" && symbol == "BTCUSDT" ? &info : nullptr;
  };
}

CommandResult status(CommandStatus s, std::string message) {
  CommandResult r;
  r.status = s;
  r.message = std::move(message);
  return r;
}

}  // namespace

FakeControlPlane::FakeControlPlane(std::size_t stream_capacity) : stream_(stream_capacity, 2) {
  std::lock_guard lock(mutex_);
  publish_locked();
}

void FakeControlPlane::publish_locked() {
  auto m = std::make_shared<engine::ReadModel>();
  m->engine.last_sequence = sequence_;
  m->engine.journal_committed = sequence_;
  m->engine.journal_durable = sequence_;
  m->engine.durability = "async";
  m->engine.topology = "fused";
  m->engine.global_kill_switch = global_kill_;
  m->engine.killed_accounts = killed_accounts_;
  m->engine.feeds.push_back({"binance", "connected", 42, 0, 1'700'000'000'000'000'000});
  m->engine.latency.push_back({"tick_to_order", 10, 1500, 7000, 9000});
  m->engine.balances.push_back({"USDT", "10000.00000000", "0.00000000"});
  m->engine.balances.push_back({"BTC", "0.00000000", "0.00000000"});
  m->engine.rejects_by_reason.emplace_back("max_position", 1);
  m->engine.healthy = healthy_;
  if (!problem_.empty()) m->engine.problems.push_back(problem_);
  for (const engine::BotView& b : bots_)
    m->bots.push_back(b);
  m->users = users_;
  m->accounts = accounts_;
  for (engine::AccountView& a : m->accounts) {
    a.kill_switch = std::find(killed_accounts_.begin(), killed_accounts_.end(), index_of(a.id)) !=
                    killed_accounts_.end();
  }
  std::vector<BotId> subscribers;
  for (const BotView& b : bots_)
    subscribers.push_back(b.id);
  m->conditions.push_back({1, "rsi(14) < 30", subscribers, 100, 3});
  model_ = std::move(m);
}

std::shared_ptr<const engine::ReadModel> FakeControlPlane::read_model() const {
  std::lock_guard lock(mutex_);
  return model_;
}

BotView* FakeControlPlane::find_locked(BotId id, UserId user, bool is_admin) {
  for (BotView& b : bots_)
    if (b.id == id && (is_admin || b.owner == user)) return &b;
  return nullptr;
}

CommandResult FakeControlPlane::accepted_locked(BotId bot, UserId user, OperatorCommandKind kind) {
  commands_.push_back({user, kind, bot});
  CommandResult r;
  r.bot = bot;
  return audited_locked(
      user, to_string(kind),
      bot == kNoBot ? std::string("global") : "bot " + std::to_string(index_of(bot)), r);
}

std::vector<config::FieldError> FakeControlPlane::validate_bot_config(std::string_view json) const {
  auto created = bots::BotRegistry::builtin().create(json, BotId{0}, resolver());
  if (created) return {};
  return created.error();
}

CommandResult FakeControlPlane::create_bot(UserId user, std::string_view config_json) {
  auto errors = validate_bot_config(config_json);
  if (!errors.empty()) {
    CommandResult r = status(CommandStatus::kInvalid, "invalid bot config");
    r.errors = std::move(errors);
    return r;
  }
  std::lock_guard lock(mutex_);
  const BotId id = add_bot_locked(user, config_json);
  return accepted_locked(id, user, OperatorCommandKind::kCreateBot);
}

// As the engine: every valid item in one create_bots command (one sequence), ids in order.
engine::BulkCreateResult FakeControlPlane::create_bots(UserId user,
                                                       std::span<const std::string> configs) {
  engine::BulkCreateResult out;
  out.items.resize(configs.size());
  std::lock_guard lock(mutex_);
  std::vector<std::size_t> created;
  for (std::size_t i = 0; i < configs.size(); ++i) {
    auto errors = validate_bot_config(configs[i]);
    if (!errors.empty()) {
      out.items[i] = status(CommandStatus::kInvalid, "invalid bot config");
      out.items[i].errors = std::move(errors);
      continue;
    }
    out.items[i].bot = add_bot_locked(user, configs[i]);
    created.push_back(i);
  }
  if (created.empty()) return out;
  const CommandResult r = accepted_locked(kNoBot, user, OperatorCommandKind::kCreateBots);
  out.sequence = r.sequence;
  for (const std::size_t i : created)
    out.items[i].sequence = r.sequence;
  return out;
}

BotId FakeControlPlane::add_bot_locked(UserId user, std::string_view config_json) {
  auto created = bots::BotRegistry::builtin().create(config_json, BotId{0}, resolver());
  BotView b;
  b.id = BotId{next_bot_++};
  b.owner = user;
  b.name = created->config.name;
  b.type = created->config.strategy_type;
  b.venue = created->config.venue;
  b.symbol = created->config.symbol;
  b.state_reason = "operator";
  b.config_json = std::string(config_json);
  b.pnl = "0";
  b.position.symbol = b.symbol;
  b.position.quantity = "0";
  bots_.push_back(b);
  return b.id;
}

CommandResult FakeControlPlane::update_bot(UserId user, bool is_admin, BotId bot,
                                           std::string_view config_json) {
  auto errors = validate_bot_config(config_json);
  std::lock_guard lock(mutex_);
  BotView* b = find_locked(bot, user, is_admin);
  if (b == nullptr) return status(CommandStatus::kNotFound, "no such bot");
  if (!errors.empty()) {
    CommandResult r = status(CommandStatus::kInvalid, "invalid bot config");
    r.errors = std::move(errors);
    return r;
  }
  b->config_json = std::string(config_json);
  return accepted_locked(bot, user, OperatorCommandKind::kUpdateBot);
}

CommandResult FakeControlPlane::bot_command(UserId user, bool is_admin, BotId bot,
                                            OperatorCommandKind kind) {
  std::lock_guard lock(mutex_);
  BotView* b = find_locked(bot, user, is_admin);
  if (b == nullptr) return status(CommandStatus::kNotFound, "no such bot");
  const auto conflict = [&](std::string_view why) {
    return status(CommandStatus::kConflict,
                  "bot is " + std::string(to_string(b->state)) + ": cannot " + std::string(why));
  };
  switch (kind) {
    case OperatorCommandKind::kStartBot:
      if (b->state == BotState::kRunning) return conflict("start");
      b->state = BotState::kRunning;
      break;
    case OperatorCommandKind::kStopBot:
      if (b->state == BotState::kStopped) return conflict("stop");
      b->state = BotState::kStopped;
      break;
    case OperatorCommandKind::kPauseBot:
      if (b->state != BotState::kRunning) return conflict("pause");
      b->state = BotState::kPaused;
      break;
    case OperatorCommandKind::kResumeBot:
      if (b->state != BotState::kPaused) return conflict("resume");
      b->state = BotState::kRunning;
      break;
    case OperatorCommandKind::kRestartBot:
      b->state = BotState::kRunning;
      break;
    case OperatorCommandKind::kDeleteBot:
      std::erase_if(bots_, [&](const BotView& v) { return v.id == bot; });
      return accepted_locked(bot, user, kind);
    default:
      return status(CommandStatus::kInvalid, "not a bot command");
  }
  return accepted_locked(bot, user, kind);
}

CommandResult FakeControlPlane::kill_switch(UserId user, bool is_admin, CommandScope scope,
                                            std::uint32_t id, bool set) {
  std::lock_guard lock(mutex_);
  const auto kind =
      set ? OperatorCommandKind::kKillSwitchSet : OperatorCommandKind::kKillSwitchReset;
  if (scope == CommandScope::kBotOrGlobal) {
    BotView* b = find_locked(BotId{id}, user, is_admin);
    if (b == nullptr) return status(CommandStatus::kNotFound, "no such bot");
    b->kill_switch = set;
    return accepted_locked(b->id, user, kind);
  }
  if (scope == CommandScope::kGlobal) {
    if (!is_admin) return status(CommandStatus::kNotFound, "no such account");
    global_kill_ = set;
  } else {
    const engine::AccountView* a = find_account_locked(AccountId{id});
    if (a == nullptr || a->removed || (!is_admin && a->owner != user))
      return status(CommandStatus::kNotFound, "no such account");
    std::erase(killed_accounts_, id);
    if (set) killed_accounts_.push_back(id);
  }
  CommandResult r = accepted_locked(kNoBot, user, kind);
  r.bot = kNoBot;
  return r;
}

engine::StreamBatch FakeControlPlane::stream_since(SequenceNumber after, std::size_t max) const {
  return stream_.since(after, max);
}

engine::StreamWindow FakeControlPlane::stream_window() const {
  return stream_.window();
}

std::string FakeControlPlane::metrics_text() const {
  std::lock_guard lock(mutex_);
  return "# HELP botengine_inputs_total Inputs sequenced.\n# TYPE botengine_inputs_total "
         "counter\nbotengine_inputs_total " +
         std::to_string(sequence_) + "\n";
}

std::vector<FakeControlPlane::Command> FakeControlPlane::commands() const {
  std::lock_guard lock(mutex_);
  return commands_;
}

SequenceNumber FakeControlPlane::push(BotId bot, std::string_view type,
                                      std::string_view extra_fields) {
  std::lock_guard lock(mutex_);
  engine::StreamItem item;
  item.seq = ++stream_seq_;
  item.bot = bot;
  for (const BotView& b : bots_)
    if (b.id == bot) item.owner = b.owner;
  if (type == "price")
    item.price_instrument = extra_fields.find("ETHUSDT") != std::string_view::npos ? 1 : 0;
  item.json = "{\"seq\":" + std::to_string(item.seq) +
              ",\"time\":" + std::to_string(1'700'000'000'000'000'000 + item.seq) + ",\"type\":\"" +
              std::string(type) + "\"";
  if (bot != kNoBot) item.json += ",\"bot\":" + std::to_string(index_of(bot));
  if (!extra_fields.empty()) item.json += "," + std::string(extra_fields);
  item.json += "}";
  stream_.push(std::move(item));
  return stream_seq_;
}

SequenceNumber FakeControlPlane::push_engine_event(std::string_view type,
                                                   std::string_view extra_fields) {
  return push(kNoBot, type, extra_fields);
}

void FakeControlPlane::skip(SequenceNumber records) {
  std::lock_guard lock(mutex_);
  stream_seq_ += records;
}

SequenceNumber FakeControlPlane::lose() {
  std::lock_guard lock(mutex_);
  stream_.lost(++stream_seq_);
  return stream_seq_;
}

void FakeControlPlane::restart_stream(SequenceNumber journal_position) {
  std::lock_guard lock(mutex_);
  stream_seq_ = journal_position;
  stream_.reset(journal_position);
}

void FakeControlPlane::set_healthy(bool healthy, std::string problem) {
  std::lock_guard lock(mutex_);
  healthy_ = healthy;
  problem_ = std::move(problem);
  publish_locked();
}

void FakeControlPlane::add_activity(BotId bot) {
  std::lock_guard lock(mutex_);
  for (BotView& b : bots_) {
    if (b.id != bot) continue;
    b.orders.push_back({"be" + std::to_string(index_of(bot)) + "x1025", b.symbol, "buy", "limit",
                        "new", "50000.00", "0.00200000", "0", 1, 1'700'000'000'000'000'000});
    b.fills.push_back({"be" + std::to_string(index_of(bot)) + "x1024", b.symbol, "buy", "49990.00",
                       "0.00100000", "0.04999000", "taker", 1'700'000'000'000'000'000, 7});
    b.equity.push_back({1'700'000'000'000'000'000, "-0.04999000"});
    b.trades = 1;
    b.open_orders = 1;
  }
  publish_locked();
}

}  // namespace be::api::test
