// The two places where Lua's own table order would leak into behaviour, made deterministic:
// `pairs` (Lua 5.4 seeds its string hash from addresses and time) and the bytes of a script's
// `state` table in the bot's snapshot and state hash. Both use one order of keys: numbers
// (numerically), then strings (bytewise), then false, true. A table keyed by anything else
// (tables, functions: address order) has no defined order and is refused.
//
// State bytes: a tagged tree through core/state_io.hpp's Writer; tables list their entries
// in key order. Only numbers, strings, booleans and plain tables (no metatable, none shared
// or cyclic, at most kMaxDepth deep) can be kept: anything else could not come back the same
// after a restore, so it is an error, not something silently dropped.
#pragma once

#include <lua.hpp>

#include <optional>
#include <span>
#include <string>

#include "core/state_io.hpp"

namespace be::script {

inline constexpr int kMaxStateDepth = 32;

// Pushes the deterministic `pairs` onto L (a C function; see sandbox.cpp for where it goes).
void push_ordered_pairs(lua_State* L);

// The metatable field that marks a frozen proxy and holds the table it stands for.
inline constexpr const char* kFrozenTargetKey = "__be_frozen";
// Pushes the table a frozen proxy stands for, or the table itself; `index` is absolute.
void push_unfrozen(lua_State* L, int index);

// Writes the table at `index` (absolute) into w. nullopt on success, else what is wrong;
// never raises (runs protected).
std::optional<std::string> save_table(lua_State* L, int index, state_io::Writer& w);
// Empties the table at `index` and refills it from what save_table wrote at r's position.
std::optional<std::string> load_table(lua_State* L, int index, state_io::Reader& r);

}  // namespace be::script
