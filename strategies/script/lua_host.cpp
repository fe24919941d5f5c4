#include "strategies/script/lua_host.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace be::script {

std::string readable(std::string message) {
  constexpr std::string_view kPrefix = "script:";
  if (message.starts_with(kPrefix)) message.replace(0, kPrefix.size(), "line ");
  return message;
}

LuaHost::LuaHost(const Limits& limits, void* owner) : limits_(limits), owner_(owner) {
  L_ = lua_newstate(&LuaHost::allocate, this);
  if (L_ == nullptr) return;
  *static_cast<LuaHost**>(lua_getextraspace(L_)) = this;  // coroutines inherit a copy
}

LuaHost::~LuaHost() {
  if (L_ != nullptr) lua_close(L_);
}

LuaHost& LuaHost::of(lua_State* L) noexcept {
  return **static_cast<LuaHost**>(lua_getextraspace(L));
}

int LuaHost::current_line(lua_State* L) noexcept {
  lua_Debug ar;
  for (int level = 0; lua_getstack(L, level, &ar) != 0; ++level) {
    if (lua_getinfo(L, "l", &ar) != 0 && ar.currentline > 0) return ar.currentline;
  }
  return 0;
}

// Lua's allocator contract (lua_Alloc): new_size 0 frees; otherwise (re)allocate. A request
// that would take the heap over the cap is refused, which Lua turns into a memory error
// after an emergency collection (so only live data counts against the cap).
void* LuaHost::allocate(void* ud, void* ptr, std::size_t old_size, std::size_t new_size) noexcept {
  auto* host = static_cast<LuaHost*>(ud);
  const std::size_t held = ptr != nullptr ? old_size : 0;
  if (new_size == 0) {
    std::free(ptr);
    host->used_ -= held;
    return nullptr;
  }
  if (new_size > held && new_size - held > host->limits_.memory_bytes - host->used_) {
    if (host->in_call_ && !host->stopped()) host->stop(host->L_, "memory cap");
    return nullptr;
  }
  void* moved = std::realloc(ptr, new_size);
  if (moved == nullptr) return nullptr;
  ++host->allocations_;
  host->used_ = host->used_ - held + new_size;
  return moved;
}

void LuaHost::stop(lua_State* L, const char* what) noexcept {
  const int line = current_line(L);
  if (std::strcmp(what, "memory cap") == 0) {
    std::snprintf(stop_, sizeof stop_, "line %d: memory cap of %zu bytes exceeded", line,
                  limits_.memory_bytes);
  } else if (std::strcmp(what, "budget") == 0) {
    std::snprintf(stop_, sizeof stop_,
                  "line %d: instruction budget of %lld exceeded in one callback", line,
                  static_cast<long long>(limits_.instruction_budget));
  } else {
    std::snprintf(stop_, sizeof stop_, "line %d: stack depth cap of %d calls exceeded", line,
                  limits_.max_depth);
  }
}

int LuaHost::raise_stop(lua_State* L) {
  lua_pushstring(L, of(L).stop_);
  return lua_error(L);
}

void LuaHost::charge(lua_State* L, double instructions) {
  LuaHost& host = of(L);
  if (!host.in_call_) return;
  if (instructions >= static_cast<double>(host.remaining_)) {
    host.remaining_ = -1;
    if (!host.stopped()) host.stop(L, "budget");
    raise_stop(L);
    return;
  }
  host.remaining_ -= static_cast<std::int64_t>(instructions);
}

void LuaHost::count_hook(lua_State* L, lua_Debug* /*ar*/) {
  LuaHost& host = of(L);
  if (!host.stopped()) {
    host.remaining_ -= kSlice;
    lua_Debug frame;
    if (host.remaining_ < 0) {
      host.stop(L, "budget");
    } else if (lua_getstack(L, host.limits_.max_depth, &frame) != 0) {
      host.stop(L, "depth");
    }
  }
  if (host.stopped()) raise_stop(L);
}

bool LuaHost::call(int nargs, int nresults) noexcept {
  if (failed()) {
    lua_pop(L_, nargs + 1);
    return false;
  }
  remaining_ = limits_.instruction_budget;
  // Setting the hook restarts its count: each callback starts a whole budget.
  lua_sethook(L_, &LuaHost::count_hook, LUA_MASKCOUNT, kSlice);
  in_call_ = true;
  const int status = lua_pcall(L_, nargs, nresults, 0);
  in_call_ = false;
  if (status == LUA_OK && !stopped()) return true;
  if (stopped()) {
    failure_ = stop_;
  } else if (status == LUA_ERRMEM) {
    failure_ = "out of memory";
  } else {
    const char* message = lua_tostring(L_, -1);
    failure_ = readable(message != nullptr ? message : "an error with a non-string value");
  }
  if (status == LUA_OK) {
    lua_pop(L_, nresults);
  } else {
    lua_pop(L_, 1);
  }
  return false;
}

void LuaHost::fail(std::string message) {
  if (!failed()) failure_ = std::move(message);
}

}  // namespace be::script
