#include "strategies/script/script_bot.hpp"

#include <cstring>

#include "core/codes.hpp"
#include "core/names.hpp"
#include "strategies/bots/condition_context.hpp"
#include "strategies/script/sandbox.hpp"
#include "strategies/script/script_api.hpp"
#include "strategies/script/state_codec.hpp"
#include "strategies/script/upvalue_writes.hpp"

namespace be::script {
namespace {

constexpr std::array<const char*, ScriptBot::kCallbackCount> kCallbackNames = {
    "on_start",        "on_bar",   "on_trade",     "on_quote",           "on_fill",
    "on_order_update", "on_timer", "on_condition", "on_schedule_change", "on_stop"};

// What on_order_update's `status` says (docs/STRATEGIES.md).
constexpr std::array<Named<bots::BotOrderStatus>, 6> kStatusNames{{
    {bots::BotOrderStatus::kAccepted, "accepted"},
    {bots::BotOrderStatus::kPartiallyFilled, "partially_filled"},
    {bots::BotOrderStatus::kFilled, "filled"},
    {bots::BotOrderStatus::kCanceled, "canceled"},
    {bots::BotOrderStatus::kRejected, "rejected"},
    {bots::BotOrderStatus::kExpired, "expired"},
}};

void push_name(lua_State* L, std::string_view name) {
  lua_pushlstring(L, name.data(), name.size());
}

}  // namespace

ScriptBot::ScriptBot(const bots::BotSetup& setup, const Limits& limits)
    : Bot(setup.id, setup.instrument.id, setup.seed),
      info_(setup.instrument),
      timeframe_seconds_(setup.timeframe_seconds),
      host_(std::make_unique<LuaHost>(limits, this)),
      L_(host_->state()) {
  callbacks_.fill(LUA_NOREF);
}

ScriptBot::~ScriptBot() = default;

std::optional<std::string> ScriptBot::load_script(std::string_view source,
                                                  const config::Value* inputs,
                                                  const cond::ConditionContext& conditions) {
  if (L_ == nullptr) return std::string("memory_kib is too small for a Lua state");
  open_sandbox(L_, &rng());
  push_bot_table(L_, info_, timeframe_seconds_);
  lua_setglobal(L_, "bot");
  if (auto bad = push_inputs(L_, inputs)) return bad;
  lua_setglobal(L_, "inputs");
  lua_newtable(L_);
  lua_pushvalue(L_, -1);
  state_ref_ = luaL_ref(L_, LUA_REGISTRYINDEX);
  lua_setglobal(L_, "state");
  if (auto syntax = compile(L_, source)) return readable(*syntax);
  if (auto writes = find_upvalue_writes(L_)) {
    lua_pop(L_, 1);
    return *writes;
  }
  loading_ = &conditions;
  const bool ran = host_->call(0, 0);
  loading_ = nullptr;
  if (!ran) return host_->failure();
  if (auto frozen = freeze_environment(L_)) return readable(*frozen);
  for (int c = 0; c < kCallbackCount; ++c) {
    const int type = lua_getglobal(L_, kCallbackNames[c]);
    if (type == LUA_TFUNCTION) {
      callbacks_[c] = luaL_ref(L_, LUA_REGISTRYINDEX);
      continue;
    }
    lua_pop(L_, 1);
    if (type != LUA_TNIL) {
      return std::string(kCallbackNames[c]) + " must be a function, not a " +
             lua_typename(L_, type);
    }
  }
  return std::nullopt;
}

bool ScriptBot::enter(Callback callback, bots::BotContext& ctx) {
  if (callbacks_[callback] == LUA_NOREF || host_->failed()) return false;
  ctx_ = &ctx;
  lua_rawgeti(L_, LUA_REGISTRYINDEX, callbacks_[callback]);
  return true;
}

void ScriptBot::run(int nargs) {
  host_->call(nargs, 0);
  ctx_ = nullptr;
}

void ScriptBot::on_start(bots::BotContext& ctx) {
  if (enter(kOnStart, ctx)) run(0);
}

void ScriptBot::on_bar(const Bar& bar, bots::BotContext& ctx) {
  if (bar.instrument != instrument() || bar.interval_seconds != timeframe_seconds_ ||
      bar.closed == 0 || host_->failed()) {
    return;
  }
  for (ta::AnyIndicator& indicator : indicators_)
    indicator.update(bar, info_.price_scale, info_.qty_scale);
  if (!enter(kOnBar, ctx)) return;
  for (const std::int64_t v : {bar.open, bar.high, bar.low, bar.close, bar.volume, bar.open_time})
    lua_pushinteger(L_, v);
  run(6);
}

void ScriptBot::on_trade(const Trade& trade, bots::BotContext& ctx) {
  if (!enter(kOnTrade, ctx)) return;
  lua_pushinteger(L_, trade.price);
  lua_pushinteger(L_, trade.quantity);
  if (trade.aggressor == Side::kNone) {
    lua_pushnil(L_);
  } else {
    push_name(L_, to_string(trade.aggressor));
  }
  run(3);
}

void ScriptBot::on_quote(const Quote& quote, bots::BotContext& ctx) {
  if (!enter(kOnQuote, ctx)) return;
  for (const std::int64_t v :
       {quote.bid_price, quote.bid_quantity, quote.ask_price, quote.ask_quantity})
    lua_pushinteger(L_, v);
  run(4);
}

void ScriptBot::on_fill(const bots::BotFill& fill, bots::BotContext& ctx) {
  if (!enter(kOnFill, ctx)) return;
  push_name(L_, to_string(fill.side));
  lua_pushinteger(L_, fill.price);
  lua_pushinteger(L_, fill.quantity);
  lua_pushinteger(L_, fill.fee);
  lua_pushinteger(L_, fill.tag);
  run(5);
}

void ScriptBot::on_order_update(const bots::BotOrderUpdate& update, bots::BotContext& ctx) {
  if (!enter(kOnOrderUpdate, ctx)) return;
  lua_pushinteger(L_, update.tag);
  push_name(L_, name_of(kStatusNames, update.status));
  push_name(L_, to_string(update.side));
  lua_pushinteger(L_, update.price);
  lua_pushinteger(L_, update.quantity);
  lua_pushinteger(L_, update.filled_quantity);
  run(6);
}

void ScriptBot::on_timer(std::uint32_t timer_id, bots::BotContext& ctx) {
  if (!enter(kOnTimer, ctx)) return;
  lua_pushinteger(L_, timer_id);
  run(1);
}

void ScriptBot::on_condition(std::uint32_t index, bots::BotContext& ctx) {
  if (!enter(kOnCondition, ctx)) return;
  lua_pushinteger(L_, static_cast<lua_Integer>(index) + 1);  // as bot.condition returned it
  run(1);
}

void ScriptBot::on_schedule_change(bool active, bots::BotContext& ctx) {
  if (!enter(kOnScheduleChange, ctx)) return;
  lua_pushboolean(L_, active);
  run(1);
}

void ScriptBot::on_stop(bots::BotContext& ctx) {
  if (enter(kOnStop, ctx)) run(0);
}

// The snapshot: the failure (empty while healthy), the indicators, then the state table.
void ScriptBot::save_fields(state_io::Writer& w) const {
  std::vector<std::byte> state;
  if (L_ != nullptr && !host_->failed()) {
    state_io::Writer state_writer(state);
    lua_rawgeti(L_, LUA_REGISTRYINDEX, state_ref_);
    auto bad = save_table(L_, lua_gettop(L_), state_writer);
    lua_pop(L_, 1);
    if (bad) {
      host_->fail("state: " + *bad);
      state.clear();
    }
  }
  w.put_string(host_->failure());
  ta::save_states(indicators_, w);
  w.put_bytes(state);
}

bool ScriptBot::load_fields(state_io::Reader& r) {
  const std::string failure = r.get_string();
  if (!ta::load_states(indicators_, r)) return false;
  const auto state = r.get_bytes();
  if (r.failed() || L_ == nullptr) return false;
  if (!failure.empty()) {
    host_->fail(failure);
    return state.empty();
  }
  state_io::Reader state_reader(state);
  lua_rawgeti(L_, LUA_REGISTRYINDEX, state_ref_);
  const auto bad = load_table(L_, lua_gettop(L_), state_reader);
  lua_pop(L_, 1);
  return !bad && state_reader.at_end();
}

std::unique_ptr<bots::Bot> ScriptBot::create(const bots::BotSetup& setup,
                                             config::ObjectReader& params) {
  using config::Presence;
  const auto source = params.string("source", Presence::kRequired);
  const auto budget = params.integer("instruction_budget", Presence::kOptional, 1'000, 100'000'000);
  const auto memory_kib = params.integer("memory_kib", Presence::kOptional, 64, 65'536);
  const config::Value* inputs = params.object_value("inputs");
  const bool bad_limits =
      (params.has("instruction_budget") && !budget) || (params.has("memory_kib") && !memory_kib);
  if (!source || bad_limits) return nullptr;
  Limits limits;
  limits.instruction_budget = budget.value_or(limits.instruction_budget);
  if (memory_kib) limits.memory_bytes = static_cast<std::size_t>(*memory_kib) * 1024;
  auto bot = std::make_unique<ScriptBot>(setup, limits);
  const cond::ConditionContext conditions = bots::condition_context(setup);
  if (auto error = bot->load_script(*source, inputs, conditions)) {
    params.error("source", *error);
    return nullptr;
  }
  return bot;
}

}  // namespace be::script
