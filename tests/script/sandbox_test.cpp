// Hostile scripts: each is stopped with its documented message and line, its bot fails, and
// a healthy bot beside it trades exactly as it does alone.
#include <gtest/gtest.h>

#include "tests/script/script_harness.hpp"

namespace be::script::test {
namespace {

struct Hostile {
  const char* name;
  const char* source;   // misbehaves in on_bar
  const char* message;  // what failure() must contain
  int line;             // the line it must name (0: any)
};

const Hostile kHostile[] = {
    {"infinite_loop", "function on_bar()\n  while true do end\nend",
     "instruction budget of 1000000 exceeded", 2},
    {"memory_bomb", "function on_bar()\n  local t = {}\n  while true do t[#t + 1] = {} end\nend",
     "memory cap of 1048576 bytes exceeded", 3},
    {"deep_recursion",
     "local function down(n)\n  return 1 + down(n + 1)\nend\nfunction on_bar() down(1) end",
     "stack depth cap of 200 calls exceeded", 2},
    {"huge_string_rep", "function on_bar()\n  local s = string.rep('x', 1 << 30)\nend",
     "memory cap of 1048576 bytes exceeded", 2},
    {"catastrophic_pattern",
     "function on_bar()\n  local s = string.rep('a', 5000)\n  string.find(s, "
     "'(.-)(.-)(.-)(.-)b')\nend",
     "instruction budget of 1000000 exceeded", 3},
    {"huge_sort",
     "function on_bar()\n  local t = {}\n  for i = 1, 30000 do t[i] = -i end\n  "
     "table.sort(t)\nend",
     "instruction budget of 1000000 exceeded", 4},
    {"os_execute", "function on_bar()\n  os.execute('touch /tmp/pwned')\nend",
     "attempt to index a nil value (global 'os')", 2},
    {"io_open", "function on_bar()\n  io.open('/etc/passwd')\nend",
     "attempt to index a nil value (global 'io')", 2},
    {"require", "function on_bar()\n  require('socket')\nend",
     "attempt to call a nil value (global 'require')", 2},
    {"ffi", "function on_bar()\n  local ffi = require('ffi')\nend",
     "attempt to call a nil value (global 'require')", 2},
    {"load_bytecode",
     "function on_bar()\n  local f, e = load('\\27Lua\\84\\0')\n  error(e, 0)\nend",
     "attempt to load a binary chunk (mode is 't')", 0},
    {"string_dump", "function on_bar()\n  string.dump(on_bar)\nend",
     "attempt to call a nil value (field 'dump')", 2},
    {"debug_sethook", "function on_bar()\n  debug.sethook()\nend",
     "attempt to index a nil value (global 'debug')", 2},
    {"coroutine_never_yields",
     "function on_bar()\n  local co = coroutine.create(function()\n    while true do end\n  "
     "end)\n  coroutine.resume(co)\nend",
     "instruction budget of 1000000 exceeded", 3},
    {"pcall_swallows_the_stop",
     "function on_bar()\n  while true do\n    pcall(function() while true do end end)\n  end\nend",
     "instruction budget of 1000000 exceeded", 3},
    {"global_write", "function on_bar()\n  counter = 1\nend", "the environment is frozen", 2},
    {"library_write", "function on_bar()\n  math.pi = 3\nend", "the environment is frozen", 2},
    {"finalizer", "function on_bar()\n  setmetatable({}, {__gc = function() end})\nend",
     "__gc is refused", 2},
    {"weak_table", "function on_bar()\n  setmetatable({}, {__mode = 'k'})\nend",
     "__mode is refused", 2},
    {"address_format", "function on_bar()\n  string.format('%p', {})\nend", "%p shows an address",
     2},
    {"pairs_over_table_keys", "function on_bar()\n  for k in pairs({[{}] = 1}) do end\nend",
     "a table keyed by a table has no defined order", 2},
    {"float_money", "function on_bar()\n  bot.buy(0.5)\nend",
     "money is an integer of fixed-point units or a decimal string, not a float", 2},
    {"collectgarbage", "function on_bar()\n  collectgarbage('count')\nend",
     "attempt to call a nil value (global 'collectgarbage')", 2},
    {"raised_error", "function on_bar()\n  error('boom')\nend", "line 2: boom", 2},
};

void PrintTo(const Hostile& h, std::ostream* os) {
  *os << h.name;
}

class HostileScript : public ::testing::TestWithParam<Hostile> {};

TEST_P(HostileScript, shouldStopTheScriptWithItsMessageAndLeaveOtherBotsAlone) {
  const Hostile& h = GetParam();
  auto hostile = make(h.source);
  ASSERT_NE(hostile, nullptr);
  const char* healthy_source = "function on_bar(o, h, l, c) state.sum = (state.sum or 0) + c end";
  auto healthy = make(healthy_source);
  auto alone = make(healthy_source);
  ASSERT_NE(healthy, nullptr);
  SimContext ctx(btcusdt());
  SimContext solo(btcusdt());
  const auto bars = wave_bars(3);
  for (std::size_t i = 0; i < bars.size(); ++i) {
    ctx.deliver(*hostile, bars[i], i);
    ctx.deliver(*healthy, bars[i], i);
    solo.deliver(*alone, bars[i], i);
  }
  const std::string failure(hostile->failure());
  EXPECT_NE(failure.find(h.message), std::string::npos) << failure;
  if (h.line != 0) {
    EXPECT_TRUE(failure.starts_with("line " + std::to_string(h.line) + ":")) << failure;
  }
  EXPECT_TRUE(ctx.submitted.empty());
  EXPECT_TRUE(healthy->failure().empty()) << healthy->failure();
  EXPECT_EQ(healthy->state_hash(), alone->state_hash());
  // A failed bot stays failed: its state (and its message) survive a snapshot.
  std::vector<std::byte> snapshot;
  hostile->save(snapshot);
  auto restored = make(h.source);
  ASSERT_TRUE(restored->load(snapshot));
  EXPECT_EQ(restored->failure(), hostile->failure());
}

INSTANTIATE_TEST_SUITE_P(Sandbox, HostileScript, ::testing::ValuesIn(kHostile),
                         [](const auto& param) { return std::string(param.param.name); });

// Every callback's error fails the bot with the line of the error.
TEST(ScriptCallbacks, shouldFailTheBotOnAnErrorFromEveryCallback) {
  struct Case {
    const char* callback;
    std::function<void(bots::Bot&, SimContext&)> drive;
  };
  const Bar bar = wave_bars(1)[0];
  const Case cases[] = {
      {"on_start", [](bots::Bot& b, SimContext& c) { c.start(b, 0, bots::test::kUnit); }},
      {"on_bar", [&](bots::Bot& b, SimContext& c) { c.deliver(b, bar, 0); }},
      {"on_trade", [](bots::Bot& b, SimContext& c) { b.on_trade(Trade{}, c); }},
      {"on_quote", [](bots::Bot& b, SimContext& c) { b.on_quote(Quote{}, c); }},
      {"on_fill", [](bots::Bot& b, SimContext& c) { b.on_fill(bots::BotFill{}, c); }},
      {"on_order_update",
       [](bots::Bot& b, SimContext& c) { b.on_order_update(bots::BotOrderUpdate{}, c); }},
      {"on_timer", [](bots::Bot& b, SimContext& c) { b.timer(3, c); }},
      {"on_condition", [](bots::Bot& b, SimContext& c) { b.on_condition(0, c); }},
      {"on_schedule_change", [](bots::Bot& b, SimContext& c) { b.on_schedule_change(true, c); }},
      {"on_stop", [](bots::Bot& b, SimContext& c) { b.on_stop(c); }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.callback);
    auto bot = make(std::string("local x = 1\nfunction ") + c.callback + "()\n  error('from " +
                    c.callback + "')\nend");
    ASSERT_NE(bot, nullptr);
    SimContext ctx(btcusdt());
    EXPECT_TRUE(bot->failure().empty());
    c.drive(*bot, ctx);
    EXPECT_EQ(bot->failure(), std::string("line 3: from ") + c.callback);
  }
}

// Reading another bot's state: each bot has its own Lua state; nothing names another's.
TEST(ScriptIsolation, shouldGiveNoWayToReadAnotherBotsState) {
  auto writer = make("function on_bar() state.secret = 42 end");
  auto reader = make(
      "function on_bar()\n"
      "  assert(state.secret == nil)\n"
      "  assert(_G == nil and rawget(_ENV, 'secret') == nil)\n"
      "  assert(getmetatable(bot) == 'frozen' and getmetatable('') == 'frozen')\n"
      "  state.seen = true\n"
      "end");
  SimContext ctx(btcusdt());
  const auto bars = wave_bars(2);
  for (std::size_t i = 0; i < bars.size(); ++i) {
    ctx.deliver(*writer, bars[i], i);
    ctx.deliver(*reader, bars[i], i);
  }
  EXPECT_TRUE(reader->failure().empty()) << reader->failure();
  EXPECT_TRUE(writer->failure().empty()) << writer->failure();
}

// A config error, never a running bot: syntax errors, errors and limits of the top level,
// bad callbacks and bad limits, each naming the field and the line.
TEST(ScriptConfig, shouldRefuseBadScriptsAsConfigErrorsNamingTheLine) {
  struct Case {
    const char* source;
    const char* extra;
    const char* field;
    const char* message;
  };
  const Case cases[] = {
      {"local a = 1\nfunction on_bar(\n  x y\nend", "", "strategy.parameters.source",
       "line 3: ')' expected near 'y'"},
      {"local a = 1\nerror('at load')", "", "strategy.parameters.source", "line 2: at load"},
      {"while true do end", "", "strategy.parameters.source", "line 1: instruction budget"},
      {"on_bar = 5", "", "strategy.parameters.source", "on_bar must be a function, not a number"},
      {"bot.now()", "", "strategy.parameters.source", "works in callbacks, not at load"},
      {"co = coroutine.create(function() end)", "", "strategy.parameters.source",
       "a coroutine kept from load"},
      {"x = bot.indicator('rsi:0')", "", "strategy.parameters.source", "line 1: bot.indicator"},
      {"local n = 0\nfunction on_bar()\n  n = n + 1\nend", "", "strategy.parameters.source",
       "line 3: a function assigns 'n', a local of the script's top level"},
      {"local n = 0\nfunction on_bar()\n  local f = function() n = 2 end\nend", "",
       "strategy.parameters.source", "line 3: a function assigns 'n'"},
      {"function on_bar()\n  _ENV = {}\nend", "", "strategy.parameters.source",
       "line 2: a function assigns '_ENV'"},
      {"", R"("memory_kib": 1)", "strategy.parameters.memory_kib", "64"},
      {"", R"("instruction_budget": 10)", "strategy.parameters.instruction_budget", "1000"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.source);
    auto built = build(c.source, c.extra);
    ASSERT_FALSE(built.has_value());
    bool named = false;
    for (const auto& e : built.error()) {
      named |= e.field == c.field && e.message.find(c.message) != std::string::npos;
    }
    EXPECT_TRUE(named) << config::format_errors(built.error());
  }
  auto missing = bots::BotRegistry::builtin().create(
      R"({"name":"s","symbol":"BTCUSDT","strategy":{"type":"script"}})", BotId{1}, resolver());
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().front().field, "strategy.parameters.source");
}

// What stays usable: ordered pairs, seeded math.random, exact money helpers, tostring
// without addresses, sealed metatables, coroutines, pcall of ordinary errors, inputs.
TEST(ScriptLibraries, shouldOfferDeterministicVersionsOfWhatTheyKeep) {
  auto bot = make(
      "local Point = {}\nPoint.__index = Point\n"
      "local function counter()\n  local c = 0\n  return function() c = c + 1 return c end\nend\n"
      "function on_bar()\n"
      "  local keys = {}\n"
      "  for k in pairs({b = 1, a = 2, [3] = 0, [1] = 0, [true] = 0, c = 3}) do\n"
      "    keys[#keys + 1] = tostring(k)\n"
      "  end\n"
      "  assert(table.concat(keys, ',') == '1,3,a,b,c,true', table.concat(keys, ','))\n"
      "  local r = math.random(1, 6)\n"
      "  assert(math.type(r) == 'integer' and r >= 1 and r <= 6)\n"
      "  assert(tostring({}) == 'table' and string.format('%s', on_bar) == 'function')\n"
      "  assert(bot.parse('0.01', 8) == 1000000 and bot.decimal(1000000, 8) == '0.01000000')\n"
      "  assert(bot.mul_div(5000000000000, 100000000, 100000000) == 5000000000000)\n"
      "  local p = setmetatable({x = 1}, Point)\n"
      "  assert(getmetatable(p) == Point and p.x == 1)\n"
      "  local co = coroutine.wrap(function() coroutine.yield(1) return 2 end)\n"
      "  assert(co() == 1 and co() == 2)\n"
      "  local ok, e = pcall(error, 'caught')\n"
      "  assert(not ok and e == 'caught')\n"
      "  assert(inputs.period == 14 and math.type(inputs.period) == 'integer')\n"
      "  assert(inputs.levels[2] == 0.5 and #inputs.levels == 2)\n"
      "  local key, value = string.match('k=12', '(%w+)=(%d+)')\n"
      "  assert(key == 'k' and value == '12' and ('x'):rep(3, ',') == 'x,x,x')\n"
      "  local sorted = {3, 1, 2}\n"
      "  table.sort(sorted)\n"
      "  assert(table.concat(sorted, ' ') == '1 2 3')\n"
      "  local next_id = counter()\n"
      "  assert(next_id() == 1 and next_id() == 2)\n"
      "  state.draws = (state.draws or 0) + r\n"
      "end",
      R"("inputs": {"period": 14, "levels": [1, 0.5]})");
  ASSERT_NE(bot, nullptr);
  SimContext ctx(btcusdt());
  ctx.deliver(*bot, wave_bars(1)[0], 0);
  EXPECT_TRUE(bot->failure().empty()) << bot->failure();
}

// A value the state table cannot keep fails the bot when the state is saved.
TEST(ScriptState, shouldFailABotWhoseStateHoldsWhatCannotComeBack) {
  const char* cases[] = {"state.f = function() end", "state.a = {}; state.b = state.a",
                         "state.loop = state", "state.m = setmetatable({}, {})"};
  for (const char* body : cases) {
    SCOPED_TRACE(body);
    auto bot = make(std::string("function on_bar() ") + body + " end");
    SimContext ctx(btcusdt());
    ctx.deliver(*bot, wave_bars(1)[0], 0);
    EXPECT_TRUE(bot->failure().empty());
    (void)bot->state_hash();
    EXPECT_TRUE(bot->failure().starts_with("state: ")) << bot->failure();
  }
}

}  // namespace
}  // namespace be::script::test
