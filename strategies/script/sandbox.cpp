#include "strategies/script/sandbox.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "strategies/bots/bot.hpp"
#include "strategies/script/lua_host.hpp"
#include "strategies/script/state_codec.hpp"

namespace be::script {
namespace {

constexpr const char* kSealedKey = "__be_sealed";
constexpr const char* kSealsKey = "be.seals";  // registry: metatable given -> its sealed copy

// ---- catching: pcall, xpcall and coroutine.resume cannot swallow a stop -------------------

int finish_pcall(lua_State* L, int status, lua_KContext extra) {
  if (LuaHost::of(L).stopped()) return LuaHost::raise_stop(L);
  if (status != LUA_OK && status != LUA_YIELD) {
    lua_pushboolean(L, 0);
    lua_pushvalue(L, -2);
    return 2;
  }
  return lua_gettop(L) - static_cast<int>(extra);
}

int safe_pcall(lua_State* L) {  // as lbaselib.c's luaB_pcall
  luaL_checkany(L, 1);
  lua_pushboolean(L, 1);
  lua_insert(L, 1);
  const int status = lua_pcallk(L, lua_gettop(L) - 2, LUA_MULTRET, 0, 0, &finish_pcall);
  return finish_pcall(L, status, 0);
}

int safe_xpcall(lua_State* L) {  // as luaB_xpcall
  const int n = lua_gettop(L);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_pushboolean(L, 1);
  lua_pushvalue(L, 1);
  lua_rotate(L, 3, 2);
  const int status = lua_pcallk(L, n - 2, LUA_MULTRET, 2, 2, &finish_pcall);
  return finish_pcall(L, status, 2);
}

int safe_resume(lua_State* L) {  // upvalue 1: the library's resume
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  if (LuaHost::of(L).stopped()) return LuaHost::raise_stop(L);
  return lua_gettop(L);
}

// ---- no addresses ---------------------------------------------------------------------------

bool shows_address(lua_State* L, int index) {
  const int type = lua_type(L, index);
  if (type != LUA_TTABLE && type != LUA_TFUNCTION && type != LUA_TTHREAD && type != LUA_TUSERDATA &&
      type != LUA_TLIGHTUSERDATA) {
    return false;
  }
  if (luaL_getmetafield(L, index, "__tostring") != LUA_TNIL) {
    lua_pop(L, 1);
    return false;
  }
  return true;
}

int safe_tostring(lua_State* L) {
  luaL_checkany(L, 1);
  if (shows_address(L, 1)) {
    lua_pushstring(L, luaL_typename(L, 1));
  } else {
    luaL_tolstring(L, 1, nullptr);
  }
  return 1;
}

int safe_format(lua_State* L) {  // upvalue 1: the library's string.format
  std::size_t length = 0;
  const char* format = luaL_checklstring(L, 1, &length);
  for (std::size_t i = 0; i + 1 < length; ++i) {
    if (format[i] != '%') continue;
    std::size_t j = i + 1;
    while (j < length && std::strchr("-+ #0123456789.", format[j]) != nullptr)
      ++j;
    if (j < length && format[j] == 'p') {
      return luaL_error(L, "string.format: %%p shows an address, which differs between runs");
    }
    i = j;
  }
  for (int arg = 2; arg <= lua_gettop(L); ++arg) {
    if (shows_address(L, arg)) {
      lua_pushstring(L, luaL_typename(L, arg));
      lua_replace(L, arg);
    }
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

// ---- C functions charged against the budget (LuaHost::charge) ------------------------------

enum class Work : lua_Integer { kSort, kPattern, kConcat };

// Backtracking items of a Lua pattern (`*`, `+`, `-`, `?` outside sets and escapes): matching
// may cost about length^items steps.
int backtracking_items(const char* p, std::size_t n) {
  int items = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (p[i] == '%') {
      ++i;
    } else if (p[i] == '[') {
      for (++i; i < n && p[i] != ']'; ++i)
        if (p[i] == '%') ++i;
    } else if (std::strchr("*+-?", p[i]) != nullptr) {
      ++items;
    }
  }
  return items;
}

double work_of(lua_State* L, Work work) {
  switch (work) {
    case Work::kSort: {
      const double n = lua_type(L, 1) == LUA_TTABLE ? static_cast<double>(lua_rawlen(L, 1)) : 0;
      return n * std::log2(n + 2) * 4;
    }
    case Work::kPattern: {
      const double length =
          lua_type(L, 1) == LUA_TSTRING ? static_cast<double>(lua_rawlen(L, 1)) : 0;
      std::size_t n = 0;
      const char* pattern = lua_type(L, 2) == LUA_TSTRING ? lua_tolstring(L, 2, &n) : "";
      const bool plain = lua_toboolean(L, 4) != 0;  // string.find(s, p, init, plain)
      const int items = plain ? 0 : std::min(backtracking_items(pattern, n), 4);
      return std::pow(length + 1, items + 1) / 8;
    }
    case Work::kConcat:  // the items it joins (string.rep's size is the heap cap's business)
      return lua_type(L, 1) == LUA_TTABLE ? static_cast<double>(lua_rawlen(L, 1)) * 4 : 0;
  }
  return 0;
}

int charged(lua_State* L) {  // upvalues: the library's function, what its work is
  LuaHost::charge(L, work_of(L, static_cast<Work>(lua_tointeger(L, lua_upvalueindex(2)))));
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

// Replaces table[name] (the table on top of the stack) with its charged wrapper.
void charge_field(lua_State* L, const char* name, Work work) {
  lua_getfield(L, -1, name);
  lua_pushinteger(L, static_cast<lua_Integer>(work));
  lua_pushcclosure(L, &charged, 2);
  lua_setfield(L, -2, name);
}

// ---- load: text only, in the frozen environment -----------------------------------------------

int safe_load(lua_State* L) {
  std::size_t length = 0;
  const char* text = luaL_checklstring(L, 1, &length);
  const char* name = luaL_optstring(L, 2, "=load");
  const int env = !lua_isnone(L, 4) ? 4 : 0;
  if (luaL_loadbufferx(L, text, length, name, "t") != LUA_OK) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;  // nil, message (as load does)
  }
  if (env != 0) {
    lua_pushvalue(L, env);
  } else {
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
  }
  lua_setupvalue(L, -2, 1);
  return 1;
}

// ---- math.random from the bot's generator -----------------------------------------------------

int seeded_random(lua_State* L) {  // upvalue 1: the SeededRng
  auto* rng = static_cast<bots::SeededRng*>(lua_touserdata(L, lua_upvalueindex(1)));
  lua_Integer low = 1;
  lua_Integer high = 0;
  switch (lua_gettop(L)) {
    case 0:
      lua_pushnumber(L, rng->uniform());
      return 1;
    case 1:
      high = luaL_checkinteger(L, 1);
      break;
    case 2:
      low = luaL_checkinteger(L, 1);
      high = luaL_checkinteger(L, 2);
      break;
    default:
      return luaL_error(L, "math.random: wrong number of arguments");
  }
  luaL_argcheck(L, low <= high, lua_gettop(L), "interval is empty");
  const auto span = static_cast<std::uint64_t>(high) - static_cast<std::uint64_t>(low) + 1;
  const std::uint64_t draw = span == 0 ? rng->next() : rng->next() % span;
  lua_pushinteger(L, static_cast<lua_Integer>(static_cast<std::uint64_t>(low) + draw));
  return 1;
}

// ---- metatables: no __gc, no __mode, sealed when set ------------------------------------------

int safe_setmetatable(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  const int given = lua_type(L, 2);
  luaL_argexpected(L, given == LUA_TNIL || given == LUA_TTABLE, 2, "nil or table");
  if (lua_getmetatable(L, 1) != 0) {
    // Sealed copies say whether the script protected its metatable (2) or not (1).
    lua_getfield(L, -1, kSealedKey);
    if (lua_tointeger(L, -1) != 1) return luaL_error(L, "cannot change a protected metatable");
    lua_pop(L, 2);
  }
  if (given == LUA_TNIL) {
    lua_setmetatable(L, 1);
    lua_settop(L, 1);
    return 1;
  }
  for (const char* field : {"__gc", "__mode"}) {
    if (lua_getfield(L, 2, field) != LUA_TNIL) {
      return luaL_error(L,
                        "setmetatable: %s is refused (finalizers and weak tables depend on when "
                        "the collector runs, which differs between runs)",
                        field);
    }
    lua_pop(L, 1);
  }
  // The copy the script cannot reach: what it changes in its table later has no effect.
  lua_getfield(L, LUA_REGISTRYINDEX, kSealsKey);
  lua_pushvalue(L, 2);
  if (lua_rawget(L, -2) == LUA_TNIL) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushnil(L);
    while (lua_next(L, 2) != 0) {
      lua_pushvalue(L, -2);
      lua_insert(L, -2);
      lua_rawset(L, -4);
    }
    const bool protected_by_script = lua_getfield(L, -1, "__metatable") != LUA_TNIL;
    lua_pop(L, 1);
    lua_pushinteger(L, protected_by_script ? 2 : 1);
    lua_setfield(L, -2, kSealedKey);
    if (!protected_by_script) {
      lua_pushvalue(L, 2);  // getmetatable shows the script's own table
      lua_setfield(L, -2, "__metatable");
    }
    lua_pushvalue(L, 2);
    lua_pushvalue(L, -2);
    lua_rawset(L, -4);
  }
  lua_setmetatable(L, 1);
  lua_settop(L, 1);
  return 1;
}

// ---- frozen proxies ---------------------------------------------------------------------------

int frozen_write(lua_State* L) {
  return luaL_error(L,
                    "the environment is frozen after load (globals, libraries and the tables "
                    "they hold): keep what changes in `state`");
}

int frozen_len(lua_State* L) {
  lua_getmetatable(L, 1);
  lua_getfield(L, -1, kFrozenTargetKey);
  lua_pushinteger(L, static_cast<lua_Integer>(lua_rawlen(L, -1)));
  return 1;
}

void push_frozen_memo(lua_State* L, int index, int memo);

// Freezes the tables a function captures (and those of the functions it captures). Its
// scalar upvalues cannot change: upvalue_writes.cpp refused every function that assigns one.
void freeze_upvalues(lua_State* L, int function, int memo) {
  if (lua_iscfunction(L, function)) return;
  lua_pushvalue(L, function);
  if (lua_rawget(L, memo) != LUA_TNIL) {
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  lua_pushvalue(L, function);
  lua_pushboolean(L, 1);
  lua_rawset(L, memo);
  for (int i = 1; lua_getupvalue(L, function, i) != nullptr; ++i) {
    const int value = lua_gettop(L);
    switch (lua_type(L, value)) {
      case LUA_TTABLE:
        push_frozen_memo(L, value, memo);
        lua_setupvalue(L, function, i);
        break;
      case LUA_TFUNCTION:
        freeze_upvalues(L, value, memo);
        break;
      case LUA_TTHREAD:
        luaL_error(L, "a coroutine kept from load would hold state outside `state`");
        break;
      default:
        break;
    }
    lua_settop(L, value - 1);
  }
}

void push_frozen_memo(lua_State* L, int index, int memo) {
  index = lua_absindex(L, index);
  lua_pushvalue(L, index);
  if (lua_rawget(L, memo) != LUA_TNIL) return;  // frozen already (or `state`: itself)
  lua_pop(L, 1);
  lua_newtable(L);  // the proxy
  const int proxy = lua_gettop(L);
  lua_pushvalue(L, index);
  lua_pushvalue(L, proxy);
  lua_rawset(L, memo);
  lua_pushvalue(L, proxy);
  lua_pushvalue(L, proxy);
  lua_rawset(L, memo);  // a proxy met again freezes to itself
  lua_createtable(L, 0, 5);
  lua_pushvalue(L, index);
  lua_setfield(L, -2, "__index");
  lua_pushvalue(L, index);
  lua_setfield(L, -2, kFrozenTargetKey);
  lua_pushcfunction(L, &frozen_write);
  lua_setfield(L, -2, "__newindex");
  lua_pushcfunction(L, &frozen_len);
  lua_setfield(L, -2, "__len");
  lua_pushliteral(L, "frozen");
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, proxy);
  // Deeply: the tables it holds become proxies in place (only the proxy reaches them now).
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    const int value = lua_gettop(L);
    if (lua_type(L, value) == LUA_TTABLE) {
      push_frozen_memo(L, value, memo);
      lua_pushvalue(L, value - 1);
      lua_insert(L, -2);
      lua_rawset(L, index);
    } else if (lua_type(L, value) == LUA_TFUNCTION) {
      freeze_upvalues(L, value, memo);
    } else if (lua_type(L, value) == LUA_TTHREAD) {
      luaL_error(L, "a coroutine kept from load would hold state outside `state`");
    }
    lua_settop(L, value - 1);
  }
}

int protected_freeze(lua_State* L) {
  lua_newtable(L);  // memo: table -> its proxy; function -> true once walked
  const int memo = lua_gettop(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
  const int globals = lua_gettop(L);
  if (lua_getfield(L, globals, "state") == LUA_TTABLE) {
    lua_pushvalue(L, -1);
    lua_rawset(L, memo);  // `state` stays itself
  } else {
    lua_pop(L, 1);
  }
  push_frozen_memo(L, globals, memo);
  lua_rawseti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
  return 0;
}

}  // namespace

void push_frozen(lua_State* L, int index) {
  index = lua_absindex(L, index);
  lua_newtable(L);
  push_frozen_memo(L, index, lua_gettop(L));
  lua_replace(L, -2);
}

void open_sandbox(lua_State* L, bots::SeededRng* rng) {
  struct Library {
    const char* name;
    lua_CFunction open;
  };
  static constexpr Library kLibraries[] = {
      {LUA_GNAME, luaopen_base},       {LUA_STRLIBNAME, luaopen_string},
      {LUA_TABLIBNAME, luaopen_table}, {LUA_MATHLIBNAME, luaopen_math},
      {LUA_UTF8LIBNAME, luaopen_utf8}, {LUA_COLIBNAME, luaopen_coroutine},
  };
  for (const Library& library : kLibraries) {
    luaL_requiref(L, library.name, library.open, 1);
    lua_pop(L, 1);
  }
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, kSealsKey);
  lua_pushglobaltable(L);
  const int g = lua_gettop(L);
  for (const char* name : {"dofile", "loadfile", "collectgarbage", "print", "warn", "next",
                           "rawset", "_G", "require", "package"}) {
    lua_pushnil(L);
    lua_setfield(L, g, name);
  }
  struct Replacement {
    const char* name;
    lua_CFunction function;
  };
  static constexpr Replacement kReplacements[] = {{"pcall", safe_pcall},
                                                  {"xpcall", safe_xpcall},
                                                  {"tostring", safe_tostring},
                                                  {"load", safe_load},
                                                  {"setmetatable", safe_setmetatable}};
  for (const Replacement& r : kReplacements) {
    lua_pushcfunction(L, r.function);
    lua_setfield(L, g, r.name);
  }
  push_ordered_pairs(L);
  lua_setfield(L, g, "pairs");

  lua_getfield(L, g, LUA_STRLIBNAME);
  lua_pushnil(L);
  lua_setfield(L, -2, "dump");
  lua_getfield(L, -1, "format");
  lua_pushcclosure(L, &safe_format, 1);
  lua_setfield(L, -2, "format");
  for (const char* name : {"find", "match", "gmatch", "gsub"})
    charge_field(L, name, Work::kPattern);
  lua_pop(L, 1);

  lua_getfield(L, g, LUA_TABLIBNAME);
  charge_field(L, "sort", Work::kSort);
  charge_field(L, "concat", Work::kConcat);
  lua_pop(L, 1);

  lua_getfield(L, g, LUA_MATHLIBNAME);
  lua_pushnil(L);
  lua_setfield(L, -2, "randomseed");
  lua_pushlightuserdata(L, rng);
  lua_pushcclosure(L, &seeded_random, 1);
  lua_setfield(L, -2, "random");
  lua_pop(L, 1);

  lua_getfield(L, g, LUA_COLIBNAME);
  lua_getfield(L, -1, "resume");
  lua_pushcclosure(L, &safe_resume, 1);
  lua_setfield(L, -2, "resume");
  lua_pop(L, 1);

  // The libraries are frozen before the script runs at all.
  for (const Library& library : kLibraries) {
    if (library.open == luaopen_base) continue;
    lua_getfield(L, g, library.name);
    push_frozen(L, -1);
    lua_setfield(L, g, library.name);
    lua_pop(L, 1);
  }
  // Strings index the frozen string table, and getmetatable("") shows nothing to change.
  lua_pushliteral(L, "");
  lua_getmetatable(L, -1);
  lua_getfield(L, g, LUA_STRLIBNAME);
  lua_setfield(L, -2, "__index");
  lua_pushliteral(L, "frozen");
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 3);
}

std::optional<std::string> compile(lua_State* L, std::string_view source) {
  if (luaL_loadbufferx(L, source.data(), source.size(), "=script", "t") == LUA_OK) {
    return std::nullopt;
  }
  std::string message = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "out of memory";
  lua_pop(L, 1);
  return message;
}

std::optional<std::string> freeze_environment(lua_State* L) {
  lua_pushcfunction(L, &protected_freeze);
  if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
    std::string message = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "out of memory";
    lua_pop(L, 1);
    return message;
  }
  return std::nullopt;
}

}  // namespace be::script
