#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "feed/candle_file.hpp"
#include "strategies/bots/dca_bot.hpp"
#include "strategies/bots/registry.hpp"
#include "strategies/bots/signal_bots.hpp"
#include "strategies/conditions/engine.hpp"
#include "tests/bots/bot_test_data.hpp"
#include "tests/bots/sim_context.hpp"

namespace be::config {
// Readable failures: gtest would print the bytes of the struct otherwise.
void PrintTo(const FieldError& e, std::ostream* os) {
  *os << e.field << ": " << e.message;
}
}  // namespace be::config

namespace be::bots::test {
namespace {

InstrumentResolver resolver() {
  static const InstrumentInfo info = btcusdt();
  return [](std::string_view venue, std::string_view symbol) -> const InstrumentInfo* {
    return venue == "binance" && symbol == "BTCUSDT" ? &info : nullptr;
  };
}

std::unique_ptr<Bot> make(std::string_view json) {
  auto created = BotRegistry::builtin().create(json, BotId{1}, resolver());
  EXPECT_TRUE(created.has_value()) << (created ? "" : config::format_errors(created.error()));
  return created.has_value() ? std::move(created->bot) : nullptr;
}

// ---- Registry and config validation -------------------------------------------------------

TEST(BotRegistry, shouldCreateABotFromTheUsersConfigShape) {
  auto created = BotRegistry::builtin().create(
      R"({"name":"btc rsi","symbol":"BTCUSDT","timeframe":"15m","seed":7,
          "strategy":{"type":"RSIStrategy","parameters":{"period":14,"oversold":30,
                      "overbought":70,"quote_amount":100.0}},
          "risk_management":{"max_daily_trades":5}})",
      BotId{3}, resolver());
  ASSERT_TRUE(created.has_value()) << config::format_errors(created.error());
  EXPECT_EQ(created->config.strategy_type, "rsi");
  EXPECT_EQ(created->config.timeframe_seconds, 900u);
  EXPECT_EQ(created->config.seed, 7u);
  ASSERT_TRUE(created->config.risk_management.has_value());
  EXPECT_EQ(created->bot->type_name(), "rsi");
  EXPECT_EQ(created->bot->id(), BotId{3});
}

TEST(BotRegistry, shouldNameEveryBadFieldOfAnInvalidConfig) {
  auto created = BotRegistry::builtin().create(
      R"({"symbol":"DOGEUSDT","timeframe":"2m","colour":"red",
          "strategy":{"type":"rsi","parameters":{"period":1,"oversold":80,"overbought":70,
                      "quantity":0.001,"quote_amount":50,"extra":1}}})",
      BotId{1}, resolver());
  ASSERT_FALSE(created.has_value());
  const std::vector<config::FieldError> expected = {
      {"name", "required field is missing"},
      {"symbol", "unknown symbol \"DOGEUSDT\" on binance"},
      {"timeframe", "must be one of 1m, 5m, 15m, 1h, 4h, 1d, got \"2m\""},
      {"strategy.parameters.quantity",
       "give exactly one of quantity (base), quote_amount (quote) or capital_fraction (share of "
       "capital, 0 to 1)"},
      {"strategy.parameters.period", "must be an integer from 2 to 1000, got 1"},
      {"strategy.parameters.oversold", "must be below overbought"},
      {"strategy.parameters.extra", "unknown field"},
      {"colour", "unknown field"},
  };
  EXPECT_EQ(created.error(), expected) << config::format_errors(created.error());
}

TEST(BotRegistry, shouldListKnownStrategiesForAnUnknownType) {
  auto created = BotRegistry::builtin().create(
      R"({"name":"x","symbol":"BTCUSDT","strategy":{"type":"martingale"}})", BotId{1}, resolver());
  ASSERT_FALSE(created.has_value());
  ASSERT_EQ(created.error().size(), 1u);
  EXPECT_EQ(created.error()[0].field, "strategy.type");
  EXPECT_EQ(created.error()[0].message,
            "unknown strategy \"martingale\"; known: rsi, dca, grid, ma_cross, momentum, "
            "macd_bollinger, custom, market_maker, script, plugin");
}

// Issue 14's validation holes: an empty or blank symbol passed (the bot then ran and never
// traded), and the name limit counted bytes where BOTS.md says characters.
TEST(BotRegistry, shouldRefuseBlankSymbolsAndNamesAndCountCharactersNotBytes) {
  const auto errors_of = [](const std::string& name, const std::string& symbol) {
    auto created = BotRegistry::builtin().create(
        R"({"name":")" + name + R"(","symbol":")" + symbol +
            R"(","strategy":{"type":"rsi","parameters":{"quote_amount":100.0}}})",
        BotId{1}, resolver());
    return created ? std::vector<config::FieldError>{} : created.error();
  };
  for (const char* blank : {"", " ", "\\t "}) {
    const std::vector<config::FieldError> symbol = {{"symbol", "must not be empty"}};
    EXPECT_EQ(errors_of("x", blank), symbol) << "symbol \"" << blank << "\"";
    const std::vector<config::FieldError> name = {
        {"name", "must be 1 to 64 characters, not only blanks"}};
    EXPECT_EQ(errors_of(blank, "BTCUSDT"), name) << "name \"" << blank << "\"";
  }
  std::string sixty_four;  // 64 characters, 128 bytes of UTF-8
  for (int i = 0; i < 64; ++i)
    sixty_four += "\u00e9";
  EXPECT_TRUE(errors_of(sixty_four, "BTCUSDT").empty());
  EXPECT_EQ(errors_of(sixty_four + "e", "BTCUSDT").size(), 1u) << "65 characters";
}

TEST(BotRegistry, shouldRefuseMalformedJsonWithTheParserReason) {
  auto created = BotRegistry::builtin().create("{\"name\": ", BotId{1}, resolver());
  ASSERT_FALSE(created.has_value());
  EXPECT_NE(created.error()[0].message.find("invalid JSON"), std::string::npos);
}

// ---- RSI ---------------------------------------------------------------------------------

// An independent Wilder RSI over doubles, written plainly for the test.
std::vector<double> naive_rsi(const std::vector<double>& close, int n) {
  std::vector<double> out(close.size(), std::nan(""));
  double gain = 0, loss = 0;
  for (std::size_t i = 1; i < close.size(); ++i) {
    const double d = close[i] - close[i - 1];
    const double g = d > 0 ? d : 0;
    const double l = d < 0 ? -d : 0;
    if (static_cast<int>(i) <= n) {
      gain += g;
      loss += l;
      if (static_cast<int>(i) == n) {
        gain /= n;
        loss /= n;
      } else {
        continue;
      }
    } else {
      gain = (gain * (n - 1) + g) / n;
      loss = (loss * (n - 1) + l) / n;
    }
    out[i] = gain + loss == 0 ? 0 : 100 * gain / (gain + loss);
  }
  return out;
}

TEST(RsiBot, shouldTradeEachThresholdCrossingOnRealCandles) {
  REQUIRE_BTC_WEEK();
  auto bot = make(R"({"name":"rsi","symbol":"BTCUSDT","strategy":{"type":"rsi",
      "parameters":{"period":14,"oversold":30,"overbought":70,"quantity":0.01}}})");
  ASSERT_NE(bot, nullptr);
  SimContext ctx(btcusdt());
  for (std::size_t i = 0; i < candles->size(); ++i)
    ctx.deliver(*bot, closed(candles->bars[i]), i);

  // Expected trades from the plain RSI: flat -> buy on a cross below 30, long -> sell on a
  // cross above 70.
  const auto rsi = naive_rsi(candles->close, 14);
  std::vector<std::pair<std::size_t, Side>> expected;
  bool long_position = false;
  for (std::size_t i = 15; i < rsi.size(); ++i) {
    if (std::isnan(rsi[i - 1])) continue;
    if (!long_position && rsi[i - 1] >= 30 && rsi[i] < 30) {
      expected.emplace_back(i, Side::kBuy);
      long_position = true;
    } else if (long_position && rsi[i - 1] <= 70 && rsi[i] > 70) {
      expected.emplace_back(i, Side::kSell);
      long_position = false;
    }
  }
  ASSERT_GT(expected.size(), 20u) << "a volatile week should cross both thresholds often";
  ASSERT_EQ(ctx.submitted.size(), expected.size());
  for (std::size_t k = 0; k < expected.size(); ++k) {
    SCOPED_TRACE(k);
    EXPECT_EQ(ctx.submitted[k].bar_index, expected[k].first);
    EXPECT_EQ(ctx.submitted[k].intent.side, expected[k].second);
    EXPECT_EQ(ctx.submitted[k].intent.quantity, kUnit / 100);  // 0.01 BTC both ways
    EXPECT_EQ(ctx.submitted[k].intent.reduce_only(), expected[k].second == Side::kSell);
  }
}

TEST(RsiBot, shouldSkipSignalsInSafeMode) {
  REQUIRE_BTC_WEEK();
  auto bot = make(R"({"name":"rsi","symbol":"BTCUSDT","strategy":{"type":"rsi",
      "parameters":{"quantity":0.01}}})");
  SimContext ctx(btcusdt());
  ctx.set_tradable(false);
  for (std::size_t i = 0; i < 2000; ++i)
    ctx.deliver(*bot, closed(candles->bars[i]), i);
  EXPECT_TRUE(ctx.submitted.empty());
  EXPECT_GT(static_cast<RsiBot&>(*bot).signals_skipped(), 0u);
}

// Snapshot mid-run, restore into a fresh bot, continue both: same orders, same hash.
TEST(RsiBot, shouldContinueIdenticallyAfterASnapshotRestore) {
  REQUIRE_BTC_WEEK();
  const char* config = R"({"name":"rsi","symbol":"BTCUSDT","strategy":{"type":"rsi",
      "parameters":{"period":9,"quantity":0.01}}})";
  auto original = make(config);
  SimContext a(btcusdt());
  const std::size_t half = candles->size() / 2;
  for (std::size_t i = 0; i < half; ++i)
    a.deliver(*original, closed(candles->bars[i]), i);
  std::vector<std::byte> snapshot;
  original->save(snapshot);
  auto restored = make(config);
  ASSERT_NE(original->state_hash(), restored->state_hash());
  ASSERT_TRUE(restored->load(snapshot));
  EXPECT_EQ(original->state_hash(), restored->state_hash());
  ASSERT_NO_FATAL_FAILURE(expect_identical_continuation(*original, *restored, a, *candles, half));
  auto dca = make(R"({"name":"d","symbol":"BTCUSDT","strategy":{"type":"dca",
      "parameters":{"base_order_quote":10,"take_profit_pct":1}}})");
  EXPECT_FALSE(dca->load(snapshot)) << "another bot type's state must be refused";
}

// ---- DCA ----------------------------------------------------------------------------------

TEST(DcaBot, shouldPlaceBaseSafetyAndTakeProfitOrdersAsWorkedOutByHand) {
  REQUIRE_BTC_WEEK();
  auto bot = make(R"({"name":"dca","symbol":"BTCUSDT","strategy":{"type":"dca","parameters":{
      "base_order_quote":100.0,"take_profit_pct":1.5,
      "safety_orders":{"count":3,"quote":100.0,"deviation_pct":1.0,"volume_scale":2.0}}}})");
  ASSERT_NE(bot, nullptr);
  SimContext ctx(btcusdt());
  const Bar& first = candles->bars[0];
  ctx.start(*bot, first.open_time, first.close);

  // By hand: the base order buys 100 USDT at the first close, rounded down to 0.00001 BTC.
  const std::int64_t c0 = first.close;
  const std::int64_t base_qty = (100 * kUnit * kUnit / c0) / 1000 * 1000;
  ASSERT_GE(ctx.submitted.size(), 5u);
  EXPECT_EQ(ctx.submitted[0].intent.type, OrderType::kMarket);
  EXPECT_EQ(ctx.submitted[0].intent.quote_amount, 100 * kUnit);
  EXPECT_EQ(ctx.fills[0].quantity, base_qty);
  // Then the take profit at 1.5% over the fill, rounded up to the cent...
  const auto tp = [](std::int64_t avg) {
    const std::int64_t raw = static_cast<std::int64_t>(static_cast<Wide>(avg) * 1015 / 1000);
    return raw % 1'000'000 == 0 ? raw : raw - raw % 1'000'000 + 1'000'000;
  };
  EXPECT_EQ(ctx.submitted[1].intent.tag, DcaBot::kTakeProfit);
  EXPECT_EQ(ctx.submitted[1].intent.price, tp(c0));
  EXPECT_EQ(ctx.submitted[1].intent.quantity, base_qty);
  // ...and safety orders at -1%, -2%, -3% of it spending 100, 200 and 400 USDT.
  for (std::uint32_t i = 1; i <= 3; ++i) {
    const Submitted& s = ctx.submitted[1 + i];
    SCOPED_TRACE(i);
    const std::int64_t price = static_cast<std::int64_t>(static_cast<Wide>(c0) * (100 - i) / 100);
    const std::int64_t price_on_tick = price - price % 1'000'000;
    const std::int64_t quote = (100 * kUnit) << (i - 1);
    const std::int64_t qty =
        static_cast<std::int64_t>(static_cast<Wide>(quote) * kUnit / price_on_tick);
    EXPECT_EQ(s.intent.tag, DcaBot::kSafetyBase + i);
    EXPECT_EQ(s.intent.type, OrderType::kLimit);
    EXPECT_EQ(s.intent.price, price_on_tick);
    EXPECT_EQ(s.intent.quantity, qty - qty % 1000);
  }

  // Run the week: every take profit sits 1.5% above the average entry of its moment, and
  // completed cycles restart with a base order.
  for (std::size_t i = 1; i < candles->size(); ++i)
    ctx.deliver(*bot, closed(candles->bars[i]), i);
  auto& dca = static_cast<DcaBot&>(*bot);
  EXPECT_GT(dca.cycles_completed(), 3u);
  std::size_t base_orders = 0;
  for (const Submitted& s : ctx.submitted)
    base_orders += s.intent.tag == DcaBot::kBase;
  EXPECT_EQ(base_orders, dca.cycles_completed() + 1u);
  // The position the bot believes it holds is the one the market filled.
  std::int64_t position = 0;
  for (const BotFill& f : ctx.fills)
    position += f.side == Side::kBuy ? f.quantity : -f.quantity;
  EXPECT_EQ(dca.position_quantity(), position);
}

TEST(DcaBot, shouldBuyOnEveryIntervalOnEventTime) {
  REQUIRE_BTC_WEEK();
  auto bot = make(R"({"name":"dca","symbol":"BTCUSDT","strategy":{"type":"dca","parameters":{
      "base_order_quote":50,"interval_minutes":60,"take_profit_pct":50}}})");
  SimContext ctx(btcusdt());
  ctx.start(*bot, candles->bars[0].open_time, candles->bars[0].close);
  for (std::size_t i = 0; i < 24 * 60; ++i)
    ctx.deliver(*bot, closed(candles->bars[i]), i);
  std::vector<std::size_t> buy_bars;
  for (const Submitted& s : ctx.submitted) {
    if (s.intent.tag == DcaBot::kBase) buy_bars.push_back(s.bar_index);
  }
  // One at the start, then one at each hour's end: bar 59 closes at minute 60.
  ASSERT_EQ(buy_bars.size(), 25u);
  for (std::size_t k = 1; k < buy_bars.size(); ++k)
    EXPECT_EQ(buy_bars[k], 60 * k - 1);
  // 50% take profit is never reached this day: it is replaced after every buy.
  EXPECT_EQ(static_cast<DcaBot&>(*bot).cycles_completed(), 0u);
  EXPECT_EQ(ctx.cancels, 24);
}

// DCA on a condition: the bot declares it, the shared condition engine evaluates it, and each
// trigger is one base buy. Expected: every bar where a plain RSI(14) crosses below 30.
TEST(DcaBot, shouldBuyWheneverItsTriggerConditionFires) {
  REQUIRE_BTC_WEEK();
  auto bot = make(R"({"name":"dca","symbol":"BTCUSDT","strategy":{"type":"dca","parameters":{
      "base_order_quote":50,"take_profit_pct":50,
      "trigger":{"indicator":"rsi:14","operator":"crosses_below","value":30}}}})");
  ASSERT_NE(bot, nullptr);
  ASSERT_EQ(bot->conditions().size(), 1u);
  cond::ConditionEngine engine;
  ASSERT_TRUE(engine.subscribe(bot->id(), bot->conditions()[0]).has_value());
  struct Fired final : cond::TriggerSink {
    std::size_t count = 0;
    void on_trigger(const cond::Trigger&) noexcept override { ++count; }
  } fired;
  SimContext ctx(btcusdt());
  ctx.start(*bot, candles->bars[0].open_time, candles->bars[0].close);
  EXPECT_TRUE(ctx.submitted.empty()) << "a triggered DCA does not buy at start";
  for (std::size_t i = 0; i < candles->size(); ++i) {
    const Bar bar = closed(candles->bars[i]);
    ctx.deliver(*bot, bar, i);
    fired.count = 0;
    engine.on_bar(bar, 8, 8, fired);
    for (std::size_t k = 0; k < fired.count; ++k)
      ctx.deliver_condition(*bot, 0, bar.close);
  }
  const auto rsi = naive_rsi(candles->close, 14);
  std::vector<std::size_t> expected;
  for (std::size_t i = 15; i < rsi.size(); ++i) {
    if (!std::isnan(rsi[i - 1]) && rsi[i - 1] >= 30 && rsi[i] < 30) expected.push_back(i);
  }
  std::vector<std::size_t> buys;
  for (const Submitted& s : ctx.submitted) {
    if (s.intent.tag == DcaBot::kBase) buys.push_back(s.bar_index);
  }
  ASSERT_GT(expected.size(), 20u);
  EXPECT_EQ(buys, expected);
}

TEST(DcaBot, shouldNameBadTriggerFields) {
  auto created = BotRegistry::builtin().create(
      R"({"name":"d","symbol":"BTCUSDT","strategy":{"type":"dca","parameters":{
          "base_order_quote":10,"take_profit_pct":1,"interval_minutes":5,
          "trigger":{"indicator":"rsi:0","operator":"sideways","value":30}}}})",
      BotId{1}, resolver());
  ASSERT_FALSE(created.has_value());
  const std::string all = config::format_errors(created.error());
  EXPECT_NE(all.find("strategy.parameters.trigger: give interval_minutes or trigger, not both"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("strategy.parameters.trigger.indicator"), std::string::npos) << all;
  EXPECT_NE(all.find("strategy.parameters.trigger.operator"), std::string::npos) << all;
}

// A schedule in the envelope holds back entries outside its hours, judged on event time; exits
// are never held back.
TEST(BotSchedule, shouldEnterOnlyWithinActiveHoursButExitAnyTime) {
  REQUIRE_BTC_WEEK();
  const char* params = R"("strategy":{"type":"rsi","parameters":{"period":14,"quantity":0.01}})";
  auto always = make(std::string(R"({"name":"a","symbol":"BTCUSDT",)") + params + "}");
  auto office = make(std::string(R"({"name":"o","symbol":"BTCUSDT",
      "schedule":{"active_hours":"09:00-17:00","days":["mon","tue","wed","thu","fri"]},)") +
                     params + "}");
  ASSERT_NE(office, nullptr);
  SimContext all(btcusdt()), hours(btcusdt());
  for (std::size_t i = 0; i < candles->size(); ++i) {
    all.deliver(*always, closed(candles->bars[i]), i);
    hours.deliver(*office, closed(candles->bars[i]), i);
  }
  // Event time of bar i's close: weekday and minute of day, UTC (2021-02-19 was a Friday).
  auto in_hours = [&](std::size_t i) {
    const Nanos close = candles->bars[i].open_time + 60'000'000'000LL;
    const std::int64_t minutes = close / 60'000'000'000LL;
    const std::int64_t day = minutes / 1440;
    const std::int64_t weekday = (day + 3) % 7;  // 1970-01-01 was a Thursday: Monday = 0
    const std::int64_t minute = minutes % 1440;
    return weekday < 5 && minute >= 9 * 60 && minute < 17 * 60;
  };
  std::size_t entries = 0, exits = 0;
  for (const Submitted& s : hours.submitted) {
    if (s.intent.side == Side::kBuy) {
      EXPECT_TRUE(in_hours(s.bar_index)) << "entry at bar " << s.bar_index;
      ++entries;
    } else {
      ++exits;
    }
  }
  EXPECT_GT(entries, 0u);
  EXPECT_LT(entries, all.submitted.size() / 2) << "most of the week is outside office hours";
  bool exit_outside_hours = false;
  for (const Submitted& s : hours.submitted) {
    exit_outside_hours |= s.intent.side == Side::kSell && !in_hours(s.bar_index);
  }
  EXPECT_TRUE(exit_outside_hours) << "exits must not wait for the schedule";
  EXPECT_LE(exits, entries);
}

TEST(BotSchedule, shouldRefuseRecurringTicksAndBadFieldsInTheEnvelopeSchedule) {
  auto created = BotRegistry::builtin().create(
      R"({"name":"x","symbol":"BTCUSDT","schedule":{"every":"15m","active_hours":"25:00-26:00"},
          "strategy":{"type":"rsi","parameters":{"quantity":0.01}}})",
      BotId{1}, resolver());
  ASSERT_FALSE(created.has_value());
  const std::string all = config::format_errors(created.error());
  EXPECT_NE(all.find("schedule.active_hours"), std::string::npos) << all;
  auto ticking = BotRegistry::builtin().create(
      R"({"name":"x","symbol":"BTCUSDT","schedule":{"every":"15m"},
          "strategy":{"type":"rsi","parameters":{"quantity":0.01}}})",
      BotId{1}, resolver());
  ASSERT_FALSE(ticking.has_value());
  EXPECT_EQ(ticking.error()[0].field, "schedule.every");
}

TEST(DcaBot, shouldRefuseSafetyOrdersThatWouldReachZero) {
  auto created = BotRegistry::builtin().create(
      R"({"name":"d","symbol":"BTCUSDT","strategy":{"type":"dca","parameters":{
          "base_order_quote":10,"take_profit_pct":1,
          "safety_orders":{"count":10,"quote":10,"deviation_pct":5,"step_scale":2}}}})",
      BotId{1}, resolver());
  ASSERT_FALSE(created.has_value());
  EXPECT_EQ(created.error()[0].field, "strategy.parameters.safety_orders.deviation_pct");
}

}  // namespace
}  // namespace be::bots::test

namespace be::bots::test {
namespace {

// Every example config in examples/bots must be accepted as documented.
TEST(BotExamples, shouldAllBeValidConfigs) {
  const std::filesystem::path dir = std::filesystem::path(BE_SOURCE_DIR) / "examples" / "bots";
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    const std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto created = BotRegistry::builtin().create(json, BotId{1}, resolver());
    EXPECT_TRUE(created.has_value())
        << entry.path() << ": " << (created ? "" : config::format_errors(created.error()));
    ++checked;
  }
  EXPECT_GE(checked, 9) << "one example per bot type at least";
}

}  // namespace
}  // namespace be::bots::test
