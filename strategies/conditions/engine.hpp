// The shared condition engine: every bot's conditions evaluated once per distinct condition,
// every distinct indicator instance updated once per bar.
//
//   subscribe(bot, def) --canonical_text--> Condition (one per canonical text, refcounted by
//                                            its subscriptions)
//   Condition --uses--> Indicator instances, one per (spec, symbol, timeframe), refcounted by
//                       the conditions using them (lhs and rhs may share one)
//   Key (symbol, timeframe) --holds--> its indicators (sorted by spec) and its conditions
//                                      (sorted by condition id)
//
// On each closed bar for (symbol, timeframe) -- on_bar() --
//   1. the key's indicators are updated once each, in spec order;
//   2. the key's conditions are evaluated in ascending condition id;
//   3. a condition that holds delivers one Trigger per subscription, in subscription order
//      (subscription ids ascend), before the next condition is evaluated.
// So delivery order is (condition id, subscription id): deterministic, and the same in a
// replay because ids are handed out in subscribe() order, which is journaled input order.
// Condition ids and subscription ids are never reused.
//
// Values and operators (docs/CONDITIONS.md): an operand is undefined while its indicator is
// warming up (not ready) or yields NaN; a condition with an undefined operand is false and
// forgets its previous values. above/below are levels (true on every bar they hold);
// crosses_above fires when previous lhs <= previous rhs and lhs > rhs, both bars' values
// defined (crosses_below mirrors it). So the first bar on which both values are defined, for
// a new condition or after a warm-up, can never be a crossing: it only records the values.
// A condition created while its indicator is already warm (another condition uses it) sees
// the warm values at once; the new condition's own previous values start empty.
//
// Bad input is counted, never fatal: partial bars (closed == 0), bars for a key nobody
// watches, late bars (open time not after the key's last) and bars handed in with a scale
// outside 0..18 are dropped with a counter.
//
// Allocation: subscribe/unsubscribe/restore/stats allocate (control path); on_bar and
// state_hash do not (tests/conditions proves it with be_alloc_counter). Exceptions: only
// std::bad_alloc from the control path. Thread-safety: none; the engine belongs to the
// strategy stage's thread. Control-API reads go through stats copies published by that stage.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"
#include "core/expected.hpp"
#include "strategies/conditions/condition.hpp"
#include "strategies/indicators/indicator.hpp"

namespace be::cond {

using ConditionId = std::uint32_t;
using SubscriptionId = std::uint64_t;

struct Trigger {
  ConditionId condition = 0;
  SubscriptionId subscription = 0;
  BotId bot = kNoBot;
  InstrumentId instrument{};
  std::uint32_t timeframe_seconds = 0;
  Nanos bar_open_time = 0;
  double lhs = 0;  // the values that made it fire
  double rhs = 0;
};

// Receives triggers during on_bar. Must not call back into the engine (no subscribe or
// unsubscribe while a bar is being evaluated: queue such requests for after on_bar).
class TriggerSink {
 public:
  virtual void on_trigger(const Trigger& trigger) noexcept = 0;

 protected:
  ~TriggerSink() = default;
};

struct Subscriber {
  SubscriptionId subscription = 0;
  BotId bot = kNoBot;
  friend bool operator==(const Subscriber&, const Subscriber&) = default;
};

struct ConditionStats {
  ConditionId id = 0;
  std::string canonical;
  std::uint64_t hash = 0;
  std::vector<Subscriber> subscribers;  // in delivery order
  std::uint64_t evaluations = 0;        // closed bars evaluated (warm-up bars included)
  std::uint64_t triggers = 0;           // bars on which it held (deliveries = x subscribers)
};

struct EngineStats {
  std::uint64_t bars = 0;            // closed bars evaluated
  std::uint64_t bars_unwatched = 0;  // closed bars for a key with no condition
  std::uint64_t bars_partial = 0;    // closed == 0: ignored
  std::uint64_t bars_late = 0;       // open time not after the key's previous bar
  std::uint64_t bars_bad_scale = 0;  // price or quantity scale outside 0..18
  std::uint64_t indicator_updates = 0;
  std::uint64_t evaluations = 0;
  std::uint64_t triggers = 0;
  std::uint64_t deliveries = 0;
};

class ConditionEngine {
 public:
  ConditionEngine();
  ~ConditionEngine();
  ConditionEngine(ConditionEngine&&) noexcept;
  ConditionEngine& operator=(ConditionEngine&&) noexcept;
  ConditionEngine(const ConditionEngine&) = delete;
  ConditionEngine& operator=(const ConditionEngine&) = delete;

  // Subscribes `bot` to the condition; an equal condition (same canonical text) that already
  // exists is shared. Error: validate(def)'s message. A bot may hold several subscriptions,
  // even to one condition (each gets its own triggers).
  Expected<SubscriptionId, std::string> subscribe(BotId bot, const ConditionDef& def);
  // Drops the subscription; the last one leaving drops the condition, and an indicator no
  // condition uses any more is dropped with it. False when the id is unknown.
  bool unsubscribe(SubscriptionId subscription);
  // Drops every subscription of `bot` (a deleted bot); returns how many.
  std::size_t unsubscribe_bot(BotId bot);

  // Processes one bar (see the file comment). Scales are the instrument's fixed-point
  // scales. Never allocates, throws or calls anything but the indicators and `sink`.
  void on_bar(const Bar& bar, int price_scale, int qty_scale, TriggerSink& sink) noexcept;

  // ---- Introspection (control path; allocates) -------------------------------------------
  std::size_t condition_count() const noexcept;
  std::size_t indicator_count() const noexcept;
  std::size_t subscription_count() const noexcept { return subscriptions_.size(); }
  const EngineStats& stats() const noexcept { return stats_; }
  std::optional<ConditionId> condition_of(SubscriptionId subscription) const;
  std::optional<ConditionStats> condition_stats(ConditionId id) const;
  std::vector<ConditionStats> all_condition_stats() const;  // ascending id

  // ---- Snapshot -----------------------------------------------------------------------------
  // Everything that decides future triggers: conditions (definitions, previous values,
  // counters), subscriptions, indicator states, each key's last bar time, next ids, counters.
  void save(std::vector<std::byte>& out) const;
  // Replaces this engine's whole state; on error (named in the message) it is unchanged.
  std::optional<std::string> restore(std::span<const std::byte> in);
  // A hash of the same state save() writes (indicators contribute their own state_hash).
  std::uint64_t state_hash() const noexcept;

 private:
  struct Indicator;
  struct Condition;
  struct Key;

  Key* find_key(InstrumentId instrument, std::uint32_t timeframe) const noexcept;
  Key& key_for(InstrumentId instrument, std::uint32_t timeframe);
  Indicator* acquire_indicator(Key& key, const ta::IndicatorSpec& spec);
  void release_indicator(Key& key, Indicator* indicator);
  Condition& create_condition(const ConditionDef& def, std::string canonical, ConditionId id);
  void destroy_condition(Condition& condition);
  template <class W>
  void write_state(W& w) const;

  std::vector<std::unique_ptr<Key>> keys_;  // sorted by (instrument, timeframe)
  std::map<std::string, ConditionId, std::less<>> by_text_;
  std::map<ConditionId, std::unique_ptr<Condition>> conditions_;
  struct SubscriptionRecord {
    BotId bot;
    ConditionId condition;
  };
  std::map<SubscriptionId, SubscriptionRecord> subscriptions_;
  ConditionId next_condition_id_ = 1;
  SubscriptionId next_subscription_id_ = 1;
  EngineStats stats_;
};

}  // namespace be::cond
