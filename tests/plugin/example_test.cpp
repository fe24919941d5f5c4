// examples/plugin, built as its users build it: the SDK installed with `cmake --install` to a
// temporary prefix, the example configured with find_package(botengine_sdk) against it and
// built, its library loaded as `run` loads it; then it must trade as the built-in RSI bot,
// trade for trade, on the shared BTCUSDT week (docs/STRATEGIES.md "Plugins").
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <tuple>

#include "strategies/bots/registry.hpp"
#include "tests/bots/bot_test_data.hpp"
#include "tests/bots/sim_context.hpp"
#include "tests/plugin/plugin_harness.hpp"

namespace be::plugin::test {
namespace {

using bots::test::btcusdt;
using bots::test::closed;
using bots::test::SimContext;
using bots::test::Submitted;

// Runs a shell command, its output kept for the failure message; the exit code.
int run(const std::string& command, std::string& output) {
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return -1;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, p)) > 0)
    output.append(buffer, n);
  const int status = ::pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::unique_ptr<bots::Bot> create(const std::string& json) {
  static const bots::InstrumentInfo info = btcusdt();
  const bots::InstrumentResolver resolve =
      [](std::string_view, std::string_view symbol) -> const bots::InstrumentInfo* {
    return symbol == "BTCUSDT" ? &info : nullptr;
  };
  auto created = bots::BotRegistry::builtin().create(json, BotId{2}, resolve);
  EXPECT_TRUE(created.has_value()) << (created ? "" : config::format_errors(created.error()));
  return created ? std::move(created->bot) : nullptr;
}

TEST(PluginExample, shouldBuildAgainstTheInstalledSdkAndTradeAsTheBuiltInRsiBot) {
  TempDir dir;
  const std::string cmake = BE_CMAKE_COMMAND;
  const fs::path prefix = dir.path / "sdk";
  const fs::path build = dir.path / "build";
  std::string log;
  ASSERT_EQ(
      run(cmake + " --install " BE_BINARY_DIR " --component sdk --prefix " + prefix.string(), log),
      0)
      << log;
  ASSERT_TRUE(fs::exists(prefix / "include/botengine/sdk.h")) << log;
  ASSERT_TRUE(fs::exists(prefix / "lib/cmake/botengine_sdk/botengine_sdkConfig.cmake") ||
              fs::exists(prefix / "lib64/cmake/botengine_sdk/botengine_sdkConfig.cmake"))
      << log;
  ASSERT_EQ(run(cmake + " -S " BE_SOURCE_DIR "/examples/plugin -B " + build.string() +
                    " -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=" BE_CXX_COMPILER
                    " -DCMAKE_PREFIX_PATH=" +
                    prefix.string(),
                log),
            0)
      << log;
  ASSERT_EQ(run(cmake + " --build " + build.string(), log), 0) << log;
  const fs::path library = build / "rsi_plugin.so";
  ASSERT_TRUE(fs::exists(library)) << log;
  Installed rsi("rsi", library.string());
  ASSERT_FALSE(rsi.sha256().empty());

  REQUIRE_BTC_WEEK();
  auto builtin = create(R"({"name":"b","symbol":"BTCUSDT","seed":7,"strategy":{"type":"rsi",)"
                        R"("parameters":{"period":14,"oversold":30,"overbought":70,)"
                        R"("quantity":0.01}}})");
  auto plugin = create(
      plugin_config("rsi", R"({"period":14,"oversold":30,"overbought":70,"quantity":"0.01"})"));
  ASSERT_NE(builtin, nullptr);
  ASSERT_NE(plugin, nullptr);
  SimContext a(btcusdt());
  SimContext b(btcusdt());
  for (std::size_t i = 0; i < candles->size(); ++i) {
    a.deliver(*builtin, closed(candles->bars[i]), i);
    b.deliver(*plugin, closed(candles->bars[i]), i);
  }
  EXPECT_TRUE(plugin->failure().empty()) << plugin->failure();
  ASSERT_GE(a.submitted.size(), 20u);
  ASSERT_EQ(a.submitted.size(), b.submitted.size());
  const auto order = [](const Submitted& s) {
    const OrderIntent& i = s.intent;
    return std::tuple(s.bar_index, i.side, i.type, i.price, i.quantity, i.quote_amount, i.tag,
                      i.flags);
  };
  for (std::size_t k = 0; k < a.submitted.size(); ++k)
    EXPECT_EQ(order(a.submitted[k]), order(b.submitted[k])) << "order " << k;
  ASSERT_EQ(a.fills.size(), b.fills.size());
  for (std::size_t k = 0; k < a.fills.size(); ++k) {
    EXPECT_EQ(a.fills[k].price, b.fills[k].price);
    EXPECT_EQ(a.fills[k].quantity, b.fills[k].quantity);
  }
}

}  // namespace
}  // namespace be::plugin::test
