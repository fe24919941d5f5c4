#include "bench/harness/wire_gen.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "bench/harness/injector.hpp"
#include "bench/harness/parser_pipeline.hpp"
#include "feed/binance.hpp"
#include "feed/symbol_table.hpp"
#include "tests/support/alloc_counter.hpp"

namespace be::bench {
namespace {

constexpr Nanos kT0 = 1'704'067'200'000'000'000;

TEST(WireGenerator, shouldProduceFramesTheRealBinanceParserAccepts) {
  WireGenConfig cfg;
  cfg.symbols = {"BTCUSDT", "ETHUSDT"};
  WireGenerator gen(cfg);
  feed::SymbolTable symbols;
  for (const auto& s : cfg.symbols)
    symbols.add(s, {8, 8});
  feed::BinanceParser parser(VenueId{1}, symbols);
  std::string frame;
  std::size_t trades = 0, quotes = 0;
  for (int i = 0; i < 10'000; ++i) {
    const FrameKind k = gen.next(kT0 + Nanos{i} * 1'000'000, frame);
    std::size_t events = 0;
    const auto r = parser.parse(frame, kT0, [&](const Event&) { ++events; });
    ASSERT_TRUE(r.ok()) << frame;
    ASSERT_GE(events, 1u) << frame;
    (k == FrameKind::kTrade ? trades : quotes)++;
  }
  EXPECT_EQ(trades, 5'000u);
  EXPECT_EQ(quotes, 5'000u);
}

TEST(WireGenerator, shouldWriteBinanceTradeAndBookTickerFieldsExactly) {
  WireGenerator gen(WireGenConfig{});
  std::string frame;
  gen.next(kT0 + 5'000'000, frame);
  EXPECT_TRUE(frame.starts_with(
      R"({"stream":"btcusdt@trade","data":{"e":"trade","E":1704067200005,"s":"BTCUSDT","t":1,"p":")"))
      << frame;
  EXPECT_NE(frame.find(R"(,"T":1704067200005,"m":)"), std::string::npos) << frame;
  gen.next(kT0, frame);
  EXPECT_TRUE(
      frame.starts_with(R"({"stream":"btcusdt@bookTicker","data":{"u":1,"s":"BTCUSDT","b":")"))
      << frame;
}

TEST(WireGenerator, shouldRepeatTheSameBytesForTheSameSeed) {
  WireGenerator a(WireGenConfig{.seed = 42}), b(WireGenConfig{.seed = 42}),
      c(WireGenConfig{.seed = 43});
  std::string fa, fb, fc;
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    a.next(kT0 + i, fa);
    b.next(kT0 + i, fb);
    c.next(kT0 + i, fc);
    ASSERT_EQ(fa, fb);
    differs |= fa != fc;
  }
  EXPECT_TRUE(differs);
}

TEST(WireGenerator, shouldSwingThePriceAroundMidSoGridAndDcaBotsTrade) {
  WireGenConfig cfg;
  WireGenerator gen(cfg);
  std::int64_t lo = cfg.mid, hi = cfg.mid;
  for (std::uint64_t i = 0; i < cfg.period; ++i) {
    lo = std::min(lo, gen.price_at(i));
    hi = std::max(hi, gen.price_at(i));
    ASSERT_EQ(gen.price_at(i) % cfg.tick, 0);
  }
  const std::int64_t swing = cfg.mid / 10'000 * cfg.swing_bp;
  EXPECT_NEAR(static_cast<double>(hi - cfg.mid), static_cast<double>(swing),
              static_cast<double>(cfg.tick));
  EXPECT_NEAR(static_cast<double>(cfg.mid - lo), static_cast<double>(swing),
              static_cast<double>(cfg.tick));
}

TEST(WireGenerator, shouldNotAllocatePerFrameOnceWarm) {
  if (!test::allocation_counting_available())
    GTEST_SKIP() << "allocation counting is off (sanitizer build)";
  WireGenerator gen(WireGenConfig{});
  std::string frame;
  frame.reserve(512);
  const std::uint64_t before = test::allocation_count();
  for (int i = 0; i < 10'000; ++i)
    gen.next(kT0 + i, frame);
  EXPECT_EQ(test::allocation_count(), before);
}

TEST(ParserPipeline, shouldRecordTheParseStageForEveryMeasuredFrame) {
  LatencyRecorder rec(parser_pipeline_stages());
  WireGenConfig cfg;
  auto pipeline = make_parser_pipeline(rec, cfg.symbols);
  WireGenerator gen(cfg);
  std::string frame;
  for (int i = 0; i < 100; ++i) {
    gen.next(kT0 + i, frame);
    pipeline->offer(frame, kT0 + i, monotonic_now());
  }
  pipeline->offer("{\"not\":\"binance\"}", kT0, monotonic_now());
  EXPECT_EQ(rec.series(0).count(), 101u);
  EXPECT_EQ(pipeline->rejected(), 1u);
}

}  // namespace
}  // namespace be::bench
