// What every bot test shares: the BTCUSDT instrument as Binance defines it, the real
// one-minute week from ../shared/data (loaded once), and closed 1m bars.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "feed/candle_file.hpp"
#include "strategies/bots/bot.hpp"

namespace be::bots::test {

inline constexpr std::int64_t kUnit = 100'000'000;  // 1.0 at scale 8

// Products of two scaled values (price x quantity at scale 8) overflow int64.
__extension__ typedef __int128 Wide;

inline InstrumentInfo btcusdt() {
  InstrumentInfo info;
  info.id = InstrumentId{0};
  info.price_scale = 8;
  info.qty_scale = 8;
  info.tick_size = 1'000'000;  // 0.01 USDT
  info.step_size = 1'000;      // 0.00001 BTC
  return info;
}

// nullptr when ../shared/data is absent.
inline const replay::Candles* btc_week() {
  static const replay::Candles* candles = []() -> const replay::Candles* {
    const char* dir = std::getenv("BE_SHARED_DATA");
    if (dir == nullptr) return nullptr;
    const std::string path = std::string(dir) + "/candles-1m/BTCUSDT_2021-02-19_1week_1m.json";
    if (!std::filesystem::exists(path)) return nullptr;
    auto loaded = replay::load_candles(path);
    return loaded.has_value() ? new replay::Candles(std::move(*loaded)) : nullptr;
  }();
  return candles;
}

inline Bar closed(Bar b) {
  b.closed = 1;
  b.interval_seconds = 60;
  return b;
}

}  // namespace be::bots::test

#define REQUIRE_BTC_WEEK()                                                                  \
  const ::be::replay::Candles* candles = ::be::bots::test::btc_week();                      \
  if (candles == nullptr) {                                                                 \
    GTEST_SKIP() << "../shared/data/candles-1m/BTCUSDT_2021-02-19_1week_1m.json is absent"; \
  }
