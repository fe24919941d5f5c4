// How a bot type that declares its conditions while it is created (script, plugin) resolves
// their symbols: the bot's instrument and timeframe by default, other symbols on its venue
// through the registry's resolver. One home, so both types read a condition alike.
#pragma once

#include "strategies/bots/registry.hpp"
#include "strategies/conditions/condition.hpp"

namespace be::bots {

// Valid while the factory runs: it refers to `setup`.
cond::ConditionContext condition_context(const BotSetup& setup);

}  // namespace be::bots
