// The records of risk state: what the fold (risk/fold.cpp) updates from fills, marks, orders
// and operator inputs, what the checks (risk/checks.hpp) read, and what the snapshot
// (risk/snapshot.cpp) hashes and writes. RiskEngine keeps them in tables sized at
// construction; they are not part of risk's public API.
//
// Every record is trivially copyable with no padding (asserted below): state_hash() and the
// snapshot take them as raw bytes, so their field order and sizes ARE the snapshot format.
// Changing a record changes every StateHash a journal holds: bump kSnapshotVersion then.
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "core/event.hpp"
#include "core/position.hpp"
#include "risk/types.hpp"

namespace be::risk::state {

struct Instrument {
  std::int64_t tick_size;
  std::int64_t step_size;
  std::int64_t min_notional;
  std::int64_t qty_unit;         // 10^qty_scale
  std::int64_t reference;        // last trade or mid, whichever came last; 0 = none
  std::int64_t last_fill_price;  // valuation fallback before any market data
  std::uint16_t base;
  std::uint16_t quote;
  std::uint8_t defined;
  std::uint8_t reserved[3];

  // The price positions are valued at: the reference, or the last fill before any market data.
  std::int64_t valuation() const noexcept { return reference != 0 ? reference : last_fill_price; }
};

// A token bucket of `count` tokens per `window` ns of event time, kept in units of
// 1/window token: refill is elapsed_ns x count and one order or cancel costs `window`.
struct Bucket {
  std::int64_t tokens;
  Nanos last;
  std::uint8_t primed;  // full on first use
  std::uint8_t reserved[7];

  // The content at `t`: full before first use, refilled up to count x window; time going
  // backwards refills nothing. Path-independent (tokens only grow until the cap), so
  // computing it without storing changes nothing.
  std::int64_t refilled(std::uint32_t count, std::int64_t window, Nanos t) const noexcept {
    const Wide cap = static_cast<Wide>(count) * window;
    if (!primed) return static_cast<std::int64_t>(cap);
    if (t <= last) return tokens;
    const Wide sum = static_cast<Wide>(tokens) + static_cast<Wide>(t - last) * count;
    return static_cast<std::int64_t>(sum > cap ? cap : sum);
  }
  // Takes one token from `tokens_at_t` (what refilled() gave at t); nothing when off.
  void spend(std::uint32_t count, std::int64_t window, std::int64_t tokens_at_t, Nanos t) noexcept {
    if (count == 0 || window == 0) return;
    tokens = tokens_at_t - window;
    last = primed ? std::max(last, t) : t;
    primed = 1;
  }
};

struct Scoped {      // the state every scope with limits keeps
  std::int64_t pnl;  // sum of per-instrument (realized + unrealized), fees excluded
  std::int64_t fees;
  std::int64_t peak_equity;
  std::int64_t day_start_equity;
  Bucket orders;
  Bucket cancels;
  std::uint32_t open_orders;
  std::uint32_t daily_trades;
  std::uint8_t killed;
  std::uint8_t configured;
  std::uint8_t reserved[6];
  std::int64_t equity() const noexcept { return pnl - fees; }
};

struct Bot {
  Scoped s;
  BotConfig config;
  std::uint32_t account;
  std::uint32_t error_streak;
  std::uint8_t circuit_open;
  std::uint8_t reserved[7];
};

struct Account {
  Scoped s;
  AccountConfig config;
};

struct BotInstrument {
  std::int64_t contribution;  // (realized + unrealized) at the valuation price, price scale
  std::int64_t best_price;    // trailing stop: best mark since the position opened
  std::int64_t open_buy;      // resting quantity
  std::int64_t open_sell;
  std::uint8_t exit_pending;  // an exit fired; cleared when the position changes
  std::uint8_t reserved[7];
};

struct AccountInstrument {
  std::int64_t position;
  std::int64_t open_buy;
  std::int64_t open_sell;
  std::int64_t reserved_quote;  // open_buy_notional at price scale, rounded up
  Wide open_buy_notional;       // exact, scale p+q: the quote reserved by resting buys
};

struct ErrorBucket {
  std::int64_t minute;  // which minute this bucket holds; counts are stale otherwise
  std::uint32_t counts[kErrorKindCount];
};

static_assert(std::has_unique_object_representations_v<Instrument>);
static_assert(std::has_unique_object_representations_v<Bot>);
static_assert(std::has_unique_object_representations_v<Account>);
static_assert(std::has_unique_object_representations_v<BotInstrument>);
static_assert(std::has_unique_object_representations_v<AccountInstrument>);
static_assert(std::has_unique_object_representations_v<ErrorBucket>);

// ---- Arithmetic the checks and the fold share ----------------------------------------------

constexpr Wide abs_wide(Wide v) noexcept {
  return v < 0 ? -v : v;
}
constexpr std::int64_t abs64(std::int64_t v) noexcept {
  return v < 0 ? -v : v;
}

// Reported figures only: comparisons are made on the exact 128-bit values.
constexpr std::int64_t clamp64(Wide v) noexcept {
  constexpr Wide kMax = INT64_MAX;
  constexpr Wide kMin = INT64_MIN;
  return static_cast<std::int64_t>(v > kMax ? kMax : (v < kMin ? kMin : v));
}

constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

constexpr Wide ceil_div(Wide a, Wide b) noexcept {  // a >= 0, b > 0
  return (a + b - 1) / b;
}

}  // namespace be::risk::state
