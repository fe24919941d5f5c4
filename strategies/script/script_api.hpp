// The tables a script sees besides the sandboxed libraries: `bot` (its context, orders,
// indicators, conditions and exact-money helpers; the reference is docs/STRATEGIES.md) and
// `inputs` (its config's parameters). Both are frozen.
#pragma once

#include <lua.hpp>

#include <optional>
#include <string>

#include "core/json_config.hpp"
#include "strategies/bots/bot.hpp"

namespace be::script {

// Pushes the frozen `bot` table. Its functions find their bot through LuaHost::owner().
void push_bot_table(lua_State* L, const bots::InstrumentInfo& info,
                    std::uint32_t timeframe_seconds);

// Pushes the frozen `inputs` table: integers as Lua integers, other numbers as floats,
// strings, booleans, nested objects and arrays. `inputs` may be null (an empty table).
std::optional<std::string> push_inputs(lua_State* L, const config::Value* inputs);

}  // namespace be::script
