// The Lua 5.4 state one script bot owns, and the three limits that keep a script from hurting
// anything else: a heap capped by its own allocator, an instruction budget per callback and a
// cap on stack depth.
//
// Every limit is deterministic: the budget is counted in VM instructions by a count hook
// (never in time), the heap in bytes the script holds, the depth in call frames; so a replay
// stops a script at the same instruction as the live run did. A stop, or any error the script
// raises and does not catch, fails the host for good: failure() says what happened and on
// which line, and the bot that owns the host goes to `error`.
//
// A script cannot catch a stop: pcall, xpcall and coroutine.resume are wrapped (sandbox.cpp)
// to raise it again, and the hook raises it again on every slice.
//
// Thread-safety: one owner thread. Allocation: the state's own heap only (counted here, so a
// test can prove the per-input path allocates nothing else). No C++ exception crosses Lua.
#pragma once

#include <lua.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace be::script {

struct Limits {
  std::int64_t instruction_budget = 1'000'000;      // VM instructions per callback
  std::size_t memory_bytes = std::size_t{1} << 20;  // the script's heap, all-in
  int max_depth = 200;                              // Lua call frames per coroutine
};

// Lua names the chunk "script" ("script:3: attempt to ..."); people read "line 3: ...".
std::string readable(std::string message);

class LuaHost {
 public:
  // Instructions between two looks at the budget and the depth: both are checked at this
  // granularity (a script may overrun its budget by less than one slice).
  static constexpr int kSlice = 1000;

  LuaHost(const Limits& limits, void* owner);
  ~LuaHost();
  LuaHost(const LuaHost&) = delete;
  LuaHost& operator=(const LuaHost&) = delete;

  // Null only when the state could not even be created (the cap is below Lua's minimum).
  lua_State* state() const noexcept { return L_; }
  void* owner() const noexcept { return owner_; }
  static LuaHost& of(lua_State* L) noexcept;

  // Calls the function below its `nargs` arguments on top of the stack, protected, under a
  // fresh instruction budget; pops them and leaves `nresults` results. False after an error
  // or a stop: the host has failed (the stack is back to where it was before the function).
  bool call(int nargs, int nresults) noexcept;
  // The host fails with `message` (for errors found outside Lua, e.g. in the state table).
  void fail(std::string message);
  bool failed() const noexcept { return !failure_.empty(); }
  const std::string& failure() const noexcept { return failure_; }

  // A limit was hit during the current call: scripts may not catch it. The wrappers of
  // pcall and coroutine.resume raise it again with this.
  bool stopped() const noexcept { return stop_[0] != '\0'; }
  static int raise_stop(lua_State* L);
  // Library functions written in C run no VM instructions, so the count hook cannot stop
  // them: the sandbox charges their work here, in instructions, before they run (sorting,
  // pattern matching, joining tables). Raises the budget stop when it is spent.
  static void charge(lua_State* L, double instructions);

  std::size_t heap_bytes() const noexcept { return used_; }
  std::uint64_t heap_allocations() const noexcept { return allocations_; }
  const Limits& limits() const noexcept { return limits_; }

  // The line of the innermost Lua function running on L (0 when none is).
  static int current_line(lua_State* L) noexcept;

 private:
  static void* allocate(void* ud, void* ptr, std::size_t old_size, std::size_t new_size) noexcept;
  static void count_hook(lua_State* L, lua_Debug* ar);
  void stop(lua_State* L, const char* what) noexcept;

  Limits limits_;
  void* owner_;
  lua_State* L_ = nullptr;
  std::size_t used_ = 0;
  std::uint64_t allocations_ = 0;
  std::int64_t remaining_ = 0;
  bool in_call_ = false;
  char stop_[192] = {};  // formatted where the limit is hit, without allocating
  std::string failure_;
};

}  // namespace be::script
