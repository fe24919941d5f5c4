// The vocabulary of pre-trade risk: reject reasons and scopes (stable numbering: they are
// journaled), the RiskReject record, limits and per-bot / per-account configuration.
// docs/RISK.md is the reference for every limit's unit and scope.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "core/codes.hpp"
#include "core/event.hpp"
#include "core/ids.hpp"

namespace be::risk {

// Accounts and assets are core ids (core/ids.hpp); risk names them without the prefix.
using be::AccountId;
using be::AssetId;

// RiskReject.reason is journaled: its numbering and names are core/codes.hpp's.
using RejectReason = be::RiskRejectReason;
using be::kRejectReasonCount;
using be::to_string;

enum class Scope : std::uint8_t { kNone = 0, kBot = 1, kAccount = 2, kGlobal = 3 };
inline constexpr std::size_t kScopeCount = 4;

std::string_view to_string(Scope scope) noexcept;

// The outcome of one check; reason kNone means accepted. Becomes an event payload (a derived
// output), hence trivially copyable, no padding, and well under the 96-byte payload.
//
//   0        1       2          4           8          12            16
//   +--------+-------+----------+-----------+----------+-------------+
//   | reason | scope | reserved | scope_id  | bot      | instrument  |
//   +--------+-------+----------+-----------+----------+-------------+
//   | limit (int64)             | observed (int64)                    |  16..32
//   +---------------------------+-------------------------------------+
//   | cause (sequence, uint64)  | event_time (ns, int64)              |  32..48
//   +---------------------------+-------------------------------------+
// limit and observed are in the limit's unit (docs/RISK.md): quote at price scale, base at
// qty scale, a count, or basis points.
struct RiskReject {
  static constexpr EventType kType = EventType::kRiskReject;
  static constexpr std::uint16_t kVersion = 1;

  RejectReason reason = RejectReason::kNone;
  Scope scope = Scope::kNone;
  std::uint16_t reserved = 0;
  std::uint32_t scope_id = 0;  // the bot or account id; 0 for global
  BotId bot = kNoBot;
  InstrumentId instrument = kNoInstrument;
  std::int64_t limit = 0;
  std::int64_t observed = 0;
  SequenceNumber cause = 0;  // the intent's cause
  Nanos event_time = 0;

  bool accepted() const noexcept { return reason == RejectReason::kNone; }
};
static_assert(std::is_trivially_copyable_v<RiskReject>);
static_assert(std::has_unique_object_representations_v<RiskReject>);
static_assert(sizeof(RiskReject) == 48 && sizeof(RiskReject) <= 96);
static_assert(EventPayload<RiskReject>);

// Limits shared by the bot and the account scope. Zero means "no limit" everywhere.
// Units: *_quantity in base units at the instrument's qty scale (applied per instrument);
// *_notional, *_loss, *_drawdown in quote units at price scale; counts are counts.
struct Limits {
  std::int64_t max_order_quantity = 0;
  std::int64_t max_order_notional = 0;
  std::int64_t max_position_quantity = 0;  // |net position| per instrument, open orders included
  std::int64_t max_position_notional = 0;  // the same at the reference price
  std::int64_t max_daily_loss = 0;         // equity lost since 00:00 UTC (event time)
  std::int64_t max_drawdown = 0;           // equity below its all-time peak
  std::int64_t order_rate_window_ns = 0;   // token bucket: order_rate_count per window
  std::int64_t cancel_rate_window_ns = 0;
  std::uint32_t max_open_orders = 0;
  std::uint32_t max_daily_trades = 0;  // accepted non-reduce-only intents since 00:00 UTC
  std::uint32_t order_rate_count = 0;  // bucket capacity and refill per window
  std::uint32_t cancel_rate_count = 0;
  std::uint32_t price_band_bps = 0;  // |price - reference| / reference, basis points
  std::uint32_t reserved = 0;
};
static_assert(std::has_unique_object_representations_v<Limits>);

// Position protection, per bot, relative to the average entry price; basis points.
struct Protection {
  std::uint32_t stop_loss_bps = 0;
  std::uint32_t take_profit_bps = 0;
  std::uint32_t trailing_stop_bps = 0;  // below the best price since entry (above, short)
  std::uint32_t reserved = 0;
};
static_assert(std::has_unique_object_representations_v<Protection>);

struct BotConfig {
  Limits limits;
  Protection protection;
  std::uint32_t max_consecutive_errors = 0;  // circuit breaker threshold; 0 = never opens
  std::uint32_t reserved = 0;
};
static_assert(std::has_unique_object_representations_v<BotConfig>);

struct AccountConfig {
  Limits limits;
  std::uint8_t check_balance = 0;  // 1: spot balance check (buys need quote, sells base)
  std::uint8_t reserved[7] = {};
};
static_assert(std::has_unique_object_representations_v<AccountConfig>);

// Errors tracked per bot for the circuit breaker and the health report.
enum class ErrorKind : std::uint8_t { kVenueReject = 0, kTimeout = 1, kDisconnect = 2, kOther = 3 };
inline constexpr int kErrorKindCount = 4;

// Tags of protection exits (OrderIntent::tag): which rule fired. Bots use small tags.
inline constexpr std::uint32_t kTagStopLoss = 0xFFFF'FF01u;
inline constexpr std::uint32_t kTagTakeProfit = 0xFFFF'FF02u;
inline constexpr std::uint32_t kTagTrailingStop = 0xFFFF'FF03u;

}  // namespace be::risk
