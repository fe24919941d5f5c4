// libFuzzer target: every operator-facing JSON reader. The first byte picks the reader: a
// whole bot config (envelope, strategy parameters, nested trigger condition and schedule),
// a risk config, a condition, a schedule, a deployment config's "api" object. Each must refuse bad
// input with named errors and never crash; an accepted bot must be a usable object with a state
// hash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "risk/config.hpp"
#include "runner/api/options.hpp"
#include "strategies/bots/registry.hpp"
#include "strategies/conditions/condition.hpp"
#include "strategies/schedule/schedule.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view json(reinterpret_cast<const char*>(data) + 1, size - 1);
  static const be::bots::InstrumentInfo info = [] {
    be::bots::InstrumentInfo i;
    i.tick_size = 1'000'000;
    i.step_size = 1'000;
    return i;
  }();
  switch (data[0] % 5) {
    case 0: {
      auto created = be::bots::BotRegistry::builtin().create(
          json, be::BotId{1},
          [](std::string_view, std::string_view symbol) -> const be::bots::InstrumentInfo* {
            return symbol == "BTCUSDT" ? &info : nullptr;
          });
      if (created.has_value()) {
        if (created->bot == nullptr) __builtin_trap();
        (void)created->bot->state_hash();
      } else if (created.error().empty()) {
        __builtin_trap();  // a refusal must say why
      }
      break;
    }
    case 1: {
      auto risk = be::risk::parse_bot_risk_config(json, 8, 8);
      if (!risk.has_value() && risk.error().empty()) __builtin_trap();
      break;
    }
    case 2: {
      be::cond::ConditionContext context;
      context.default_instrument = be::InstrumentId{0};
      context.default_timeframe_seconds = 60;
      auto condition = be::cond::parse_condition(json, context);
      if (condition.has_value()) {
        if (be::cond::validate(*condition).has_value()) __builtin_trap();
        (void)be::cond::canonical_text(*condition);
      } else if (condition.error().empty()) {
        __builtin_trap();
      }
      break;
    }
    case 4: {
      auto api = be::api::read_api_options(json);
      if (api.has_value()) {
        if (api->reserved_connections >= api->max_connections) __builtin_trap();
      } else if (api.error().empty()) {
        __builtin_trap();
      }
      break;
    }
    default: {
      auto schedule = be::sched::parse_schedule(json);
      if (schedule.has_value()) {
        be::sched::Schedule s(*schedule);
        (void)s.is_active(1'700'000'000'000'000'000);
        (void)s.next_change_after(1'700'000'000'000'000'000);
      } else if (schedule.error().empty()) {
        __builtin_trap();
      }
      break;
    }
  }
  return 0;
}
