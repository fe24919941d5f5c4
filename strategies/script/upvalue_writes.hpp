// The static half of "the environment is frozen after load": a script's functions may not
// assign a local of the script's top level (nor _ENV) once the top level has run, because
// that value would live outside `state` and be lost at a restore. The only instruction that
// writes an upvalue is SETUPVAL, so the compiled chunk says it all: find_upvalue_writes()
// dumps the chunk (lua_dump, Lua 5.4's format), follows every SETUPVAL to the local it
// writes, and names the first one that is the top level's, with its line. Run at load, it
// makes such a script a config error and costs nothing per callback.
//
// Writes to locals of an enclosing function (a closure counting inside one callback) are
// fine: those locals die with the call.
#pragma once

#include <lua.hpp>

#include <optional>
#include <string>

namespace be::script {

// The compiled chunk (a Lua function) is on top of L's stack and stays there. nullopt when no
// function assigns a top-level local; else "line N: ..." naming the variable.
std::optional<std::string> find_upvalue_writes(lua_State* L);

}  // namespace be::script
