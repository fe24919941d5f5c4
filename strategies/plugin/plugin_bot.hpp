// A bot whose strategy is a native plugin the deployment loaded (docs/STRATEGIES.md,
// "Plugins"): the bot type `plugin`.
//
//   {"strategy": {"type": "plugin", "parameters": {
//       "plugin": "rsi",                                  a key of the deployment's "plugins"
//       "inputs": {"period": 14, "quantity": "0.01"},     optional, read by the plugin
//       "sha256": "9f2c..."}}}                            optional: the build it must be
//
// The engine writes `sha256` (the loaded library's) into every plugin bot config it journals
// (stamp_build), so a replay, backtest of that journal or recovery with another build of the
// library refuses the bot with both hashes named, and notes it (catalog.hpp) so the run stops.
//
// The same contract as a C++ bot: the Bot handlers below call the plugin's callbacks through
// its be_plugin table with a be_context whose functions reach this bot's BotContext. The
// snapshot is the plugin's name, the failure (empty while healthy), the states of the engine
// indicators it created and the bytes the plugin's save_state wrote; state_hash() covers them
// all. A config update to another plugin therefore
// starts it afresh rather than handing it the other plugin's bytes. A plugin that calls fail()
// stops for good, as a failed script does.
//
// Thread-safety: the strategy stage's thread. Handlers allocate nothing (the context table is
// built once per bot); what the plugin does inside its callbacks is the plugin's.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_config.hpp"
#include "sdk/include/botengine/sdk.h"
#include "strategies/bots/bot.hpp"
#include "strategies/bots/registry.hpp"
#include "strategies/conditions/condition.hpp"
#include "strategies/indicators/indicator.hpp"

namespace be::plugin {

class PluginBot final : public bots::Bot {
 public:
  static std::unique_ptr<bots::Bot> create(const bots::BotSetup& setup,
                                           config::ObjectReader& params);

  PluginBot(const bots::BotSetup& setup, const be_plugin* api);
  ~PluginBot() override;

  std::string_view type_name() const noexcept override { return "plugin"; }
  std::string_view failure() const noexcept override { return failure_; }

  void on_start(bots::BotContext& ctx) override;
  void on_bar(const Bar& bar, bots::BotContext& ctx) override;
  void on_trade(const Trade& trade, bots::BotContext& ctx) override;
  void on_quote(const Quote& quote, bots::BotContext& ctx) override;
  void on_fill(const bots::BotFill& fill, bots::BotContext& ctx) override;
  void on_order_update(const bots::BotOrderUpdate& update, bots::BotContext& ctx) override;
  void on_timer(std::uint32_t timer_id, bots::BotContext& ctx) override;
  const std::vector<cond::ConditionDef>& conditions() const noexcept override {
    return conditions_;
  }
  void on_condition(std::uint32_t index, bots::BotContext& ctx) override;
  void on_schedule_change(bool active, bots::BotContext& ctx) override;
  void on_stop(bots::BotContext& ctx) override;

 private:
  struct Abi;  // plugin_bot.cpp: the be_context and be_setup functions
  friend struct Abi;

  // Makes ctx current for one callback; false when the bot has failed (nothing runs).
  bool enter(bots::BotContext& ctx) noexcept;
  void fail(std::string_view message);

  void save_fields(state_io::Writer& w) const override;
  bool load_fields(state_io::Reader& r) override;

  const be_plugin* api_;
  std::string plugin_;   // the deployment's name for it: another plugin's state is refused
  void* bot_ = nullptr;  // the plugin's, from api_->create
  bots::InstrumentInfo info_;
  std::uint32_t timeframe_seconds_;
  be_context context_{};
  bots::BotContext* ctx_ = nullptr;  // while a callback runs
  std::vector<cond::ConditionDef> conditions_;
  std::vector<ta::AnyIndicator> indicators_;  // be_setup.indicator's, fed before on_bar
  std::string failure_;
  mutable std::vector<unsigned char> state_scratch_;  // save_state's buffer, kept between saves
};

// The config to journal for `json`: a plugin bot's with its loaded build's "sha256" added
// when it names none; any other config (or one that does not parse) unchanged.
std::string stamp_build(std::string_view json);
// The same on a parsed config (the bulk create's); true when it added the hash.
bool stamp_build(config::Value& root);

}  // namespace be::plugin
