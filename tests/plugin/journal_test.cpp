// Plugins and the journal: the build a plugin bot ran with is journaled in its config, so a
// replay (`botengine replay --verify`) or a recovery with another build of the library is
// refused naming both hashes, and one with the same build verifies; `botengine run` refuses a
// deployment whose plugin cannot be loaded before it starts anything.
#include <gtest/gtest.h>

#include "tests/engine/engine_fixture.hpp"
#include "tests/plugin/plugin_harness.hpp"
#include "tests/support/botengine_cli.hpp"

namespace be::plugin::test {
namespace {

using ::testing::HasSubstr;
namespace ts = engine::test_support;

// tests/engine's test deployment with "plugins" naming `library` (in its journaled text too).
engine::EngineConfig deployment(const fs::path& data_dir, const fs::path& library) {
  const engine::EngineConfig base = ts::test_config(data_dir);
  auto tree = config::parse(base.source_text);
  EXPECT_TRUE(tree.has_value());
  config::Value plugins = config::Value::empty_object();
  config::Value path;
  path.kind = config::Value::Kind::kString;
  path.text = library.string();
  plugins.keys.emplace_back("counter");
  plugins.values.push_back(path);
  tree->keys.emplace_back("plugins");
  tree->values.push_back(plugins);
  auto parsed = engine::parse_engine_config(config::to_json(*tree));
  EXPECT_TRUE(parsed.has_value()) << (parsed ? "" : config::format_errors(parsed.error()));
  engine::EngineConfig c = parsed ? *parsed : base;
  c.data_dir = base.data_dir;
  c.disk_reserve_bytes = base.disk_reserve_bytes;  // test_config's floors: off for /tmp
  c.disk_stop_bytes = base.disk_stop_bytes;
  return c;
}

void copy_library(const char* from, const fs::path& to) {
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
}

TEST(PluginJournal, shouldRefuseAReplayOrRecoveryWithAnotherBuildNamingBothHashes) {
  REQUIRE_BOTENGINE();
  TempDir dir;
  const fs::path library = dir.path / "counter.so";
  copy_library(BE_COUNTER_PLUGIN_A, library);
  const engine::EngineConfig config = deployment(dir.path / "data", library);
  ASSERT_TRUE(cli::install_plugins(config.source_text, "deployment").has_value());
  const std::string build_a = installed()->at(0).sha256;
  {
    auto engine = ts::started_engine(config);
    ASSERT_NE(engine, nullptr);
    ts::Market market(11);
    const std::string bot = plugin_config("counter", R"({"every": 5, "quantity": "0.01"})");
    ASSERT_TRUE(ts::start_trading(*engine, market, {bot.c_str()}));
    // A bulk create journals its configs its own way: stamped alike.
    const std::string bulk[] = {plugin_config("counter", R"({"every": 9})")};
    const engine::BulkCreateResult created = engine->create_bots(UserId{1}, bulk);
    ASSERT_EQ(created.status, engine::CommandStatus::kAccepted) << created.message;
    ASSERT_TRUE(ts::offer_market(*engine, market, 1500));
    const auto model = engine->read_model();
    ASSERT_EQ(model->bots.size(), 2u);
    EXPECT_GT(model->bots[0].trades, 10u);
    for (const engine::BotView& b : model->bots) {
      EXPECT_THAT(b.config_json, HasSubstr(std::string(R"("sha256":")") + build_a + "\""))
          << "bot " << index_of(b.id);
    }
    engine->stop();
  }
  const std::string journal = config.data_dir + "/journal";
  // The same build: every derived record and snapshot verifies.
  const be::test::CliResult same = be::test::run_botengine("replay " + journal + " --verify");
  EXPECT_EQ(same.exit_code, 0) << same.output;
  EXPECT_THAT(same.output, HasSubstr("verified: "));

  // Another build at the path the deployment names: refused, with both hashes.
  copy_library(BE_COUNTER_PLUGIN_B, library);
  const std::string build_b = cli::load_plugin("counter", library.string())->sha256;
  ASSERT_NE(build_a, build_b);
  const std::string refusal = "plugin \"counter\": this bot was journaled with build " + build_a +
                              ", but the loaded library " + library.string() + " is build " +
                              build_b + ": refusing to run a different build";
  const be::test::CliResult other = be::test::run_botengine("replay " + journal + " --verify");
  EXPECT_EQ(other.exit_code, 1) << other.output;
  EXPECT_THAT(other.output, HasSubstr(refusal));

  // Recovery (what `run` does at start) refuses too, before writing anything.
  ASSERT_TRUE(cli::install_plugins(config.source_text, "deployment").has_value());
  auto refused = engine::Engine::open(config);
  ASSERT_FALSE(refused.has_value());
  EXPECT_THAT(refused.error(), HasSubstr("recovery: " + refusal));

  // The journaled build back: recovery gives what a from-scratch replay gives.
  copy_library(BE_COUNTER_PLUGIN_A, library);
  ASSERT_TRUE(cli::install_plugins(config.source_text, "deployment").has_value());
  auto recovered = ts::open_engine(config);
  ASSERT_NE(recovered, nullptr);
  EXPECT_EQ(recovered->recovery().derived_mismatches, 0u);
  EXPECT_EQ(recovered->recovery().state_hash, ts::replay_from_scratch(config).hash);
  recovered.reset();
  install({});
}

TEST(PluginJournal, shouldRefuseToStartWhenAConfiguredPluginCannotBeLoaded) {
  REQUIRE_BOTENGINE();
  TempDir dir;
  const auto run_with = [&](const std::string& library) {
    const fs::path config = dir.path / "deployment.json";
    std::string text = R"({"venues": [{"name": "binance", "url": "ws://127.0.0.1:9/stream"}],
      "instruments": [{"venue": "binance", "symbol": "BTCUSDT", "base": "BTC", "quote": "USDT",
                       "price_scale": 8, "qty_scale": 8}],
      "plugins": {"rsi": )";
    config::append_json_string(text, library);
    std::ofstream(config) << text << "}}";
    return be::test::run_botengine("run " + config.string() + " --data-dir " +
                                   (dir.path / "data").string());
  };
  const std::string missing = (dir.path / "missing.so").string();
  const be::test::CliResult absent = run_with(missing);
  EXPECT_EQ(absent.exit_code, 1) << absent.output;
  EXPECT_THAT(absent.output,
              HasSubstr("plugin \"rsi\" (" + missing + "): cannot open: No such file"));
  const be::test::CliResult future = run_with(BE_WRONG_ABI_PLUGIN);
  EXPECT_EQ(future.exit_code, 1) << future.output;
  EXPECT_THAT(future.output,
              HasSubstr("but this engine speaks version " + std::to_string(BE_SDK_ABI_VERSION)));
  // Nothing was started: no journal was created.
  EXPECT_FALSE(fs::exists(dir.path / "data" / "journal"));
}

}  // namespace
}  // namespace be::plugin::test
