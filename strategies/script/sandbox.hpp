// What a script may touch, and the freezing of its environment after load.
//
// open_sandbox() opens only base, string, table, math, utf8 and coroutine, minus everything
// that reaches the OS, the clock, the collector or the machine's addresses: no io, os,
// debug, package/require, dofile/loadfile, collectgarbage, print, warn, next, rawset,
// string.dump, math.randomseed. What stays is wrapped where it could differ between runs:
//   pairs            in a defined key order (state_codec.hpp)
//   load             text chunks only (mode "t"), in the frozen environment
//   math.random      the bot's seeded generator (its state is in the bot's snapshot)
//   tostring, string.format   never show an address (%p is refused)
//   setmetatable     refuses __gc and __mode (finalizers and weak tables depend on when the
//                    collector runs); the metatable is copied and sealed, so adding them
//                    later does nothing
//   pcall, xpcall, coroutine.resume   cannot catch a stop (lua_host.hpp)
//   table.sort, table.concat, string.find/match/gmatch/gsub   charged against the budget
//                    by the work they do in C, where the count hook cannot see
// The library tables are frozen before the script loads; freeze_environment() freezes the
// script's own globals, the tables they reach and the tables its functions capture, after
// its top level ran. Only `state` stays writable. Scalars captured as upvalues cannot be made
// read-only at run time: upvalue_writes.hpp refuses, at load, any function that assigns one.
#pragma once

#include <lua.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace be::bots {
class SeededRng;
}

namespace be::script {

// Opens the sandboxed libraries into L's globals. `rng` must outlive L.
void open_sandbox(lua_State* L, bots::SeededRng* rng);

// Pushes a read-only proxy of the table at `index` (deeply: tables it holds are frozen too).
void push_frozen(lua_State* L, int index);

// Loads `source` (text only) as chunk "script" and returns it on the stack, or a syntax
// error naming the line ("script:3: ...").
std::optional<std::string> compile(lua_State* L, std::string_view source);

// After the script's top level ran: freezes the globals (all but the table `state`) and the
// tables the script's functions capture; an error for a coroutine kept from load.
std::optional<std::string> freeze_environment(lua_State* L);

}  // namespace be::script
