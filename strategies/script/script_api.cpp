// The `bot` table's functions. Each is a lua_CFunction: no C++ object with a destructor may be
// alive where one raises (Lua errors are longjmps), so they use plain values only.
#include "strategies/script/script_api.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "core/fixed_point.hpp"
#include "strategies/script/lua_host.hpp"
#include "strategies/script/sandbox.hpp"
#include "strategies/script/script_bot.hpp"

namespace be::script {

struct Api {
  static ScriptBot& self(lua_State* L) noexcept {
    return *static_cast<ScriptBot*>(LuaHost::of(L).owner());
  }
  // The context of the handler running; raises outside handlers (at load).
  static bots::BotContext& ctx(lua_State* L) {
    ScriptBot& bot = self(L);
    if (bot.ctx_ == nullptr) luaL_error(L, "this bot function works in callbacks, not at load");
    return *bot.ctx_;
  }
  static void at_load_only(lua_State* L, const char* what) {
    if (self(L).loading_ == nullptr) luaL_error(L, "%s works at load (the top level) only", what);
  }

  // Money: an integer of fixed-point units, or a decimal string at `scale`; never a float.
  static std::int64_t money(lua_State* L, int arg, int scale) {
    if (lua_isinteger(L, arg)) return lua_tointeger(L, arg);
    if (lua_type(L, arg) == LUA_TSTRING) {
      std::size_t length = 0;
      const char* text = lua_tolstring(L, arg, &length);
      const auto parsed = parse_decimal(std::string_view(text, length), scale);
      if (parsed.has_value()) return *parsed;
      luaL_error(L, "bad argument #%d: \"%s\" is not a decimal at scale %d", arg, text, scale);
    }
    luaL_error(L,
               "bad argument #%d: money is an integer of fixed-point units or a decimal string, "
               "not a %s",
               arg, lua_type(L, arg) == LUA_TNUMBER ? "float" : luaL_typename(L, arg));
    return 0;
  }
  static std::uint32_t tag(lua_State* L, int arg) {
    const lua_Integer t = luaL_optinteger(L, arg, 0);
    luaL_argcheck(L, t >= 0 && t <= 0xFFFF'FFFFLL, arg, "a tag is 0 to 4294967295");
    return static_cast<std::uint32_t>(t);
  }
  static int submit(lua_State* L, const OrderIntent& intent) {
    ctx(L).submit(intent);
    return 0;
  }

  // bot.buy(quantity [, tag]): a market buy of base quantity.
  static int buy(lua_State* L) {
    ScriptBot& b = self(L);
    const auto q = money(L, 1, b.info_.qty_scale);
    return submit(L, bots::market_intent(b.instrument(), Side::kBuy, q, 0, tag(L, 2)));
  }
  // bot.buy_quote(quote_amount [, tag]): a market buy spending quote.
  static int buy_quote(lua_State* L) {
    ScriptBot& b = self(L);
    const auto quote = money(L, 1, b.info_.price_scale);
    return submit(L, bots::market_intent(b.instrument(), Side::kBuy, 0, quote, tag(L, 2)));
  }
  // bot.sell(quantity [, tag [, reduce_only]]): a market sell.
  static int sell(lua_State* L) {
    ScriptBot& b = self(L);
    const auto q = money(L, 1, b.info_.qty_scale);
    const std::uint8_t flags = lua_toboolean(L, 3) ? OrderIntent::kReduceOnly : OrderIntent::kNone;
    return submit(L, bots::market_intent(b.instrument(), Side::kSell, q, 0, tag(L, 2), flags));
  }
  // bot.limit("buy"|"sell", price, quantity [, tag [, reduce_only]]).
  static int limit(lua_State* L) {
    ScriptBot& b = self(L);
    static constexpr const char* kSides[] = {"buy", "sell", nullptr};
    const int side = luaL_checkoption(L, 1, nullptr, kSides);
    OrderIntent intent;
    intent.instrument = b.instrument();
    intent.side = side == 0 ? Side::kBuy : Side::kSell;
    intent.type = OrderType::kLimit;
    intent.price = money(L, 2, b.info_.price_scale);
    intent.quantity = money(L, 3, b.info_.qty_scale);
    intent.tag = tag(L, 4);
    intent.flags = lua_toboolean(L, 5) ? OrderIntent::kReduceOnly : OrderIntent::kNone;
    return submit(L, intent);
  }
  static int cancel(lua_State* L) {
    ctx(L).cancel(self(L).instrument(), tag(L, 1));
    return 0;
  }
  static int set_timer(lua_State* L) {
    const lua_Integer id = luaL_checkinteger(L, 1);
    luaL_argcheck(L, id >= 0 && id < bots::Bot::kScheduleTimer, 1, "a timer id is 0 to 4294967294");
    const lua_Integer deadline = luaL_checkinteger(L, 2);
    ctx(L).set_timer(static_cast<std::uint32_t>(id), deadline);
    return 0;
  }
  // bot.now(), bot.position(), ...: a context query of no arguments, pushed as Lua sees it.
  static void push(lua_State* L, std::int64_t v) { lua_pushinteger(L, v); }
  static void push(lua_State* L, bool v) { lua_pushboolean(L, v); }
  template <auto read>
  static int query(lua_State* L) {
    push(L, read(ctx(L), self(L)));
    return 1;
  }
  static constexpr auto kNow = [](bots::BotContext& c, ScriptBot&) { return c.now(); };
  static constexpr auto kPosition = [](bots::BotContext& c, ScriptBot& b) {
    return c.position(b.instrument());
  };
  static constexpr auto kAvailableQuote = [](bots::BotContext& c, ScriptBot& b) {
    return c.available_quote(b.instrument());
  };
  static constexpr auto kTradable = [](bots::BotContext& c, ScriptBot& b) {
    return c.tradable(b.instrument());
  };
  static constexpr auto kActive = [](bots::BotContext& c, ScriptBot& b) {
    return b.active(c.now());
  };

  // bot.indicator("rsi:14") at load: a handle for bot.value; fed every closed bar of the
  // bot's timeframe before on_bar runs.
  static int indicator(lua_State* L) {
    at_load_only(L, "bot.indicator");
    std::size_t length = 0;
    const char* text = luaL_checklstring(L, 1, &length);
    ScriptBot& b = self(L);
    bool ok = false;
    char message[192] = {};
    {  // C++ objects live only inside this block; the error is raised after it
      auto spec = ta::parse_indicator_spec(std::string_view(text, length));
      if (spec.has_value()) {
        b.indicators_.emplace_back(*spec);
        ok = true;
      } else {
        std::snprintf(message, sizeof message, "%s", spec.error().message.c_str());
      }
    }
    if (!ok) return luaL_error(L, "bot.indicator: %s", message);
    lua_pushinteger(L, static_cast<lua_Integer>(b.indicators_.size()));
    return 1;
  }
  // bot.value(handle [, output]): the output (1-based) of a ready indicator, else nil.
  static int value(lua_State* L) {
    ScriptBot& b = self(L);
    const lua_Integer handle = luaL_checkinteger(L, 1);
    luaL_argcheck(L, handle >= 1 && handle <= static_cast<lua_Integer>(b.indicators_.size()), 1,
                  "not an indicator of this bot");
    const ta::AnyIndicator& ind = b.indicators_[static_cast<std::size_t>(handle - 1)];
    const lua_Integer output = luaL_optinteger(L, 2, 1);
    luaL_argcheck(L, output >= 1 && output <= static_cast<lua_Integer>(ind.output_count()), 2,
                  "no such output");
    if (!ind.ready()) return 0;
    lua_pushnumber(L, ind.output(static_cast<std::size_t>(output - 1)));
    return 1;
  }
  // bot.condition('{"indicator": "rsi:14", "operator": "crosses_below", "value": 30}') at load:
  // a shared condition (docs/CONDITIONS.md); on_condition(index) runs when it triggers.
  static int condition(lua_State* L) {
    at_load_only(L, "bot.condition");
    std::size_t length = 0;
    const char* text = luaL_checklstring(L, 1, &length);
    ScriptBot& b = self(L);
    char message[256] = {};
    {
      auto def = cond::parse_condition(std::string_view(text, length), *b.loading_);
      if (def.has_value()) {
        b.conditions_.push_back(std::move(*def));
      } else {
        const auto& e = def.error().front();
        std::snprintf(message, sizeof message, "%s: %s", e.field.c_str(), e.message.c_str());
      }
    }
    if (message[0] != '\0') return luaL_error(L, "bot.condition: %s", message);
    lua_pushinteger(L, static_cast<lua_Integer>(b.conditions_.size()));
    return 1;
  }

  // bot.decimal(value, scale) -> "123.45000000", for display.
  static int decimal(lua_State* L) {
    const lua_Integer v = luaL_checkinteger(L, 1);
    const lua_Integer scale = luaL_checkinteger(L, 2);
    luaL_argcheck(L, scale >= 0 && scale <= kMaxDecimalScale, 2, "scale out of range");
    char text[kMaxDecimalChars];
    const std::size_t n = format_decimal(v, static_cast<int>(scale), text);
    lua_pushlstring(L, text, n);
    return 1;
  }
  // bot.parse("0.001", scale) -> 100000 at scale 8: exact, or an error.
  static int parse(lua_State* L) {
    const lua_Integer scale = luaL_checkinteger(L, 2);
    luaL_argcheck(L, scale >= 0 && scale <= kMaxDecimalScale, 2, "scale out of range");
    luaL_checktype(L, 1, LUA_TSTRING);
    lua_pushinteger(L, money(L, 1, static_cast<int>(scale)));
    return 1;
  }
  // bot.mul_div(a, b, c) -> a * b / c in 128 bits, truncated toward zero (price x quantity).
  static int mul_div(lua_State* L) {
    __extension__ using Wide = __int128;
    const Wide a = luaL_checkinteger(L, 1);
    const Wide b = luaL_checkinteger(L, 2);
    const Wide c = luaL_checkinteger(L, 3);
    luaL_argcheck(L, c != 0, 3, "division by zero");
    const Wide r = a * b / c;
    if (r > std::numeric_limits<std::int64_t>::max() ||
        r < std::numeric_limits<std::int64_t>::min()) {
      return luaL_error(L, "bot.mul_div: the result does not fit 64 bits");
    }
    lua_pushinteger(L, static_cast<lua_Integer>(r));
    return 1;
  }
};

void push_bot_table(lua_State* L, const bots::InstrumentInfo& info,
                    std::uint32_t timeframe_seconds) {
  static constexpr luaL_Reg kFunctions[] = {{"buy", &Api::buy},
                                            {"buy_quote", &Api::buy_quote},
                                            {"sell", &Api::sell},
                                            {"limit", &Api::limit},
                                            {"cancel", &Api::cancel},
                                            {"set_timer", &Api::set_timer},
                                            {"now", &Api::query<Api::kNow>},
                                            {"position", &Api::query<Api::kPosition>},
                                            {"available_quote", &Api::query<Api::kAvailableQuote>},
                                            {"tradable", &Api::query<Api::kTradable>},
                                            {"active", &Api::query<Api::kActive>},
                                            {"indicator", &Api::indicator},
                                            {"value", &Api::value},
                                            {"condition", &Api::condition},
                                            {"decimal", &Api::decimal},
                                            {"parse", &Api::parse},
                                            {"mul_div", &Api::mul_div},
                                            {nullptr, nullptr}};
  luaL_newlib(L, kFunctions);
  const struct {
    const char* name;
    std::int64_t value;
  } fields[] = {{"price_scale", info.price_scale},   {"qty_scale", info.qty_scale},
                {"tick_size", info.tick_size},       {"step_size", info.step_size},
                {"min_notional", info.min_notional}, {"timeframe", timeframe_seconds}};
  for (const auto& field : fields) {
    lua_pushinteger(L, field.value);
    lua_setfield(L, -2, field.name);
  }
  push_frozen(L, -1);
  lua_remove(L, -2);
}

namespace {

// Pushes one JSON value as Lua; false on a value inputs cannot hold (null).
bool push_json(lua_State* L, const config::Value& v) {
  using K = config::Value::Kind;
  switch (v.kind) {
    case K::kBool:
      lua_pushboolean(L, v.boolean);
      return true;
    case K::kNumber:
      // "14" is an integer, "0.5" a float; money belongs in strings ("0.001").
      if (lua_stringtonumber(L, v.text.c_str()) == 0)
        lua_pushnumber(L, std::strtod(v.text.c_str(), nullptr));
      return true;
    case K::kString:
      lua_pushlstring(L, v.text.data(), v.text.size());
      return true;
    case K::kArray:
      lua_createtable(L, static_cast<int>(v.items.size()), 0);
      for (std::size_t i = 0; i < v.items.size(); ++i) {
        if (!push_json(L, v.items[i])) return false;
        lua_rawseti(L, -2, static_cast<lua_Integer>(i) + 1);
      }
      return true;
    case K::kObject:
      lua_createtable(L, 0, static_cast<int>(v.keys.size()));
      for (std::size_t i = 0; i < v.keys.size(); ++i) {
        if (!push_json(L, v.values[i])) return false;
        lua_setfield(L, -2, v.keys[i].c_str());
      }
      return true;
    default:
      return false;
  }
}

}  // namespace

std::optional<std::string> push_inputs(lua_State* L, const config::Value* inputs) {
  const int top = lua_gettop(L);
  if (inputs == nullptr) {
    lua_newtable(L);
  } else if (!push_json(L, *inputs)) {
    lua_settop(L, top);
    return std::string("inputs: null is not a value a script can read");
  }
  push_frozen(L, -1);
  lua_remove(L, -2);
  return std::nullopt;
}

}  // namespace be::script
