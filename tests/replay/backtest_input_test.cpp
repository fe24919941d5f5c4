// replay/backtest's inputs as a new user writes them: one bot config or an array of them, and
// bots whose symbol the recording lacks named with the symbols it has (docs/BACKTEST.md).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "replay/backtest.hpp"

namespace {

using be::replay::bots_without_market;
using be::replay::parse_bot_configs;

const char* kGrid =
    R"({"name": "btc grid", "symbol": "BTCUSDT",
        "strategy": {"type": "grid", "parameters": {"lower": 45000, "upper": 58000}}})";

TEST(BotConfigs, shouldAcceptOneConfigObjectAsAListOfOne) {
  auto bots = parse_bot_configs(kGrid, "grid.json");
  ASSERT_TRUE(bots) << bots.error();
  ASSERT_EQ(bots->size(), 1u);
  EXPECT_EQ((*bots)[0], R"({"name":"btc grid","symbol":"BTCUSDT","strategy":{"type":"grid",)"
                        R"("parameters":{"lower":45000,"upper":58000}}})");
}

TEST(BotConfigs, shouldAcceptAnArrayOfConfigsInOrder) {
  auto bots = parse_bot_configs(std::string("[") + kGrid + R"(,{"name":"b","symbol":"ETHBTC"}])",
                                "bots.json");
  ASSERT_TRUE(bots) << bots.error();
  ASSERT_EQ(bots->size(), 2u);
  EXPECT_NE((*bots)[0].find("\"btc grid\""), std::string::npos);
  EXPECT_EQ((*bots)[1], R"({"name":"b","symbol":"ETHBTC"})");
}

TEST(BotConfigs, shouldRefuseWhatIsNeitherAConfigNorAnArrayOfConfigsNamingTheFile) {
  struct Case {
    const char* text;
    const char* says;
  };
  for (const Case& c : {Case{"42", "bots.json: "}, Case{"[{}, 7]", "bots.json: item 1: "},
                        Case{"{\"name\":", "bots.json: "}}) {
    auto bots = parse_bot_configs(c.text, "bots.json");
    ASSERT_FALSE(bots) << c.text;
    EXPECT_EQ(bots.error().rfind(c.says, 0), 0u) << bots.error();
    EXPECT_NE(bots.error().find("expected a bot config (a JSON object) or an array of them"),
              std::string::npos)
        << bots.error();
  }
}

be::engine::EngineConfig two_symbol_deployment() {
  auto c = be::engine::parse_engine_config(
      R"({"instruments":[{"symbol":"ETHBTC","base":"ETH","quote":"BTC"},)"
      R"({"symbol":"LTCBTC","base":"LTC","quote":"BTC"}]})");
  EXPECT_TRUE(c) << (c ? "" : be::config::format_errors(c.error()));
  return c ? *c : be::engine::EngineConfig{};
}

TEST(BotsWithoutMarket, shouldNameEachBotWhoseSymbolTheRecordingLacksWithTheSymbolsItHas) {
  const auto config = two_symbol_deployment();
  const std::vector<std::string> bots = {
      kGrid, R"({"name":"ok","symbol":"LTCBTC"})",
      R"({"name":"elsewhere","venue":"kraken","symbol":"LTCBTC"})", R"({"name":"none"})"};
  const auto missing = bots_without_market(config, bots);
  ASSERT_EQ(missing.size(), 3u);
  EXPECT_EQ(missing[0].index, 0u);
  EXPECT_EQ(missing[1].index, 2u);
  EXPECT_EQ(missing[2].index, 3u);
  EXPECT_EQ(be::replay::describe(missing[0], config, "the capture"),
            "bot 0 \"btc grid\" trades BTCUSDT on binance, which the capture does not contain; "
            "it has binance ETHBTC, LTCBTC");
  EXPECT_EQ(be::replay::describe(missing[1], config, "the journal"),
            "bot 2 \"elsewhere\" trades LTCBTC on kraken, which the journal does not contain; "
            "it has binance ETHBTC, LTCBTC");
  EXPECT_EQ(be::replay::describe(missing[2], config, "the capture"),
            "bot 3 \"none\" trades no symbol on binance, which the capture does not contain; "
            "it has binance ETHBTC, LTCBTC");
}

TEST(BotsWithoutMarket, shouldFindNothingMissingWhenEveryBotHasItsMarket) {
  const auto config = two_symbol_deployment();
  EXPECT_TRUE(bots_without_market(config, {R"({"name":"a","symbol":"ETHBTC"})",
                                           R"({"name":"b","symbol":"LTCBTC"})"})
                  .empty());
}

}  // namespace
