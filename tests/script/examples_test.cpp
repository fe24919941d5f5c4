// examples/*.lua trade as the built-in bots they rewrite, trade for trade, on the shared
// BTCUSDT week (docs/STRATEGIES.md).
#include <gtest/gtest.h>

#include <tuple>

#include "tests/script/script_harness.hpp"

namespace be::script::test {
namespace {

std::string example(const char* name) {
  return read_file(std::string(BE_SOURCE_DIR) + "/examples/" + name);
}

// Runs both bots over the week and compares every order and fill.
void expect_same_trades(bots::Bot& builtin, bots::Bot& script, std::size_t min_orders) {
  REQUIRE_BTC_WEEK();
  SimContext a(btcusdt());
  SimContext b(btcusdt());
  for (std::size_t i = 0; i < candles->size(); ++i) {
    a.deliver(builtin, closed(candles->bars[i]), i);
    b.deliver(script, closed(candles->bars[i]), i);
  }
  EXPECT_TRUE(script.failure().empty()) << script.failure();
  ASSERT_GE(a.submitted.size(), min_orders);
  ASSERT_EQ(a.submitted.size(), b.submitted.size());
  // Everything an order is made of, and the bar it was sent on.
  const auto order = [](const Submitted& s) {
    const OrderIntent& i = s.intent;
    return std::tuple(s.bar_index, i.side, i.type, i.price, i.quantity, i.quote_amount, i.tag,
                      i.flags);
  };
  for (std::size_t k = 0; k < a.submitted.size(); ++k) {
    EXPECT_EQ(order(a.submitted[k]), order(b.submitted[k])) << "order " << k;
  }
  ASSERT_EQ(a.fills.size(), b.fills.size());
  for (std::size_t k = 0; k < a.fills.size(); ++k) {
    EXPECT_EQ(a.fills[k].price, b.fills[k].price);
    EXPECT_EQ(a.fills[k].quantity, b.fills[k].quantity);
  }
}

std::unique_ptr<bots::Bot> builtin(std::string_view type, std::string_view parameters) {
  auto created = bots::BotRegistry::builtin().create(
      std::string(R"({"name":"b","symbol":"BTCUSDT","seed":7,"strategy":{"type":")") +
          std::string(type) + R"(","parameters":)" + std::string(parameters) + "}}",
      BotId{2}, resolver());
  EXPECT_TRUE(created.has_value()) << (created ? "" : config::format_errors(created.error()));
  return created.has_value() ? std::move(created->bot) : nullptr;
}

TEST(ScriptExamples, rsiShouldTradeAsTheBuiltInRsiBot) {
  auto cpp = builtin("rsi", R"({"period":14,"oversold":30,"overbought":70,"quantity":0.01})");
  auto lua = make(example("rsi.lua"),
                  R"("inputs":{"period":14,"oversold":30,"overbought":70,"quantity":"0.01"})");
  ASSERT_NE(cpp, nullptr);
  ASSERT_NE(lua, nullptr);
  expect_same_trades(*cpp, *lua, 20);
}

TEST(ScriptExamples, gridShouldTradeAsTheBuiltInGridBot) {
  auto cpp = builtin("grid", R"({"lower":45000,"upper":58000,"grids":26,"spacing":"arithmetic",)"
                             R"("quantity_per_grid":0.001})");
  auto lua = make(example("grid.lua"), R"("inputs":{"lower":"45000","upper":"58000","grids":26,)"
                                       R"("quantity_per_grid":"0.001"})");
  ASSERT_NE(cpp, nullptr);
  ASSERT_NE(lua, nullptr);
  expect_same_trades(*cpp, *lua, 50);
}

}  // namespace
}  // namespace be::script::test
