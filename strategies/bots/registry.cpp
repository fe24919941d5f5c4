#include "strategies/bots/registry.hpp"

#include <algorithm>

#include "strategies/bots/condition_context.hpp"
#include "strategies/bots/custom_bot.hpp"
#include "strategies/bots/dca_bot.hpp"
#include "strategies/bots/grid_bot.hpp"
#include "strategies/bots/market_maker_bot.hpp"
#include "strategies/bots/signal_bots.hpp"
#include "strategies/plugin/plugin_bot.hpp"
#include "strategies/script/script_bot.hpp"

namespace be::bots {

std::optional<std::uint32_t> parse_timeframe(std::string_view text) noexcept {
  struct Named {
    std::string_view name;
    std::uint32_t seconds;
  };
  static constexpr Named kTimeframes[] = {{"1m", 60},   {"5m", 300},   {"15m", 900},
                                          {"1h", 3600}, {"4h", 14400}, {"1d", 86400}};
  for (const Named& t : kTimeframes) {
    if (t.name == text) return t.seconds;
  }
  return std::nullopt;
}

cond::ConditionContext condition_context(const BotSetup& setup) {
  cond::ConditionContext conditions;
  conditions.default_instrument = setup.instrument.id;
  conditions.default_timeframe_seconds = setup.timeframe_seconds;
  conditions.resolve = [&setup](std::string_view symbol) -> std::optional<InstrumentId> {
    const InstrumentInfo* info =
        setup.resolve != nullptr ? (*setup.resolve)(setup.venue, symbol) : nullptr;
    return info != nullptr ? std::optional(info->id) : std::nullopt;
  };
  return conditions;
}

const BotRegistry& BotRegistry::builtin() {
  static const BotRegistry registry = [] {
    BotRegistry r;
    r.add("rsi", "buy when RSI crosses below oversold, sell when it crosses above overbought",
          &RsiBot::create, {"RSIStrategy"});
    r.add("dca", "buy a fixed quote amount, on an interval and at safety deviations; take profit",
          &DcaBot::create, {"DCAStrategy"});
    r.add("grid", "limit orders on a ladder of levels; each buy is followed by a sell one level up",
          &GridBot::create, {"GridStrategy"});
    r.add("ma_cross",
          "buy when the fast SMA/EMA crosses above the slow one, sell on the cross below",
          &MaCrossBot::create, {"MACrossStrategy"});
    r.add("momentum", "buy when ROC crosses above entry_pct, sell when it crosses below exit_pct",
          &MomentumBot::create, {"MomentumStrategy"});
    r.add("macd_bollinger",
          "MACD crossing its signal below the middle band; exit at the upper band",
          &MacdBollingerBot::create, {"MACDBollingerStrategy"});
    r.add("custom", "entry and exit mixins composed from config", &CustomBot::create,
          {"CustomStrategy"});
    r.add("market_maker", "inventory-skewed quotes around the mid, capped", &MarketMakerBot::create,
          {"MarketMakerStrategy"});
    r.add("script", "a Lua 5.4 script from the config, sandboxed (docs/STRATEGIES.md)",
          &script::ScriptBot::create);
    r.add("plugin", "a native C++ plugin the deployment config loaded (docs/STRATEGIES.md)",
          &plugin::PluginBot::create);
    return r;
  }();
  return registry;
}

void BotRegistry::add(std::string_view type, std::string_view summary, BotFactory factory,
                      std::vector<std::string> aliases) {
  entries_.push_back({std::string(type), std::string(summary), factory, std::move(aliases)});
}

const BotRegistry::Entry* BotRegistry::find(std::string_view type) const noexcept {
  for (const Entry& e : entries_) {
    if (e.type == type) return &e;
    if (std::find(e.aliases.begin(), e.aliases.end(), type) != e.aliases.end()) return &e;
  }
  return nullptr;
}

Expected<CreatedBot, ConfigErrors> BotRegistry::create(std::string_view json, BotId id,
                                                       const InstrumentResolver& resolve) const {
  ConfigErrors errors;
  auto root = config::parse(json);
  if (!root.has_value()) return Unexpected{ConfigErrors{{"", root.error()}}};
  if (root->kind != config::Value::Kind::kObject) {
    return Unexpected{ConfigErrors{{"", "a bot config must be a JSON object"}}};
  }
  config::ObjectReader top(*root, "", errors);
  CreatedBot out;
  BotConfig& cfg = out.config;
  cfg.name = top.string("name", config::Presence::kRequired).value_or("");
  if (top.has("name") && (config::blank(cfg.name) || config::code_points(cfg.name) > 64)) {
    top.error("name", "must be 1 to 64 characters, not only blanks");
  }
  cfg.venue = top.string("venue", config::Presence::kOptional, {"binance", "coinbase", "kraken"})
                  .value_or("binance");
  cfg.symbol = top.string("symbol", config::Presence::kRequired).value_or("");
  const InstrumentInfo* instrument = nullptr;
  if (top.has("symbol") && config::blank(cfg.symbol)) {
    top.error("symbol", "must not be empty");  // else the bot runs and never trades
  } else if (!cfg.symbol.empty()) {
    instrument = resolve ? resolve(cfg.venue, cfg.symbol) : nullptr;
    if (instrument == nullptr) {
      top.error("symbol", "unknown symbol \"" + cfg.symbol + "\" on " + cfg.venue);
    }
  }
  if (auto tf = top.string("timeframe", config::Presence::kOptional)) {
    if (auto seconds = parse_timeframe(*tf)) {
      cfg.timeframe_seconds = *seconds;
    } else {
      top.error("timeframe", "must be one of 1m, 5m, 15m, 1h, 4h, 1d, got \"" + *tf + "\"");
    }
  }
  // The account the bot trades on (docs/ACCOUNTS.md): the engine checks it is the owner's and
  // journals it with the create command; absent, the owner's first account.
  (void)top.integer("account", config::Presence::kOptional, 0, 0xFFFF'FFFE);
  cfg.seed = static_cast<std::uint64_t>(
      top.integer("seed", config::Presence::kOptional, 0, INT64_MAX).value_or(0));
  if (const config::Value* schedule = top.object_value("schedule")) {
    cfg.schedule = sched::read_schedule(*schedule, "schedule", errors);
    if (cfg.schedule && cfg.schedule->every_seconds != 0) {
      errors.push_back({"schedule.every",
                        "a bot's schedule says when it is active; recurring actions belong to "
                        "the strategy (dca: interval_minutes)"});
      cfg.schedule.reset();
    }
  }
  if (const config::Value* risk = root->find("risk_management")) {
    if (risk->kind != config::Value::Kind::kObject) {
      top.error("risk_management", "must be an object");
    }
    cfg.risk_management = *risk;
    top.object("risk_management", config::Presence::kOptional);  // marks it as read
  }

  const Entry* entry = nullptr;
  if (auto strategy = top.object("strategy", config::Presence::kRequired)) {
    std::string known;
    for (const Entry& e : entries_)
      known += (known.empty() ? "" : ", ") + e.type;
    if (auto type = strategy->string("type", config::Presence::kRequired)) {
      entry = find(*type);
      if (entry == nullptr) {
        strategy->error("type", "unknown strategy \"" + *type + "\"; known: " + known);
      } else {
        cfg.strategy_type = entry->type;
      }
    }
    static const config::Value kEmptyObject = config::Value::empty_object();
    const config::Value* params = root->find("strategy")->find("parameters");
    if (params != nullptr && params->kind != config::Value::Kind::kObject) {
      strategy->error("parameters", "must be an object");
      params = nullptr;
    }
    strategy->object("parameters", config::Presence::kOptional);  // marks it as read
    cfg.parameters = params != nullptr ? *params : kEmptyObject;
    strategy->finish();
    if (entry != nullptr) {
      BotSetup setup;
      setup.id = id;
      setup.timeframe_seconds = cfg.timeframe_seconds;
      setup.seed = cfg.seed;
      setup.venue = cfg.venue;
      setup.resolve = &resolve;
      if (instrument != nullptr) setup.instrument = *instrument;
      config::ObjectReader params_reader(cfg.parameters, "strategy.parameters", errors);
      out.bot = entry->factory(setup, params_reader);
      params_reader.finish();
      if (out.bot != nullptr && cfg.schedule) out.bot->set_schedule(*cfg.schedule);
    }
  }
  top.finish();
  if (!errors.empty() || out.bot == nullptr) {
    if (errors.empty()) errors.push_back({"strategy", "the bot could not be created"});
    return Unexpected{std::move(errors)};
  }
  return out;
}

}  // namespace be::bots
