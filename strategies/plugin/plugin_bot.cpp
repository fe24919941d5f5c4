#include "strategies/plugin/plugin_bot.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "core/fixed_point.hpp"
#include "strategies/bots/condition_context.hpp"
#include "strategies/plugin/catalog.hpp"

namespace be::plugin {
namespace {

constexpr std::size_t kMaxFailure = 512;  // bytes of a plugin's fail() message kept

// What create() hands the plugin's be_setup functions: the inputs and where errors go.
const config::Value kNoInputs = config::Value::empty_object();

struct SetupState {
  SetupState(const config::Value* in, config::ObjectReader& p, cond::ConditionContext c,
             std::vector<cond::ConditionDef>& d, std::vector<ta::AnyIndicator>& i)
      : inputs(in),
        params(&p),
        reader(in != nullptr ? *in : kNoInputs, p.path() + ".inputs", errors),
        conditions(std::move(c)),
        declared(&d),
        indicators(&i) {}
  const config::Value* inputs;  // nullptr when the config has none
  config::ObjectReader* params;
  std::vector<config::FieldError> errors;  // the inputs reader's, forwarded to params
  config::ObjectReader reader;
  cond::ConditionContext conditions;
  std::vector<cond::ConditionDef>* declared;
  std::vector<ta::AnyIndicator>* indicators;
};

}  // namespace

struct PluginBot::Abi {
  static PluginBot& bot(void* self) noexcept { return *static_cast<PluginBot*>(self); }
  static SetupState& setup(void* self) noexcept { return *static_cast<SetupState*>(self); }

  // ---- be_context --------------------------------------------------------------------------
  static int64_t now(void* self) noexcept { return bot(self).ctx_->now(); }
  static void submit(void* self, const be_order* order) noexcept {
    PluginBot& b = bot(self);
    if (order == nullptr || (order->side != BE_SIDE_BUY && order->side != BE_SIDE_SELL) ||
        (order->type != BE_ORDER_MARKET && order->type != BE_ORDER_LIMIT) ||
        (order->flags & ~std::uint32_t{BE_ORDER_REDUCE_ONLY | BE_ORDER_POST_ONLY}) != 0) {
      b.fail("submit: an order needs side buy or sell, type market or limit, known flags");
      return;
    }
    OrderIntent intent;
    intent.instrument = b.instrument();
    intent.side = static_cast<Side>(order->side);
    intent.type = static_cast<OrderType>(order->type);
    intent.flags = static_cast<std::uint8_t>(order->flags);
    intent.tag = order->tag;
    intent.price = order->price;
    intent.quantity = order->quantity;
    intent.quote_amount = order->quote_amount;
    b.ctx_->submit(intent);
  }
  static void cancel(void* self, uint32_t tag) noexcept {
    bot(self).ctx_->cancel(bot(self).instrument(), tag);
  }
  static void set_timer(void* self, uint32_t timer_id, int64_t deadline) noexcept {
    if (timer_id == bots::Bot::kScheduleTimer) {
      bot(self).fail("set_timer: timer id 0xFFFFFFFF is the engine's (the schedule)");
      return;
    }
    bot(self).ctx_->set_timer(timer_id, deadline);
  }
  static int64_t position(void* self) noexcept {
    return bot(self).ctx_->position(bot(self).instrument());
  }
  static int64_t available_quote(void* self) noexcept {
    return bot(self).ctx_->available_quote(bot(self).instrument());
  }
  static int32_t tradable(void* self) noexcept {
    return bot(self).ctx_->tradable(bot(self).instrument()) ? 1 : 0;
  }
  static int32_t active(void* self) noexcept {
    return bot(self).active(bot(self).ctx_->now()) ? 1 : 0;
  }
  static void fail(void* self, const char* message) noexcept {
    bot(self).fail(message == nullptr ? std::string_view("failed")
                                      : std::string_view(message, strnlen(message, kMaxFailure)));
  }
  static int32_t indicator_value(void* self, uint32_t handle, uint32_t output,
                                 double* out) noexcept {
    const PluginBot& b = bot(self);
    if (handle >= b.indicators_.size()) return -1;
    const ta::AnyIndicator& ind = b.indicators_[handle];
    if (output >= ind.output_count() || out == nullptr) return -1;
    if (!ind.ready()) return 0;
    *out = ind.output(output);
    return 1;
  }

  // ---- be_setup ----------------------------------------------------------------------------
  static bool present(SetupState& s, const char* key) noexcept {
    return s.inputs != nullptr && key != nullptr && s.inputs->find(key) != nullptr;
  }
  static int32_t input_integer(void* self, const char* key, int64_t* out) noexcept {
    SetupState& s = setup(self);
    if (!present(s, key)) return 0;
    const auto v = s.reader.integer(key, config::Presence::kOptional, INT64_MIN, INT64_MAX);
    if (!v) return -1;
    *out = *v;
    return 1;
  }
  static int32_t input_number(void* self, const char* key, double* out) noexcept {
    SetupState& s = setup(self);
    if (!present(s, key)) return 0;
    const auto v = s.reader.number(key, config::Presence::kOptional, -1e300, 1e300);
    if (!v) return -1;
    *out = *v;
    return 1;
  }
  // A number or a decimal string, exact at `scale` (never through a double).
  static int32_t input_fixed(void* self, const char* key, int32_t scale, int64_t* out) noexcept {
    SetupState& s = setup(self);
    if (!present(s, key)) return 0;
    if (scale < 0 || scale > 18) {
      s.reader.error(key, "scale must be from 0 to 18");
      return -1;
    }
    const config::Value* v = s.inputs->find(key);
    if (v->kind == config::Value::Kind::kString) {
      (void)s.reader.string(key, config::Presence::kOptional);  // marks it as read
      auto parsed = parse_decimal(v->text, scale);
      if (!parsed) {
        s.reader.error(key, "must be a decimal with at most " + std::to_string(scale) +
                                " decimal places, got \"" + v->text + "\"");
        return -1;
      }
      *out = *parsed;
      return 1;
    }
    const auto d = s.reader.decimal(key, scale, config::Presence::kOptional, INT64_MIN, INT64_MAX);
    if (!d) return -1;
    *out = *d;
    return 1;
  }
  static int32_t input_text(void* self, const char* key, char* out, size_t capacity,
                            size_t* length) noexcept {
    SetupState& s = setup(self);
    if (!present(s, key)) return 0;
    const auto v = s.reader.string(key, config::Presence::kOptional);
    if (!v) return -1;
    if (length != nullptr) *length = v->size();
    if (out != nullptr && capacity > 0) {
      const std::size_t n = std::min(capacity - 1, v->size());
      std::memcpy(out, v->data(), n);
      out[n] = '\0';
    }
    return 1;
  }
  static int32_t declare_condition(void* self, const char* json, size_t length) noexcept {
    SetupState& s = setup(self);
    auto def = cond::parse_condition(std::string_view(json, length), s.conditions);
    if (!def) {
      for (const config::FieldError& e : def.error())
        s.params->error("condition", (e.field.empty() ? "" : e.field + ": ") + e.message);
      return -1;
    }
    s.declared->push_back(std::move(*def));
    return static_cast<int32_t>(s.declared->size() - 1);
  }
  static int32_t indicator(void* self, const char* spec, size_t length) noexcept {
    SetupState& s = setup(self);
    auto parsed = ta::parse_indicator_spec(std::string_view(spec, spec != nullptr ? length : 0));
    if (!parsed) {
      s.params->error("indicator", parsed.error().message);
      return -1;
    }
    s.indicators->emplace_back(*parsed);
    return static_cast<int32_t>(s.indicators->size() - 1);
  }
  static void error(void* self, const char* key, const char* message) noexcept {
    SetupState& s = setup(self);
    const std::string field =
        key != nullptr && key[0] != '\0' ? std::string("inputs.") + key : std::string("plugin");
    s.params->error(field, message != nullptr ? message : "refused by the plugin");
  }
};

PluginBot::PluginBot(const bots::BotSetup& setup, const be_plugin* api)
    : Bot(setup.id, setup.instrument.id, setup.seed),
      api_(api),
      info_(setup.instrument),
      timeframe_seconds_(setup.timeframe_seconds) {
  context_ = be_context{this,
                        &Abi::now,
                        &Abi::submit,
                        &Abi::cancel,
                        &Abi::set_timer,
                        &Abi::position,
                        &Abi::available_quote,
                        &Abi::tradable,
                        &Abi::active,
                        &Abi::fail,
                        &Abi::indicator_value};
}

PluginBot::~PluginBot() {
  if (bot_ != nullptr) api_->destroy(bot_);
}

std::unique_ptr<bots::Bot> PluginBot::create(const bots::BotSetup& setup,
                                             config::ObjectReader& params) {
  using config::Presence;
  const auto name = params.string("plugin", Presence::kRequired);
  const auto sha256 = params.string("sha256", Presence::kOptional);
  const config::Value* inputs = params.object_value("inputs");
  if (!name) return nullptr;
  const auto plugins = installed();
  const LoadedPlugin* loaded = find(*plugins, *name);
  if (loaded == nullptr) {
    std::string known;
    for (const LoadedPlugin& p : *plugins)
      known += (known.empty() ? "" : ", ") + p.name;
    params.error("plugin", "no plugin named \"" + *name +
                               "\" is loaded; the deployment config's \"plugins\" names " +
                               (known.empty() ? "none" : known) +
                               " (plugins are named there only, docs/STRATEGIES.md)");
    return nullptr;
  }
  if (sha256 && *sha256 != loaded->sha256) {
    std::string message = "plugin \"" + *name + "\": this bot was journaled with build " + *sha256 +
                          ", but the loaded library " + loaded->path + " is build " +
                          loaded->sha256 +
                          ": refusing to run a different build (load the journaled build, or "
                          "start a new journal)";
    note_refused_build(message);
    params.error("sha256", std::move(message));
    return nullptr;
  }
  auto bot = std::make_unique<PluginBot>(setup, loaded->api);
  bot->plugin_ = *name;
  SetupState state(inputs, params, bots::condition_context(setup), bot->conditions_,
                   bot->indicators_);
  be_setup abi{};
  abi.self = &state;
  abi.bot_id = index_of(setup.id);
  abi.timeframe_seconds = setup.timeframe_seconds;
  abi.seed = setup.seed;
  abi.instrument = be_instrument{
      index_of(setup.instrument.id), setup.instrument.price_scale, setup.instrument.qty_scale,   0,
      setup.instrument.tick_size,    setup.instrument.step_size,   setup.instrument.min_notional};
  abi.input_integer = &Abi::input_integer;
  abi.input_number = &Abi::input_number;
  abi.input_fixed = &Abi::input_fixed;
  abi.input_text = &Abi::input_text;
  abi.declare_condition = &Abi::declare_condition;
  abi.error = &Abi::error;
  abi.indicator = &Abi::indicator;
  bot->bot_ = loaded->api->create(&abi);
  bool refused = bot->bot_ == nullptr;
  for (config::FieldError& e : state.errors) {
    // The inputs reader's paths are under strategy.parameters already: hand them on whole.
    const std::string prefix = params.path() + ".";
    params.error(e.field.rfind(prefix, 0) == 0 ? e.field.substr(prefix.size()) : e.field,
                 std::move(e.message));
    refused = true;
  }
  if (refused) {
    if (bot->bot_ == nullptr) params.error("plugin", "the plugin refused this config");
    return nullptr;
  }
  return bot;
}

void PluginBot::fail(std::string_view message) {
  if (!failure_.empty()) return;
  failure_ = "plugin: " + std::string(message);
}

bool PluginBot::enter(bots::BotContext& ctx) noexcept {
  if (!failure_.empty()) return false;
  ctx_ = &ctx;
  return true;
}

void PluginBot::on_start(bots::BotContext& ctx) {
  if (enter(ctx)) api_->on_start(bot_, &context_);
}

void PluginBot::on_bar(const Bar& bar, bots::BotContext& ctx) {
  if (bar.instrument != instrument() || bar.interval_seconds != timeframe_seconds_ ||
      bar.closed == 0 || !enter(ctx)) {
    return;
  }
  for (ta::AnyIndicator& indicator : indicators_)
    indicator.update(bar, info_.price_scale, info_.qty_scale);
  const be_bar b{bar.open_time, bar.open, bar.high, bar.low, bar.close, bar.volume};
  api_->on_bar(bot_, &b, &context_);
}

void PluginBot::on_trade(const Trade& trade, bots::BotContext& ctx) {
  if (!enter(ctx)) return;
  const be_trade t{trade.price, trade.quantity, static_cast<int32_t>(trade.aggressor), 0};
  api_->on_trade(bot_, &t, &context_);
}

void PluginBot::on_quote(const Quote& quote, bots::BotContext& ctx) {
  if (!enter(ctx)) return;
  const be_quote q{quote.bid_price, quote.bid_quantity, quote.ask_price, quote.ask_quantity};
  api_->on_quote(bot_, &q, &context_);
}

void PluginBot::on_fill(const bots::BotFill& fill, bots::BotContext& ctx) {
  if (!enter(ctx)) return;
  const be_fill f{static_cast<int32_t>(fill.side), fill.tag, fill.price, fill.quantity, fill.fee};
  api_->on_fill(bot_, &f, &context_);
}

void PluginBot::on_order_update(const bots::BotOrderUpdate& update, bots::BotContext& ctx) {
  if (!enter(ctx)) return;
  const be_order_update u{update.tag,
                          static_cast<int32_t>(update.status),
                          static_cast<int32_t>(update.side),
                          0,
                          update.price,
                          update.quantity,
                          update.filled_quantity};
  api_->on_order_update(bot_, &u, &context_);
}

void PluginBot::on_timer(std::uint32_t timer_id, bots::BotContext& ctx) {
  if (enter(ctx)) api_->on_timer(bot_, timer_id, &context_);
}

void PluginBot::on_condition(std::uint32_t index, bots::BotContext& ctx) {
  if (enter(ctx)) api_->on_condition(bot_, index, &context_);
}

void PluginBot::on_schedule_change(bool active, bots::BotContext& ctx) {
  if (enter(ctx)) api_->on_schedule_change(bot_, active ? 1 : 0, &context_);
}

void PluginBot::on_stop(bots::BotContext& ctx) {
  if (enter(ctx)) api_->on_stop(bot_, &context_);
}

// The snapshot: the plugin's name, the failure (empty while healthy), the engine indicators'
// states, then the plugin's own state bytes.
void PluginBot::save_fields(state_io::Writer& w) const {
  w.put_string(plugin_);
  w.put_string(failure_);
  ta::save_states(indicators_, w);
  std::size_t size = 0;
  if (failure_.empty()) {
    size = api_->save_state(bot_, state_scratch_.data(), state_scratch_.size());
    if (size > state_scratch_.size()) {
      state_scratch_.resize(size);
      size = api_->save_state(bot_, state_scratch_.data(), state_scratch_.size());
    }
  }
  w.put_bytes(std::as_bytes(std::span(state_scratch_.data(), size)));
}

bool PluginBot::load_fields(state_io::Reader& r) {
  if (r.get_string() != plugin_) return false;
  failure_ = r.get_string();
  if (!ta::load_states(indicators_, r)) return false;
  const auto bytes = r.get_bytes();
  if (r.failed()) return false;
  if (!failure_.empty()) return true;  // a failed bot runs nothing more: no state to load
  return api_->load_state(bot_, reinterpret_cast<const unsigned char*>(bytes.data()),
                          bytes.size()) == 1;
}

bool stamp_build(config::Value& root) {
  const auto member = [](config::Value& object, std::string_view key) -> config::Value* {
    for (std::size_t i = 0; i < object.keys.size(); ++i)
      if (object.keys[i] == key) return &object.values[i];
    return nullptr;
  };
  if (root.kind != config::Value::Kind::kObject) return false;
  config::Value* strategy = member(root, "strategy");
  if (strategy == nullptr || strategy->kind != config::Value::Kind::kObject) return false;
  const config::Value* type = strategy->find("type");
  config::Value* params = member(*strategy, "parameters");
  if (type == nullptr || type->text != "plugin" || params == nullptr ||
      params->kind != config::Value::Kind::kObject || params->find("sha256") != nullptr) {
    return false;
  }
  const config::Value* name = params->find("plugin");
  const auto plugins = installed();
  const LoadedPlugin* loaded = name != nullptr ? find(*plugins, name->text) : nullptr;
  if (loaded == nullptr) return false;  // refused by validation before it is journaled
  config::Value hash;
  hash.kind = config::Value::Kind::kString;
  hash.text = loaded->sha256;
  params->keys.emplace_back("sha256");
  params->values.push_back(std::move(hash));
  return true;
}

std::string stamp_build(std::string_view json) {
  auto root = config::parse(json);
  if (!root || !stamp_build(*root)) return std::string(json);
  return config::to_json(*root);
}

}  // namespace be::plugin
