// Binance spot stream frames for the end-to-end harness, generated from a seed: trade and
// bookTicker events in the venue's exact wire format (the combined-stream framing
// {"stream":"btcusdt@trade","data":{...}} that /stream?streams= delivers, prices and
// quantities as 8-decimal strings via sim/'s append_fixed8, event times in Unix ms).
//
// Price path: a sine swing of +-`swing_bp` basis points around `mid` with a period of
// `period` messages, plus seeded noise of a few ticks. The swing is what makes the demo bots
// trade: a grid crosses its levels every half period, a DCA bot sees its dips, a signal bot
// sees RSI go both ways; noise keeps the book from being a pure function of the index.
// Trade ids and bookTicker update ids only increase, so no frame is a duplicate however long
// the run.
//
// Thread-safety: none; one generator per injecting thread. Allocation: next() appends to a
// caller-owned string that keeps its capacity, so none once the string has grown (~200 B).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/ids.hpp"

namespace be::bench {

struct WireGenConfig {
  std::vector<std::string> symbols = {"BTCUSDT"};  // upper case, as Binance prints "s"
  std::uint64_t seed = 1;
  std::int64_t mid = 50'000'00000000;  // fixed point, scale 8
  std::int64_t tick = 1'000'000;       // 0.01
  std::int64_t swing_bp = 200;         // +-2 %
  std::uint64_t period = 20'000;       // messages per full swing
  std::uint32_t trades_per_quote = 1;  // trades between bookTicker updates
};

enum class FrameKind : std::uint8_t { kTrade, kBookTicker };

class WireGenerator {
 public:
  explicit WireGenerator(WireGenConfig config);

  // Clears `out` and writes the next frame into it, stamped with `event_time` (Unix ns;
  // Binance's ms precision). Deterministic: same config and call sequence -> same bytes.
  FrameKind next(Nanos event_time, std::string& out);

  // The fixed-point trade price the path gives message `i` (tests and docs).
  std::int64_t price_at(std::uint64_t i) const noexcept;
  std::uint64_t produced() const noexcept { return index_; }

 private:
  WireGenConfig config_;
  std::vector<std::string> streams_trade_, streams_ticker_;
  std::vector<std::int64_t> swing_;  // one period of the sine, in ticks, precomputed
  std::mt19937_64 rng_;
  std::uint64_t index_ = 0;
  std::uint64_t trade_id_ = 0;
  std::uint64_t update_id_ = 0;
};

}  // namespace be::bench
