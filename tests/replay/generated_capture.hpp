// A synthetic Binance capture for the replay tests (capture replay, backtests, sweeps): the
// text a cryptofeed recording of a combined stream holds, with prices that cross resting
// orders both ways.
#pragma once

#include <cstdio>
#include <sstream>
#include <string>

#include "core/ids.hpp"

namespace be::test {

inline constexpr Nanos kStart = 1'700'000'000'000'000'000;  // ns since the epoch

inline std::string seconds_text(Nanos t) {
  char b[40];
  std::snprintf(b, sizeof b, "%lld.%09lld", static_cast<long long>(t / 1'000'000'000),
                static_cast<long long>(t % 1'000'000'000));
  return b;
}

// A Binance combined-stream capture in cryptofeed's text format: a connect, then every 100 ms
// a bookTicker and a trade for BTCUSDT between 49,750 and 50,250: the price jumps by 50 (10 bps)
// every second, up for 10 s then down for 10 s, so that a market maker quoting 5 bps either
// side of the mid gets crossed both ways.
inline std::string generated_binance_capture(int steps) {
  std::ostringstream out;
  out << "wss://stream.binance.com:9443/stream?streams=btcusdt@trade/btcusdt@bookTicker <-> "
      << seconds_text(kStart) << "\n";
  for (int i = 0; i < steps; ++i) {
    const Nanos t = kStart + 50'000'000 + Nanos{i} * 100'000'000;
    const int phase = (i / 10) % 20;
    const int offset = phase < 10 ? phase - 5 : 15 - phase;  // -5 .. 5
    const long cents = 5'000'000 + offset * 5'000;           // 49,750.00 .. 50,250.00
    char mid[32], bid[32], ask[32];
    std::snprintf(mid, sizeof mid, "%ld.%02ld", cents / 100, cents % 100);
    std::snprintf(bid, sizeof bid, "%ld.%02ld", (cents - 1) / 100, (cents - 1) % 100);
    std::snprintf(ask, sizeof ask, "%ld.%02ld", (cents + 1) / 100, (cents + 1) % 100);
    // The trade prints at the new price before the quote moves: what crosses resting orders.
    out << seconds_text(t)
        << ": {\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":" << t / 1'000'000
        << ",\"s\":\"BTCUSDT\",\"t\":" << 5000 + i << ",\"p\":\"" << mid
        << "\",\"q\":\"0.25\",\"T\":" << t / 1'000'000
        << ",\"m\":" << (i % 2 == 0 ? "true" : "false") << ",\"M\":true}}\n";
    out << seconds_text(t + 1'000'000)
        << ": {\"stream\":\"btcusdt@bookTicker\",\"data\":{\"u\":" << 1000 + i
        << ",\"s\":\"BTCUSDT\",\"b\":\"" << bid << "\",\"B\":\"1.5\",\"a\":\"" << ask
        << "\",\"A\":\"2.0\"}}\n";
  }
  return out.str();
}

}  // namespace be::test
