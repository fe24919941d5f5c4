// What the strategy stage keeps per instrument and per bot, and the BotContext its bots act
// through: private to strategies/stage/ (the stage's .cpp files share it; nothing else may
// include it).
//
// The stage is one class split by job across files:
//   strategy_stage.cpp  construction, the input dispatch, queries and the read model
//   market_data.cpp     instruments, bars (and the conditions they feed), trades, quotes
//   bot_runtime.cpp     the BotContext, order updates into the bots' books, bot timers
//   bot_commands.cpp    operator commands: a bot's lifecycle and its condition subscriptions
//   snapshot.cpp        state hash, snapshot and restore
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "core/fixed_point.hpp"
#include "strategies/stage/strategy_stage.hpp"

namespace be::stage {

// The quote value of a fill, price x quantity at price scale, truncated toward zero.
inline std::int64_t notional(std::int64_t price, std::int64_t quantity, int qty_scale) noexcept {
  __extension__ using Wide = __int128;
  return static_cast<std::int64_t>(static_cast<Wide>(price) * quantity /
                                   static_cast<Wide>(pow10(qty_scale)));
}

// One open order as the bot sees it: enough to turn venue updates into BotFill and
// BotOrderUpdate (the order manager keeps the authoritative record).
struct TrackedOrder {
  SequenceNumber client_sequence = 0;
  InstrumentId instrument = kNoInstrument;
  std::uint32_t tag = 0;
  Side side = Side::kNone;
  std::uint8_t reserved[3] = {};
  std::int64_t price = 0;
  std::int64_t quantity = 0;  // 0 for a quote-amount market buy until fills say
  std::int64_t filled = 0;
};

struct TimerSlot {
  std::uint32_t id = 0;
  std::uint32_t armed = 0;
  Nanos deadline = 0;
};

struct StrategyStage::BotSlot {
  bots::BotConfig config;
  std::string config_json;
  std::unique_ptr<bots::Bot> bot;
  UserId owner{};
  BotState state = BotState::kStopped;
  BotStatusReason reason = BotStatusReason::kOperator;
  InstrumentId instrument = kNoInstrument;
  Nanos heartbeat = 0;
  std::uint64_t inputs = 0;
  std::int64_t position = 0;
  std::int64_t open_buy_quote = 0;  // reserved by open limit buys, price scale
  std::uint64_t fills = 0;
  std::uint64_t suppressed = 0;
  std::vector<TrackedOrder> orders;  // open, in submission order; capacity reserved
  std::vector<TimerSlot> timers;     // capacity reserved
  std::vector<cond::SubscriptionId> subscriptions;

  // A stopped bot, or one in error, gets no callbacks; a paused one still does (its
  // indicators stay warm, what it submits is held back).
  bool receives_callbacks() const noexcept {
    return state != BotState::kStopped && state != BotState::kError;
  }
  bool active() const noexcept { return state == BotState::kRunning || state == BotState::kPaused; }
};

struct StrategyStage::Instrument {
  bool defined = false;
  bots::InstrumentInfo info;
  std::string symbol;
  VenueId venue{};
  AssetId base{};
  AssetId quote{};
  std::array<BarAggregator, kStandardIntervals.size()> bars{
      BarAggregator(InstrumentId{}, kStandardIntervals[0]),
      BarAggregator(InstrumentId{}, kStandardIntervals[1]),
      BarAggregator(InstrumentId{}, kStandardIntervals[2]),
      BarAggregator(InstrumentId{}, kStandardIntervals[3]),
      BarAggregator(InstrumentId{}, kStandardIntervals[4]),
      BarAggregator(InstrumentId{}, kStandardIntervals[5])};
};

inline void StrategyStage::fail_if_stopped(BotSlot& slot, Outbox& out) {
  if (!slot.bot->failure().empty() && slot.receives_callbacks()) fail_bot(slot, out);
}

// Asks the order manager to cancel one of a bot's open orders.
inline void emit_cancel(BotId bot, const TrackedOrder& order, Nanos t, Outbox& out) noexcept {
  OrderCancel c;
  c.bot = bot;
  c.instrument = order.instrument;
  c.client_sequence = order.client_sequence;
  c.tag = order.tag;
  out.emit(c, t);
}

// The BotContext a bot acts through while one of its handlers runs (bot_runtime.cpp).
class StrategyStage::Context final : public bots::BotContext {
 public:
  // Whatever a handler does to its bot (inputs, heartbeat, orders, fills, a failure) is
  // something the read model shows: the bot's view version moves once per handler.
  Context(StrategyStage& stage, BotSlot& slot, Outbox& out) noexcept
      : stage_(stage), slot_(slot), out_(out) {
    stage.view_versions_.bump(index_of(slot.bot->id()));
  }

  Nanos now() const noexcept override { return stage_.now_; }
  void submit(const OrderIntent& requested) noexcept override;
  void cancel(InstrumentId instrument, std::uint32_t tag) noexcept override;
  void set_timer(std::uint32_t timer_id, Nanos deadline) noexcept override;
  const bots::InstrumentInfo* instrument(InstrumentId id) const noexcept override {
    return stage_.instrument(id);
  }
  std::int64_t position(InstrumentId id) const noexcept override {
    return id == slot_.instrument ? slot_.position : 0;
  }
  bool tradable(InstrumentId id) const noexcept override { return stage_.health_.tradable(id); }
  std::int64_t available_quote(InstrumentId id) const noexcept override;

 private:
  StrategyStage& stage_;
  BotSlot& slot_;
  Outbox& out_;
};

}  // namespace be::stage
