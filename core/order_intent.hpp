// What a bot asks for: an order intent, the strategy stage's output and the risk stage's
// input. Fixed-size and trivially copyable like every hot record, and an Event payload
// (EventType::kOrderIntent, a derived output: every intent is journaled for the audit).
#pragma once

#include <cstdint>
#include <type_traits>

#include "core/event.hpp"
#include "core/ids.hpp"

namespace be {

enum class OrderType : std::uint8_t { kMarket = 1, kLimit = 2 };
enum class TimeInForce : std::uint8_t { kGtc = 1, kIoc = 2, kFok = 3 };

inline constexpr unsigned kIntentIndexBits = 10;  // up to 1024 intents per input
constexpr SequenceNumber client_sequence(SequenceNumber input, std::uint32_t index) noexcept {
  return (input << kIntentIndexBits) | index;
}
constexpr SequenceNumber input_of(SequenceNumber client_sequence) noexcept {
  return client_sequence >> kIntentIndexBits;
}

struct OrderIntent {
  static constexpr EventType kType = EventType::kOrderIntent;
  static constexpr std::uint16_t kVersion = 1;
  enum Flags : std::uint8_t {
    kNone = 0,
    kReduceOnly = 1u << 0,  // may only shrink the bot's position (exits, stops)
    kPostOnly = 1u << 1,    // must rest as a maker order
  };

  BotId bot = kNoBot;
  InstrumentId instrument = kNoInstrument;
  Side side = Side::kNone;
  OrderType type = OrderType::kLimit;
  TimeInForce time_in_force = TimeInForce::kGtc;
  std::uint8_t flags = kNone;
  std::uint32_t tag = 0;          // the bot's own label (e.g. "safety order 3")
  std::int64_t price = 0;         // limit price at price scale; 0 for market orders
  std::int64_t quantity = 0;      // base quantity at qty scale; 0 when quote_amount is set
  std::int64_t quote_amount = 0;  // spend this much quote (market buys by amount), price scale
  // The order's client sequence, set by the strategy stage: (sequence of the input that made
  // the bot decide << kIntentIndexBits) | the intent's index among that input's intents. It
  // is the `sequence` of the order's ClientOrderId (oms/order.hpp), so a replay names every
  // order alike and a resend is idempotent.
  SequenceNumber cause = 0;

  bool reduce_only() const noexcept { return (flags & kReduceOnly) != 0; }
};
static_assert(std::is_trivially_copyable_v<OrderIntent>);
static_assert(sizeof(OrderIntent) == 48);
static_assert(EventPayload<OrderIntent>);

}  // namespace be
