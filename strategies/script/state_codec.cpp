#include "strategies/script/state_codec.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace be::script {
namespace {

// One key of a table being ordered. `index` is where it sits in the keys array that keeps it
// (and so its string bytes) alive.
struct KeyRef {
  int rank;  // 0 number, 1 string, 2 boolean
  bool integer;
  long double number;  // exact for every 64-bit integer and every double
  const char* text;
  std::size_t length;
  lua_Integer index;
};

bool key_less(const KeyRef& a, const KeyRef& b) noexcept {
  if (a.rank != b.rank) return a.rank < b.rank;
  if (a.rank == 1) {
    const int c = std::memcmp(a.text, b.text, std::min(a.length, b.length));
    return c != 0 ? c < 0 : a.length < b.length;
  }
  return a.number < b.number;  // booleans are 0 and 1
}

// Pushes the keys array and the sorted KeyRef userdata of the table at `table`; returns how
// many keys. Raises on a key that has no defined order.
lua_Integer push_sorted_keys(lua_State* L, int table) {
  lua_newtable(L);
  const int keys = lua_gettop(L);
  lua_Integer n = 0;
  lua_pushnil(L);
  while (lua_next(L, table) != 0) {
    lua_pop(L, 1);
    const int type = lua_type(L, -1);
    if (type != LUA_TNUMBER && type != LUA_TSTRING && type != LUA_TBOOLEAN) {
      luaL_error(L, "a table keyed by a %s has no defined order (keys: numbers, strings, booleans)",
                 lua_typename(L, type));
    }
    lua_pushvalue(L, -1);
    lua_rawseti(L, keys, ++n);
  }
  auto* refs = static_cast<KeyRef*>(lua_newuserdatauv(L, sizeof(KeyRef) * n, 0));
  for (lua_Integer i = 0; i < n; ++i) {
    lua_rawgeti(L, keys, i + 1);
    KeyRef& ref = refs[i];
    ref = KeyRef{0, false, 0, nullptr, 0, i + 1};
    switch (lua_type(L, -1)) {
      case LUA_TNUMBER:
        ref.integer = lua_isinteger(L, -1) != 0;
        ref.number = ref.integer ? static_cast<long double>(lua_tointeger(L, -1))
                                 : static_cast<long double>(lua_tonumber(L, -1));
        break;
      case LUA_TSTRING:
        ref.rank = 1;
        ref.text = lua_tolstring(L, -1, &ref.length);  // kept alive by the keys array
        break;
      default:
        ref.rank = 2;
        ref.number = lua_toboolean(L, -1);
    }
    lua_pop(L, 1);
  }
  std::sort(refs, refs + n, key_less);
  return n;
}

// The iterator `pairs` returns. Upvalues: table, keys array, sorted refs, position, count.
int ordered_next(lua_State* L) {
  lua_Integer position = lua_tointeger(L, lua_upvalueindex(4));
  const lua_Integer count = lua_tointeger(L, lua_upvalueindex(5));
  const auto* refs = static_cast<const KeyRef*>(lua_touserdata(L, lua_upvalueindex(3)));
  while (position < count) {
    lua_rawgeti(L, lua_upvalueindex(2), refs[position++].index);
    lua_pushvalue(L, -1);
    lua_rawget(L, lua_upvalueindex(1));
    if (!lua_isnil(L, -1)) {  // a key set to nil during the loop is skipped, as with next
      lua_pushinteger(L, position);
      lua_replace(L, lua_upvalueindex(4));
      return 2;
    }
    lua_pop(L, 2);
  }
  lua_pushinteger(L, position);
  lua_replace(L, lua_upvalueindex(4));
  return 0;
}

int ordered_pairs(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  push_unfrozen(L, 1);
  const int table = lua_gettop(L);
  const lua_Integer n = push_sorted_keys(L, table);
  lua_pushvalue(L, table);
  lua_rotate(L, -3, 1);  // table, keys, refs
  lua_pushinteger(L, 0);
  lua_pushinteger(L, n);
  lua_pushcclosure(L, &ordered_next, 5);
  return 1;
}

// ---- state bytes ---------------------------------------------------------------------------

enum Tag : std::uint8_t { kFalse = 1, kTrue, kInteger, kFloat, kString, kTable };

// What a protected job works on; the table itself is the job's second argument.
struct Job {
  state_io::Writer* writer;
  state_io::Reader* reader;
  bool bad_bytes;
};
constexpr int kTableArg = 2;

void save_value(lua_State* L, int value, state_io::Writer& w, int visited, int depth);

void save_entries(lua_State* L, int table, state_io::Writer& w, int visited, int depth) {
  if (depth > kMaxStateDepth) {
    luaL_error(L, "state nests tables deeper than %d", kMaxStateDepth);
  }
  if (lua_getmetatable(L, table) != 0) luaL_error(L, "state may not keep a table with a metatable");
  lua_pushvalue(L, table);
  if (lua_rawget(L, visited) != LUA_TNIL) {
    luaL_error(L, "state keeps one table in two places (or in itself): it could not come back so");
  }
  lua_pop(L, 1);
  lua_pushvalue(L, table);
  lua_pushboolean(L, 1);
  lua_rawset(L, visited);
  const lua_Integer n = push_sorted_keys(L, table);
  const int keys = lua_gettop(L) - 1;
  const auto* refs = static_cast<const KeyRef*>(lua_touserdata(L, -1));
  w.put(Tag::kTable);
  w.put(static_cast<std::uint32_t>(n));
  for (lua_Integer i = 0; i < n; ++i) {
    lua_rawgeti(L, keys, refs[i].index);
    save_value(L, lua_gettop(L), w, visited, depth);
    lua_rawget(L, table);
    save_value(L, lua_gettop(L), w, visited, depth);
    lua_pop(L, 1);
  }
  lua_pop(L, 2);
}

void save_value(lua_State* L, int value, state_io::Writer& w, int visited, int depth) {
  switch (lua_type(L, value)) {
    case LUA_TBOOLEAN:
      w.put(lua_toboolean(L, value) ? Tag::kTrue : Tag::kFalse);
      return;
    case LUA_TNUMBER:
      if (lua_isinteger(L, value)) {
        w.put(Tag::kInteger);
        w.put(static_cast<std::int64_t>(lua_tointeger(L, value)));
      } else {
        w.put(Tag::kFloat);
        w.put(std::bit_cast<std::uint64_t>(static_cast<double>(lua_tonumber(L, value))));
      }
      return;
    case LUA_TSTRING: {
      std::size_t length = 0;
      const char* text = lua_tolstring(L, value, &length);
      w.put(Tag::kString);
      w.put_string(std::string_view(text, length));
      return;
    }
    case LUA_TTABLE:
      save_entries(L, value, w, visited, depth + 1);
      return;
    default:
      luaL_error(L, "state may keep numbers, strings, booleans and tables, not a %s",
                 luaL_typename(L, value));
  }
}

int protected_save(lua_State* L) {
  auto* job = static_cast<Job*>(lua_touserdata(L, 1));
  lua_newtable(L);
  save_entries(L, kTableArg, *job->writer, lua_gettop(L), 0);
  return 0;
}

// Pushes the value read; false (nothing pushed) on bytes that are not a value.
bool load_value(lua_State* L, state_io::Reader& r, int depth) {
  const auto tag = r.get<std::uint8_t>();
  if (r.failed()) return false;
  switch (tag) {
    case Tag::kFalse:
    case Tag::kTrue:
      lua_pushboolean(L, tag == Tag::kTrue);
      return true;
    case Tag::kInteger:
      lua_pushinteger(L, r.get<std::int64_t>());
      return !r.failed();
    case Tag::kFloat:
      lua_pushnumber(L, std::bit_cast<double>(r.get<std::uint64_t>()));
      return !r.failed();
    case Tag::kString: {
      const auto bytes = r.get_bytes();
      lua_pushlstring(L, reinterpret_cast<const char*>(bytes.data()), bytes.size());
      return !r.failed();
    }
    case Tag::kTable: {
      if (depth > kMaxStateDepth) return false;
      const auto n = r.get<std::uint32_t>();
      if (r.failed()) return false;
      lua_createtable(L, 0, 0);
      for (std::uint32_t i = 0; i < n; ++i) {
        if (!load_value(L, r, depth + 1)) return false;
        if (lua_isnil(L, -1) || !load_value(L, r, depth + 1)) return false;
        lua_rawset(L, -3);
      }
      return true;
    }
    default:
      return false;
  }
}

int protected_load(lua_State* L) {
  auto* job = static_cast<Job*>(lua_touserdata(L, 1));
  const int top = lua_gettop(L);
  if (!load_value(L, *job->reader, 0) || !lua_istable(L, -1)) {
    job->bad_bytes = true;
    return 0;
  }
  const int loaded = lua_gettop(L);
  // Refill the script's own table in place: a script that holds `state` keeps holding it.
  lua_pushnil(L);
  while (lua_next(L, kTableArg) != 0) {
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_pushnil(L);
    lua_rawset(L, kTableArg);
  }
  lua_pushnil(L);
  while (lua_next(L, loaded) != 0) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, kTableArg);
  }
  lua_settop(L, top);
  return 0;
}

std::optional<std::string> run_protected(lua_State* L, lua_CFunction f, Job& job, int table) {
  table = lua_absindex(L, table);
  lua_pushcfunction(L, f);
  lua_pushlightuserdata(L, &job);
  lua_pushvalue(L, table);
  if (lua_pcall(L, 2, 0, 0) == LUA_OK) return std::nullopt;
  std::string message = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "out of memory";
  lua_pop(L, 1);
  return message;
}

}  // namespace

void push_ordered_pairs(lua_State* L) {
  lua_pushcfunction(L, &ordered_pairs);
}

void push_unfrozen(lua_State* L, int index) {
  if (lua_getmetatable(L, index) != 0) {
    if (lua_getfield(L, -1, kFrozenTargetKey) == LUA_TTABLE) {
      lua_remove(L, -2);
      return;
    }
    lua_pop(L, 2);
  }
  lua_pushvalue(L, index);
}

std::optional<std::string> save_table(lua_State* L, int index, state_io::Writer& w) {
  Job job{&w, nullptr, false};
  return run_protected(L, &protected_save, job, index);
}

std::optional<std::string> load_table(lua_State* L, int index, state_io::Reader& r) {
  Job job{nullptr, &r, false};
  auto error = run_protected(L, &protected_load, job, index);
  if (!error && job.bad_bytes) return std::string("the state bytes are not a saved state table");
  return error;
}

}  // namespace be::script
