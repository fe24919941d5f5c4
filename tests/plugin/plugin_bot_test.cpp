// The `plugin` bot type (strategies/plugin/plugin_bot.hpp) through the registry, the path
// every config takes: config errors, the contract (orders, fills, timers, conditions), its
// failure, snapshots, and the build stamped into journaled configs.
#include <gtest/gtest.h>

#include "strategies/bots/registry.hpp"
#include "strategies/plugin/plugin_bot.hpp"
#include "tests/bots/bot_test_data.hpp"
#include "tests/bots/sim_context.hpp"
#include "tests/plugin/plugin_harness.hpp"
#include "tests/support/alloc_counter.hpp"

namespace be::plugin::test {
namespace {

using bots::test::btcusdt;
using bots::test::closed;
using bots::test::SimContext;
using ::testing::HasSubstr;

bots::InstrumentResolver resolver() {
  static const bots::InstrumentInfo info = btcusdt();
  return [](std::string_view, std::string_view symbol) -> const bots::InstrumentInfo* {
    return symbol == "BTCUSDT" ? &info : nullptr;
  };
}

Expected<bots::CreatedBot, bots::ConfigErrors> build(const std::string& json) {
  return bots::BotRegistry::builtin().create(json, BotId{1}, resolver());
}

std::unique_ptr<bots::Bot> make(const std::string& json) {
  auto created = build(json);
  EXPECT_TRUE(created.has_value()) << (created ? "" : config::format_errors(created.error()));
  return created ? std::move(created->bot) : nullptr;
}

// Minute bars on a slow wave.
std::vector<Bar> bars(std::size_t n) {
  std::vector<Bar> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    Bar& b = out[i];
    b.instrument = btcusdt().id;
    b.interval_seconds = 60;
    b.open_time = static_cast<Nanos>(i) * 60'000'000'000LL;
    b.open = b.close = (50'000 + static_cast<std::int64_t>(i % 50) * 10) * bots::test::kUnit;
    b.high = b.close + bots::test::kUnit;
    b.low = b.close - bots::test::kUnit;
    b.volume = bots::test::kUnit;
    b = closed(b);
  }
  return out;
}

std::string field_errors(const Expected<bots::CreatedBot, bots::ConfigErrors>& created) {
  return created ? std::string("created") : config::format_errors(created.error());
}

TEST(PluginBot, shouldNameTheLoadedPluginsWhenAConfigNamesAnother) {
  Installed counter("counter", BE_COUNTER_PLUGIN_A);
  const auto created = build(plugin_config("rsi", "{}"));
  ASSERT_FALSE(created.has_value());
  EXPECT_THAT(field_errors(created),
              HasSubstr("strategy.parameters.plugin: no plugin named \"rsi\" is loaded; the "
                        "deployment config's \"plugins\" names counter"));
}

TEST(PluginBot, shouldReportBadInputsUnderTheirPath) {
  Installed counter("counter", BE_COUNTER_PLUGIN_A);
  const auto created =
      build(plugin_config("counter", R"({"every": 0, "quantity": "0.1234567891", "mode": 3})"));
  ASSERT_FALSE(created.has_value());
  const std::string errors = field_errors(created);
  EXPECT_THAT(errors, HasSubstr("strategy.parameters.inputs.every: must be at least 1"));
  EXPECT_THAT(errors, HasSubstr("strategy.parameters.inputs.quantity: must be a decimal with at "
                                "most 8 decimal places"));
  EXPECT_THAT(errors, HasSubstr("strategy.parameters.inputs.mode"));
}

TEST(PluginBot, shouldRefuseAnIndicatorSpecThatDoesNotParseNamingIt) {
  Installed counter("counter", BE_COUNTER_PLUGIN_A);
  const auto created = build(plugin_config("counter", R"({"indicator": "rsi:0"})"));
  ASSERT_FALSE(created.has_value());
  EXPECT_THAT(field_errors(created),
              HasSubstr("strategy.parameters.indicator: indicator 'rsi:0': parameter 1"));
}

// Until its sma:4 is ready (the fourth closed bar) the counter plugin does not act: the engine
// feeds the indicator before on_bar, and restores its state from the bot's snapshot (the
// restore test below acts on the first bars after the restore only if it did).
TEST(PluginBot, shouldActOnlyOnceItsEngineIndicatorIsReady) {
  Installed counter("counter", BE_COUNTER_PLUGIN_A);
  auto bot = make(plugin_config("counter", R"({"every": 1, "indicator": "sma:4"})"));
  ASSERT_NE(bot, nullptr);
  SimContext ctx(btcusdt());
  ctx.start(*bot, 0, 50'000 * bots::test::kUnit);
  const auto series = bars(4);
  for (std::size_t i = 0; i < 3; ++i)
    ctx.deliver(*bot, series[i], i);
  EXPECT_TRUE(ctx.submitted.empty()) << "sma:4 is not ready before the fourth bar";
  ctx.deliver(*bot, series[3], 3);
  EXPECT_EQ(ctx.submitted.size(), 1u);
}

TEST(PluginBot, shouldRunThePluginThroughItsContext) {
  Installed counter("counter", BE_COUNTER_PLUGIN_A);
  auto bot = make(plugin_config("counter", R"({"every": 5, "quantity": "0.01"})"));
  ASSERT_NE(bot, nullptr);
  EXPECT_EQ(bot->type_name(), "plugin");
  ASSERT_EQ(bot->conditions().size(), 1u);  // declared at create
  SimContext ctx(btcusdt());
  ctx.start(*bot, 0, 50'000 * bots::test::kUnit);
  const auto series = bars(100);
  for (std::size_t i = 0; i < series.size(); ++i)
    ctx.deliver(*bot, series[i], i);
  // Every fifth bar: a buy of 0.01 when flat, else a reduce-only sell of the position.
  ASSERT_EQ(ctx.submitted.size(), 20u);
  const OrderIntent& buy = ctx.submitted[0].intent;
  EXPECT_EQ(buy.side, Side::kBuy);
  EXPECT_EQ(buy.type, OrderType::kMarket);
  EXPECT_EQ(buy.quantity, 1'000'000);
  EXPECT_EQ(buy.instrument, btcusdt().id);
  const OrderIntent& sell = ctx.submitted[1].intent;
  EXPECT_EQ(sell.side, Side::kSell);
  EXPECT_EQ(sell.quantity, 1'000'000);
  EXPECT_EQ(sell.tag, 9999u);
  EXPECT_TRUE(sell.reduce_only());
  EXPECT_EQ(ctx.fills.size(), 20u);
  EXPECT_TRUE(bot->failure().empty());
}

TEST(PluginBot, shouldContinueIdenticallyAfterASnapshotRestore) {
  Installed counter("counter", BE_COUNTER_PLUGIN_A);
  const std::string config = plugin_config("counter", R"({"every": 3, "indicator": "sma:4"})");
  auto original = make(config);
  ASSERT_NE(original, nullptr);
  SimContext a(btcusdt());
  a.start(*original, 0, 50'000 * bots::test::kUnit);
  const auto series = bars(200);
  for (std::size_t i = 0; i < 101; ++i)
    a.deliver(*original, series[i], i);
  std::vector<std::byte> saved;
  original->save(saved);
  auto restored = make(config);
  ASSERT_NE(restored, nullptr);
  EXPECT_NE(restored->state_hash(), original->state_hash());
  ASSERT_TRUE(restored->load(saved));
  EXPECT_EQ(restored->state_hash(), original->state_hash());
  SimContext b = a;
  for (std::size_t i = 101; i < series.size(); ++i) {
    a.deliver(*original, series[i], i);
    b.deliver(*restored, series[i], i);
  }
  ASSERT_EQ(a.submitted.size(), b.submitted.size());
  for (std::size_t k = 0; k < a.submitted.size(); ++k) {
    EXPECT_EQ(a.submitted[k].intent.side, b.submitted[k].intent.side) << k;
    EXPECT_EQ(a.submitted[k].intent.quantity, b.submitted[k].intent.quantity) << k;
    EXPECT_EQ(a.submitted[k].intent.tag, b.submitted[k].intent.tag) << k;
  }
  EXPECT_EQ(original->state_hash(), restored->state_hash());
  // Bytes that are not this plugin's state are refused.
  std::vector<std::byte> truncated(saved.begin(), saved.end() - 3);
  auto other = make(config);
  EXPECT_FALSE(other->load(truncated));
}

TEST(PluginBot, shouldStopForGoodWhenThePluginFails) {
  Installed counter("counter", BE_COUNTER_PLUGIN_A);
  const std::string config = plugin_config("counter", R"({"every": 2, "fail_after": 6})");
  auto bot = make(config);
  ASSERT_NE(bot, nullptr);
  SimContext ctx(btcusdt());
  const auto series = bars(20);
  for (std::size_t i = 0; i < series.size(); ++i)
    ctx.deliver(*bot, series[i], i);
  EXPECT_EQ(bot->failure(), "plugin: failed on purpose");
  EXPECT_EQ(ctx.submitted.size(), 2u);  // bars 2 and 4; from bar 6 on nothing runs
  std::vector<std::byte> saved;
  bot->save(saved);
  auto restored = make(config);
  ASSERT_TRUE(restored->load(saved));
  EXPECT_EQ(restored->failure(), "plugin: failed on purpose");
  EXPECT_EQ(restored->state_hash(), bot->state_hash());
}

TEST(PluginBot, shouldAllocateNothingPerInputAfterWarmUp) {
  Installed counter("counter", BE_COUNTER_PLUGIN_A);
  auto bot = make(plugin_config("counter", R"({"every": 1000000})"));
  ASSERT_NE(bot, nullptr);
  SimContext ctx(btcusdt());
  const auto series = bars(50);
  for (std::size_t i = 0; i < 10; ++i)
    ctx.deliver(*bot, series[i], i);  // warm-up: the context's own tables
  Trade trade;
  trade.instrument = btcusdt().id;
  trade.price = 50'000 * bots::test::kUnit;
  if (!be::test::allocation_counting_available()) GTEST_SKIP() << "no allocation counting here";
  const std::uint64_t before = be::test::allocation_count();
  for (std::size_t i = 10; i < series.size(); ++i) {
    bot->on_bar(series[i], ctx);
    bot->on_trade(trade, ctx);
  }
  EXPECT_EQ(be::test::allocation_count() - before, 0u);
}

TEST(PluginBot, shouldStampTheLoadedBuildIntoJournaledConfigsOnly) {
  Installed counter("counter", BE_COUNTER_PLUGIN_A);
  const std::string plain = plugin_config("counter", "{}");
  const std::string stamped = stamp_build(plain);
  EXPECT_THAT(stamped, HasSubstr(std::string(R"("sha256":")") + counter.sha256() + "\""));
  auto bot = make(stamped);  // the stamped config builds with the same library
  EXPECT_NE(bot, nullptr);
  EXPECT_EQ(stamp_build(stamped), stamped);  // a pinned build is kept
  const std::string rsi =
      R"({"name":"r","symbol":"BTCUSDT","strategy":{"type":"rsi","parameters":{}}})";
  EXPECT_EQ(stamp_build(rsi), rsi);
}

TEST(PluginBot, shouldRefuseAJournaledBuildThatIsNotTheLoadedOneNamingBothHashes) {
  std::string build_a;
  {
    Installed a("counter", BE_COUNTER_PLUGIN_A);
    build_a = a.sha256();
  }
  Installed b("counter", BE_COUNTER_PLUGIN_B);
  const auto created =
      build(plugin_config("counter", "{}", std::string(R"("sha256":")") + build_a + "\""));
  ASSERT_FALSE(created.has_value());
  const std::string expected = "plugin \"counter\": this bot was journaled with build " + build_a +
                               ", but the loaded library " BE_COUNTER_PLUGIN_B " is build " +
                               b.sha256() + ": refusing to run a different build";
  EXPECT_THAT(field_errors(created), HasSubstr("strategy.parameters.sha256: " + expected));
  // ... and noted, so a recovery or replay that met it stops.
  const auto noted = take_refused_build();
  ASSERT_TRUE(noted.has_value());
  EXPECT_THAT(*noted, HasSubstr(expected));
  EXPECT_FALSE(take_refused_build().has_value());
}

}  // namespace
}  // namespace be::plugin::test
