// The signal bots against independent expectations computed in the test from the naive
// indicator twins (tests/strategies/naive_indicators.hpp, which share no code with the
// indicators), and the grid and market maker against prices worked out by hand.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>

#include "feed/candle_file.hpp"
#include "strategies/bots/custom_bot.hpp"
#include "strategies/bots/grid_bot.hpp"
#include "strategies/bots/market_maker_bot.hpp"
#include "strategies/bots/registry.hpp"
#include "strategies/bots/signal_bots.hpp"
#include "tests/bots/bot_test_data.hpp"
#include "tests/bots/sim_context.hpp"
#include "tests/strategies/naive_indicators.hpp"
#include "tests/support/alloc_counter.hpp"

namespace be::bots::test {
namespace {

namespace naive = be::test::naive;

std::string bot_json(const std::string& type, const std::string& params) {
  return R"({"name":"t","symbol":"BTCUSDT","strategy":{"type":")" + type + R"(","parameters":)" +
         params + "}}";
}

// The registry's answer to a bot of `type` with `params` on BTCUSDT: the bot or its errors.
auto create(const std::string& type, const std::string& params) {
  static const InstrumentInfo info = btcusdt();
  return BotRegistry::builtin().create(bot_json(type, params), BotId{1},
                                       [](std::string_view, std::string_view) { return &info; });
}

std::unique_ptr<Bot> make(const std::string& type, const std::string& params) {
  auto created = create(type, params);
  EXPECT_TRUE(created.has_value()) << bot_json(type, params) << "\n"
                                   << (created ? "" : config::format_errors(created.error()));
  return created.has_value() ? std::move(created->bot) : nullptr;
}

SimContext run_week(Bot& bot, const replay::Candles& candles, std::int64_t quote = 0) {
  SimContext ctx(btcusdt());
  ctx.set_quote_balance(quote);
  for (std::size_t i = 0; i < candles.size(); ++i)
    ctx.deliver(bot, closed(candles.bars[i]), i);
  return ctx;
}

using Trades = std::vector<std::pair<std::size_t, Side>>;

// Flat -> enter when entry(i); long -> exit when exit(i). Market orders fill at once.
Trades expected_trades(std::size_t n, const std::function<bool(std::size_t)>& entry,
                       const std::function<bool(std::size_t)>& exit) {
  Trades out;
  bool long_position = false;
  for (std::size_t i = 1; i < n; ++i) {
    if (!long_position && entry(i)) {
      out.emplace_back(i, Side::kBuy);
      long_position = true;
    } else if (long_position && exit(i)) {
      out.emplace_back(i, Side::kSell);
      long_position = false;
    }
  }
  return out;
}

void expect_trades(const SimContext& ctx, const Trades& expected, std::size_t at_least) {
  ASSERT_GE(expected.size(), at_least) << "the week should produce signals";
  ASSERT_EQ(ctx.submitted.size(), expected.size());
  for (std::size_t k = 0; k < expected.size(); ++k) {
    SCOPED_TRACE(k);
    EXPECT_EQ(ctx.submitted[k].bar_index, expected[k].first);
    EXPECT_EQ(ctx.submitted[k].intent.side, expected[k].second);
  }
}

bool up(const naive::Series& a, std::size_t i, double level) {
  return a[i] && a[i - 1] && *a[i - 1] <= level && *a[i] > level;
}
bool down(const naive::Series& a, std::size_t i, double level) {
  return a[i] && a[i - 1] && *a[i - 1] >= level && *a[i] < level;
}
naive::Series difference(const naive::Series& a, const naive::Series& b) {
  naive::Series d(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] && b[i]) d[i] = *a[i] - *b[i];
  }
  return d;
}

// A crossing bot's trades: in when `series` crosses up through `entry`, out when it crosses
// down through `exit`, over the week's `n` candles.
void expect_crossing_trades(const SimContext& ctx, std::size_t n, const naive::Series& series,
                            double entry, double exit, std::size_t at_least) {
  expect_trades(ctx,
                expected_trades(
                    n, [&](std::size_t i) { return up(series, i, entry); },
                    [&](std::size_t i) { return down(series, i, exit); }),
                at_least);
}

// The crossing bots, each against the naive twin of the series it watches.
struct CrossingCase {
  const char* name;
  const char* type;  // registry name (aliases included)
  const char* params;
  naive::Series (*series)(const replay::Candles&);
  double entry;
  double exit;
  std::size_t at_least;  // trades the week must produce
};
const CrossingCase kCrossingCases[] = {
    {"SmaCross", "ma_cross", R"({"ma":"sma","fast":9,"slow":21,"quantity":0.01})",
     [](const replay::Candles& c) {
       return difference(naive::sma(c.close, 9), naive::sma(c.close, 21));
     },
     0, 0, 50},
    {"EmaCross", "MACrossStrategy", R"({"ma":"ema","fast":12,"slow":26,"quote_amount":100})",
     [](const replay::Candles& c) {
       return difference(naive::ema(c.close, 12), naive::ema(c.close, 26));
     },
     0, 0, 50},
    {"RocMomentum", "momentum", R"({"period":10,"entry_pct":0.2,"exit_pct":-0.1,"quantity":0.01})",
     [](const replay::Candles& c) { return naive::roc(c.close, 10); }, 0.2, -0.1, 20},
};

class CrossingBot : public ::testing::TestWithParam<CrossingCase> {};

TEST_P(CrossingBot, shouldTradeTheCrossingsOfItsSeriesOnRealCandles) {
  REQUIRE_BTC_WEEK();
  const CrossingCase& c = GetParam();
  auto bot = make(c.type, c.params);
  const SimContext ctx = run_week(*bot, *candles);
  expect_crossing_trades(ctx, candles->size(), c.series(*candles), c.entry, c.exit, c.at_least);
}

INSTANTIATE_TEST_SUITE_P(SignalBots, CrossingBot, ::testing::ValuesIn(kCrossingCases),
                         [](const ::testing::TestParamInfo<CrossingCase>& param_info) {
                           return std::string(param_info.param.name);
                         });

TEST(MacdBollingerBot, shouldEnterBelowTheMiddleBandAndExitAtTheUpperBand) {
  REQUIRE_BTC_WEEK();
  auto bot = make("macd_bollinger", R"({"bb_period":20,"bb_dev":2.0,"quantity":0.01})");
  const SimContext ctx = run_week(*bot, *candles);
  const auto m = naive::macd(candles->close, 12, 26, 9);
  const auto middle = naive::sma(candles->close, 20);
  const auto sd = naive::stddev(candles->close, 20);
  auto ready = [&](std::size_t i) { return m[2][i] && m[2][i - 1] && middle[i]; };
  expect_trades(ctx,
                expected_trades(
                    candles->size(),
                    [&](std::size_t i) {
                      return ready(i) && up(m[2], i, 0) && candles->close[i] < *middle[i];
                    },
                    [&](std::size_t i) {
                      return ready(i) &&
                             (candles->close[i] > *middle[i] + 2.0 * *sd[i] || down(m[2], i, 0));
                    }),
                20);
}

TEST(CustomBot, shouldComposeTheUsersEntryAndExitMixins) {
  REQUIRE_BTC_WEEK();
  auto bot = make("CustomStrategy", R"({
      "entry_logic":{"name":"RSIBBVolumeEntryMixin","params":{"e_rsi_period":14,
        "e_rsi_oversold":30,"e_bb_period":20,"e_bb_dev":2.0,"e_vol_ma_period":20,
        "e_min_volume_ratio":1.1,"e_use_bb_touch":true}},
      "exit_logic":{"name":"ATRExitMixin","params":{"x_atr_period":14,"x_sl_multiplier":1.5}},
      "position_size":0.1})");
  ASSERT_NE(bot, nullptr);
  const SimContext ctx = run_week(*bot, *candles, 10'000 * kUnit);

  // The expectation, step by step from the naive series.
  const auto rsi = naive::rsi(candles->close, 14);
  const auto middle = naive::sma(candles->close, 20);
  const auto sd = naive::stddev(candles->close, 20);
  const auto volume_ma = naive::sma(candles->volume, 20);
  const auto atr = naive::atr(candles->high, candles->low, candles->close, 14);
  Trades expected;
  bool long_position = false;
  double entry = 0, stop = 0;
  for (std::size_t i = 1; i < candles->size(); ++i) {
    if (!long_position) {
      if (rsi[i] && middle[i] && volume_ma[i] && *rsi[i] < 30 &&
          candles->low[i] <= *middle[i] - 2.0 * *sd[i] &&
          candles->volume[i] >= 1.1 * *volume_ma[i]) {
        expected.emplace_back(i, Side::kBuy);
        long_position = true;
        entry = candles->close[i];
        stop = 0;
      }
    } else {
      if (stop == 0 && atr[i]) stop = entry - 1.5 * *atr[i];
      if (stop != 0 && candles->close[i] <= stop) {
        expected.emplace_back(i, Side::kSell);
        long_position = false;
      }
    }
  }
  expect_trades(ctx, expected, 4);
  // position_size 0.1 of 10,000 USDT: every entry spends 1,000 USDT.
  for (const Submitted& s : ctx.submitted) {
    if (s.intent.side == Side::kBuy) {
      EXPECT_EQ(s.intent.quote_amount, 1'000 * kUnit);
    }
  }
}

TEST(CustomBot, shouldNameBadMixinFieldsWithTheirPaths) {
  auto created = create("CustomStrategy", R"({
      "entry_logic":{"name":"RSIBBVolumeEntryMixin","params":{"e_rsi_period":0}},
      "exit_logic":{"name":"MagicExit"},"position_size":2})");
  ASSERT_FALSE(created.has_value());
  const std::string all = config::format_errors(created.error());
  EXPECT_NE(all.find("strategy.parameters.position_size: must be from"), std::string::npos) << all;
  EXPECT_NE(all.find("strategy.parameters.entry_logic.params.e_rsi_period: must be an integer"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("strategy.parameters.exit_logic.name: must be one of ATRExitMixin"),
            std::string::npos)
      << all;
}

// ---- Grid: levels 50,000 .. 53,000 in 6 steps of 500 around the first close 51,613.38 --------

TEST(GridBot, shouldLadderOrdersAroundTheFirstPriceAsWorkedOutByHand) {
  REQUIRE_BTC_WEEK();
  auto bot = make("grid", R"({"lower":50000,"upper":53000,"grids":6,"quantity_per_grid":0.001})");
  ASSERT_NE(bot, nullptr);
  auto& grid = static_cast<GridBot&>(*bot);
  for (std::uint32_t i = 0; i <= 6; ++i)
    EXPECT_EQ(grid.level(i), (50'000 + 500 * i) * kUnit);

  SimContext ctx(btcusdt());
  ctx.deliver(*bot, closed(candles->bars[0]), 0);  // close 51,613.38
  // Buys below the price at 50,000 .. 51,500; 3 x 0.001 bought at market for the sells above;
  // once that fills, sells at 52,000, 52,500 and 53,000.
  ASSERT_EQ(ctx.submitted.size(), 4u + 1u + 3u);
  for (std::uint32_t i = 0; i < 4; ++i) {
    EXPECT_EQ(ctx.submitted[i].intent.side, Side::kBuy);
    EXPECT_EQ(ctx.submitted[i].intent.price, (50'000 + 500 * i) * kUnit);
    EXPECT_EQ(ctx.submitted[i].intent.quantity, 100'000);
  }
  EXPECT_EQ(ctx.submitted[4].intent.type, OrderType::kMarket);
  EXPECT_EQ(ctx.submitted[4].intent.quantity, 300'000);
  for (std::uint32_t i = 0; i < 3; ++i) {
    EXPECT_EQ(ctx.submitted[5 + i].intent.side, Side::kSell);
    EXPECT_EQ(ctx.submitted[5 + i].intent.price, (52'000 + 500 * i) * kUnit);
  }

  for (std::size_t i = 1; i < candles->size(); ++i)
    ctx.deliver(*bot, closed(candles->bars[i]), i);
  // Every fill after the first bar replaced itself one level over: a buy at L by a sell at
  // L + 500, a sell at L by a buy at L - 500.
  std::int64_t position = 0;
  std::size_t sells = 0;
  for (const BotFill& f : ctx.fills) {
    position += f.side == Side::kBuy ? f.quantity : -f.quantity;
    ASSERT_GE(position, 0) << "a spot grid never sells what it does not hold";
    sells += f.side == Side::kSell;
  }
  EXPECT_GT(grid.round_trips(), 0u);
  EXPECT_EQ(grid.round_trips(), sells);
  EXPECT_TRUE(grid.grid_profit() == static_cast<Wide>(sells) * 500 * kUnit * 100'000);
}

TEST(GridBot, shouldRefuseInvertedBoundsAndSubTickLevels) {
  auto created =
      create("grid", R"({"lower":53000,"upper":50000,"grids":6,"quantity_per_grid":0.001})");
  ASSERT_FALSE(created.has_value());
  EXPECT_EQ(created.error()[0].field, "strategy.parameters.lower");
  auto dense = create("grid", R"({"lower":100,"upper":101,"grids":200,"quantity_per_grid":0.001})");
  ASSERT_FALSE(dense.has_value());
  EXPECT_EQ(dense.error()[0].message, "levels would be closer than one tick");
}

// ---- Market maker ----------------------------------------------------------------------------

TEST(MarketMakerBot, shouldQuoteAroundTheMidWithInventorySkewAsWorkedOutByHand) {
  auto bot = make("market_maker", R"({"spread_bps":20,"skew_bps":10,"requote_bps":5,
                                      "order_size":0.01,"inventory_cap":0.05})");
  ASSERT_NE(bot, nullptr);
  auto& mm = static_cast<MarketMakerBot&>(*bot);
  const std::int64_t mid = 5'161'338'000'000;  // 51,613.38
  // Flat: bid at mid x 0.999 = 51,561.76662 -> 51,561.76; no ask (nothing to sell, spot).
  auto q = mm.quotes_for(mid, 0);
  EXPECT_EQ(q.bid, 5'156'176'000'000);
  EXPECT_EQ(q.ask, 0);
  // Holding 0.02 of a 0.05 cap: skew 10 x 0.4 = 4 bps down on both sides.
  //   bid = mid x (1 - 0.0014) = 51,541.12127... -> 51,541.12
  //   ask = mid x (1 + 0.0006) = 51,644.34802... -> 51,644.35 (rounded up)
  q = mm.quotes_for(mid, 2'000'000);
  EXPECT_EQ(q.bid, 5'154'112'000'000);
  EXPECT_EQ(q.ask, 5'164'435'000'000);
  // At the cap: no more bids.
  q = mm.quotes_for(mid, 5'000'000);
  EXPECT_EQ(q.bid, 0);
  EXPECT_GT(q.ask, 0);
}

TEST(MarketMakerBot, shouldRefuseASkewThatWouldCrossTheMid) {
  auto created = create(
      "market_maker", R"({"spread_bps":10,"skew_bps":6,"order_size":0.01,"inventory_cap":0.005})");
  ASSERT_FALSE(created.has_value());
  const std::vector<config::FieldError> expected = {
      {"strategy.parameters.inventory_cap", "must be at least order_size"},
      {"strategy.parameters.skew_bps",
       "must be at most half of spread_bps, so quotes never cross the mid"}};
  EXPECT_EQ(created.error(), expected) << config::format_errors(created.error());
}

TEST(MarketMakerBot, shouldKeepInventoryWithinItsCapOverAWeek) {
  REQUIRE_BTC_WEEK();
  auto bot = make("market_maker", R"({"spread_bps":10,"skew_bps":5,"requote_bps":2,
                                      "order_size":0.01,"inventory_cap":0.03})");
  const SimContext ctx = run_week(*bot, *candles);
  std::int64_t inventory = 0, most = 0;
  std::size_t buys = 0, sells = 0;
  for (const BotFill& f : ctx.fills) {
    inventory += f.side == Side::kBuy ? f.quantity : -f.quantity;
    most = std::max(most, inventory);
    ASSERT_GE(inventory, 0);
    buys += f.side == Side::kBuy;
    sells += f.side == Side::kSell;
  }
  EXPECT_LE(most, 3'000'000) << "inventory_cap 0.03";
  EXPECT_GT(buys, 100u);
  EXPECT_GT(sells, 100u);
  // Quotes made on a bar are priced off its close; quotes replaced after a fill off the mid
  // the bot last saw, the previous bar's close (fills are handled before the bar itself).
  for (const Submitted& s : ctx.submitted) {
    const std::size_t mid_bar = s.in_reaction_to_fill ? s.bar_index - 1 : s.bar_index;
    const std::int64_t close = candles->bars[mid_bar].close;
    if (s.intent.side == Side::kBuy) {
      EXPECT_LT(s.intent.price, close);
    } else {
      EXPECT_GE(s.intent.price, close) << "at the cap the ask may reach the mid, not cross it";
    }
  }
}

// The schedule becomes timer inputs: at 17:00 the market maker withdraws its quotes on the
// timer itself, not at its next quote, and it quotes nothing until 09:00.
TEST(MarketMakerBot, shouldWithdrawQuotesWhenItsScheduleCloses) {
  REQUIRE_BTC_WEEK();
  const InstrumentInfo info = btcusdt();
  auto created = BotRegistry::builtin().create(
      R"({"name":"t","symbol":"BTCUSDT","schedule":{"active_hours":"09:00-17:00"},
          "strategy":{"type":"market_maker","parameters":{"spread_bps":10,"order_size":0.01,
          "inventory_cap":0.03}}})",
      BotId{1}, [&](std::string_view, std::string_view) { return &info; });
  ASSERT_TRUE(created.has_value()) << config::format_errors(created.error());
  Bot& bot = *created->bot;
  SimContext ctx(btcusdt());
  ctx.start(bot, candles->bars[0].open_time, candles->bars[0].close);  // 00:00 Friday
  // Bars up to index 1018 close by 16:59; then a quiet market: no bar, only event time
  // reaching 17:00. The schedule's own timer must withdraw the quotes.
  for (std::size_t i = 0; i <= 1018; ++i)
    ctx.deliver(bot, closed(candles->bars[i]), i);
  ASSERT_GT(ctx.open_orders(), 0u) << "quoting during the day";
  for (const Submitted& s : ctx.submitted) {
    EXPECT_GE(s.bar_index, 539u) << "no quote before 09:00";
  }
  ctx.advance(bot, candles->bars[1019].open_time + 60'000'000'000LL);  // 17:00:00
  EXPECT_EQ(ctx.open_orders(), 0u) << "every quote withdrawn at 17:00 sharp";
}

// Every bot type keeps its decisions across a snapshot restore.
TEST(AllBots, shouldContinueIdenticallyAfterASnapshotRestore) {
  REQUIRE_BTC_WEEK();
  const std::vector<std::pair<std::string, std::string>> configs = {
      {"ma_cross", R"({"ma":"ema","fast":5,"slow":20,"quantity":0.01})"},
      {"momentum", R"({"period":10,"quantity":0.01})"},
      {"macd_bollinger", R"({"quantity":0.01})"},
      {"custom", R"({"entry_logic":{"name":"RSIEntryMixin"},
                     "exit_logic":{"name":"ATRExitMixin","params":{"x_trailing":true}},
                     "quantity":0.01})"},
      {"grid", R"({"lower":45000,"upper":58000,"grids":26,"quantity_per_grid":0.001})"},
      {"market_maker", R"({"spread_bps":10,"order_size":0.01,"inventory_cap":0.03})"},
  };
  for (const auto& [type, params] : configs) {
    SCOPED_TRACE(type);
    auto original = make(type, params);
    auto restored = make(type, params);
    ASSERT_NE(original, nullptr);
    SimContext a(btcusdt());
    a.set_quote_balance(1'000 * kUnit);
    const std::size_t half = candles->size() / 2;
    for (std::size_t i = 0; i < half; ++i)
      a.deliver(*original, closed(candles->bars[i]), i);
    std::vector<std::byte> snapshot;
    original->save(snapshot);
    ASSERT_TRUE(restored->load(snapshot));
    EXPECT_EQ(original->state_hash(), restored->state_hash());
    ASSERT_NO_FATAL_FAILURE(expect_identical_continuation(*original, *restored, a, *candles, half));
  }
}

}  // namespace
}  // namespace be::bots::test

namespace be::bots::test {
namespace {

// A context that only counts: the bots' handlers must not allocate after start.
class CountingContext final : public BotContext {
 public:
  Nanos now() const noexcept override { return now_; }
  void submit(const OrderIntent& intent) noexcept override {
    ++submitted;
    position_ += intent.side == Side::kBuy ? (intent.quantity > 0 ? intent.quantity : 1000) : 0;
  }
  void cancel(InstrumentId, std::uint32_t) noexcept override {}
  void set_timer(std::uint32_t, Nanos) noexcept override {}
  const InstrumentInfo* instrument(InstrumentId) const noexcept override { return &info_; }
  std::int64_t position(InstrumentId) const noexcept override { return position_; }
  bool tradable(InstrumentId) const noexcept override { return true; }
  std::int64_t available_quote(InstrumentId) const noexcept override { return 1000 * kUnit; }
  std::uint64_t submitted = 0;

 private:
  InstrumentInfo info_ = btcusdt();
  Nanos now_ = 0;
  std::int64_t position_ = 0;
};

TEST(AllBots, shouldNotAllocateWhileHandlingBars) {
  if (!be::test::allocation_counting_available()) GTEST_SKIP() << "sanitizer owns malloc";
  REQUIRE_BTC_WEEK();
  for (const auto& [type, params] : std::vector<std::pair<std::string, std::string>>{
           {"rsi", R"({"quantity":0.01})"},
           {"ma_cross", R"({"quantity":0.01})"},
           {"momentum", R"({"quantity":0.01})"},
           {"macd_bollinger", R"({"quantity":0.01})"},
           {"custom", R"({"entry_logic":{"name":"RSIBBVolumeEntryMixin"},
                          "exit_logic":{"name":"ATRExitMixin"},"position_size":0.1})"},
           {"grid", R"({"lower":45000,"upper":58000,"grids":26,"quantity_per_grid":0.001})"},
           {"market_maker", R"({"spread_bps":10,"order_size":0.01,"inventory_cap":0.03})"},
           {"dca", R"({"base_order_quote":10,"take_profit_pct":1})"}}) {
    SCOPED_TRACE(type);
    auto bot = make(type, params);
    CountingContext ctx;
    bot->on_start(ctx);
    for (std::size_t i = 0; i < 100; ++i)
      bot->on_bar(closed(candles->bars[i]), ctx);
    const auto before = be::test::allocation_count();
    for (std::size_t i = 100; i < candles->size(); ++i)
      bot->on_bar(closed(candles->bars[i]), ctx);
    EXPECT_EQ(be::test::allocation_count() - before, 0u);
  }
}

}  // namespace
}  // namespace be::bots::test
