// A bot whose strategy is a Lua 5.4 script carried in its config (docs/STRATEGIES.md).
//
//   {"strategy": {"type": "script", "parameters": {
//       "source": "function on_bar(o, h, l, c, v, t) ... end",
//       "inputs": {"period": 14, "quantity": "0.001"},      optional, read-only `inputs`
//       "instruction_budget": 1000000,                       optional, per callback
//       "memory_kib": 1024}}}                                 optional, the script's heap
//
// The same contract as a C++ bot: the stage calls the Bot handlers below and the script's
// global functions of the same names run (absent ones are skipped); the script acts through
// the frozen table `bot` (script_api.cpp), keeps what it remembers in the table `state`
// (saved into the bot's snapshot and state hash with sorted keys), and reads its `inputs`.
// Money crosses as Lua integers of fixed-point units or decimal strings, never floats.
//
// A syntax error, an error of the top level, or a bad parameter is a config error naming the
// line. At run time, an error a script does not catch or a limit it hits (lua_host.hpp) fails
// the bot: failure() is then the message with its line, every later callback is skipped, and
// the strategy stage moves the bot to `error`.
//
// Thread-safety: the strategy stage's thread. Handlers allocate only in the script's own
// capped heap (the Lua state's allocator).
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_config.hpp"
#include "strategies/bots/bot.hpp"
#include "strategies/bots/registry.hpp"
#include "strategies/conditions/condition.hpp"
#include "strategies/indicators/indicator.hpp"
#include "strategies/script/lua_host.hpp"

namespace be::script {

class ScriptBot final : public bots::Bot {
 public:
  static std::unique_ptr<bots::Bot> create(const bots::BotSetup& setup,
                                           config::ObjectReader& params);

  ScriptBot(const bots::BotSetup& setup, const Limits& limits);
  ~ScriptBot() override;

  // Loads and runs the script's top level, then freezes its environment. nullopt on
  // success, else the error ("line 3: ...") for the config's 422.
  std::optional<std::string> load_script(std::string_view source, const config::Value* inputs,
                                         const cond::ConditionContext& conditions);

  std::string_view type_name() const noexcept override { return "script"; }
  std::string_view failure() const noexcept override { return host_->failure(); }

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

  const LuaHost& host() const noexcept { return *host_; }

  // The script's global functions the handlers call, in this order (kCallbackNames).
  enum Callback : std::uint8_t {
    kOnStart,
    kOnBar,
    kOnTrade,
    kOnQuote,
    kOnFill,
    kOnOrderUpdate,
    kOnTimer,
    kOnCondition,
    kOnScheduleChange,
    kOnStop,
    kCallbackCount
  };

 private:
  friend struct Api;  // script_api.cpp: the `bot` table's functions

  // Pushes the callback's function and makes ctx current; false when there is nothing to run.
  bool enter(Callback callback, bots::BotContext& ctx);
  // Runs what enter() pushed, with its `nargs` arguments.
  void run(int nargs);

  void save_fields(state_io::Writer& w) const override;
  bool load_fields(state_io::Reader& r) override;

  bots::InstrumentInfo info_;
  std::uint32_t timeframe_seconds_;
  std::unique_ptr<LuaHost> host_;
  lua_State* L_ = nullptr;
  std::array<int, kCallbackCount> callbacks_{};
  int state_ref_ = LUA_NOREF;
  std::vector<ta::AnyIndicator> indicators_;
  std::vector<cond::ConditionDef> conditions_;
  bots::BotContext* ctx_ = nullptr;                  // while a handler runs
  const cond::ConditionContext* loading_ = nullptr;  // while the top level runs
};

}  // namespace be::script
