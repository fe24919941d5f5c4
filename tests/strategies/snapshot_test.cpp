// Snapshots (STYLE.md #7): save mid-stream, restore into a fresh indicator, and both must
// carry on identically (same outputs, same state_hash); bad buffers are refused whole.
#include <gtest/gtest.h>

#include <cstddef>
#include <random>
#include <vector>

#include "strategies/indicators/indicator.hpp"

namespace {

using be::ta::AnyIndicator;
using be::ta::StateError;

be::Bar bar_at(std::size_t i, std::mt19937_64& rng) {
  std::uniform_int_distribution<std::int64_t> move(-5'000'000'000, 5'000'000'000);
  static std::int64_t close = 5'000'000'000'000;  // 50,000 at scale 8
  close += move(rng);
  be::Bar b;
  b.open_time = static_cast<be::Nanos>(i) * 60'000'000'000;
  b.open = close;
  b.high = close + 1'000'000'000;
  b.low = close - 2'000'000'000;
  b.close = close;
  b.volume = static_cast<std::int64_t>(i % 7) * 100'000'000;
  return b;
}

const char* const kSpecs[] = {"sma:9",       "ema:21",      "rsi:14",  "macd:12:26:9",
                              "bbands:20:2", "atr:14",      "roc:10",  "mom:10",
                              "vsma:20",     "stoch:5:3:3", "vwap:30", "vwap:0"};

AnyIndicator make(const char* spec) {
  auto parsed = be::ta::parse_indicator_spec(spec);
  EXPECT_TRUE(parsed) << spec;
  return AnyIndicator(*parsed);
}

TEST(IndicatorSnapshot, shouldContinueIdenticallyAfterRestore) {
  for (const char* spec : kSpecs) {
    for (std::size_t cut : {0u, 3u, 40u, 500u}) {
      std::mt19937_64 rng(7);
      AnyIndicator live = make(spec);
      std::vector<be::Bar> bars;
      for (std::size_t i = 0; i < 1000; ++i)
        bars.push_back(bar_at(i, rng));
      for (std::size_t i = 0; i < cut; ++i)
        (void)live.update(bars[i], 8, 8);

      std::vector<std::byte> state(live.state_size());
      ASSERT_EQ(live.save(state), state.size()) << spec;
      AnyIndicator restored = make(spec);
      ASSERT_EQ(restored.restore(state), StateError::kNone) << spec;
      ASSERT_EQ(restored.state_hash(), live.state_hash()) << spec << " cut " << cut;

      for (std::size_t i = cut; i < bars.size(); ++i) {
        ASSERT_EQ(live.update(bars[i], 8, 8), restored.update(bars[i], 8, 8));
        ASSERT_EQ(live.ready(), restored.ready());
        for (std::size_t o = 0; o < live.output_count(); ++o) {
          ASSERT_EQ(live.output(o), restored.output(o)) << spec << " bar " << i;
        }
      }
      EXPECT_EQ(restored.state_hash(), live.state_hash()) << spec;
    }
  }
}

TEST(IndicatorSnapshot, shouldChangeHashWhenStateChangesAndResetToFreshHash) {
  std::mt19937_64 rng(11);
  for (const char* spec : kSpecs) {
    AnyIndicator a = make(spec);
    const auto fresh = a.state_hash();
    (void)a.update(bar_at(0, rng), 8, 8);
    EXPECT_NE(a.state_hash(), fresh) << spec;
    a.reset();
    EXPECT_EQ(a.state_hash(), fresh) << spec;
  }
}

TEST(IndicatorSnapshot, shouldRefuseStateOfOtherIndicatorOrParameters) {
  AnyIndicator rsi14 = make("rsi:14");
  std::vector<std::byte> state(rsi14.state_size());
  ASSERT_EQ(rsi14.save(state), state.size());

  AnyIndicator rsi9 = make("rsi:9");
  const auto before = rsi9.state_hash();
  EXPECT_EQ(rsi9.restore(state), StateError::kParameterMismatch);
  EXPECT_EQ(rsi9.state_hash(), before) << "a refused restore must leave the indicator alone";

  AnyIndicator ema14 = make("ema:14");
  EXPECT_EQ(ema14.restore(state), StateError::kWrongKind);
}

TEST(IndicatorSnapshot, shouldRefuseTruncatedPaddedOrCorruptState) {
  AnyIndicator sma = make("sma:5");
  std::mt19937_64 rng(3);
  for (std::size_t i = 0; i < 7; ++i)
    (void)sma.update(bar_at(i, rng), 8, 8);
  std::vector<std::byte> state(sma.state_size());
  ASSERT_EQ(sma.save(state), state.size());
  const auto hash = sma.state_hash();

  AnyIndicator target = make("sma:5");
  for (std::size_t len = 0; len < state.size(); ++len) {
    EXPECT_EQ(target.restore(std::span(state).first(len)), StateError::kTooShort)
        << "length " << len;
  }
  std::vector<std::byte> padded = state;
  padded.push_back(std::byte{0});
  EXPECT_EQ(target.restore(padded), StateError::kTrailingBytes);

  // Ring head beyond capacity: kind(2) version(2) period(4) then the ring's head (4).
  std::vector<std::byte> corrupt = state;
  ASSERT_GT(corrupt.size(), 8u);
  corrupt.at(8) = std::byte{0xFF};
  EXPECT_EQ(target.restore(corrupt), StateError::kCorrupt);

  std::vector<std::byte> small(state.size() - 1);
  EXPECT_EQ(sma.save(small), 0u) << "save must refuse a buffer that is too small";
  EXPECT_EQ(target.restore(state), StateError::kNone);
  EXPECT_EQ(target.state_hash(), hash);
}

}  // namespace
