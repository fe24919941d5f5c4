// The strategy stage: the pipeline's second stage, a deterministic fold of the sequenced
// inputs into bars, shared conditions and bots, emitting the bots' decisions.
//
//   input (sequenced) --> [instruments, feed health, bars, conditions, bots] --> Outbox
//     InstrumentDefined   define the instrument, its assets, its safe-mode slot
//     Trade / Bar         bars per (instrument, timeframe) -> conditions -> Signal + on_condition
//                         and on_bar; on_trade for bots on the instrument
//     Quote               on_quote
//     Connectivity        safe mode (strategies/market/feed_health.hpp): bots see tradable() false
//     OrderUpdate         the bot's own order table and position -> on_fill / on_order_update
//     BalanceUpdate       free quote per account (what available_quote() hands the bots)
//     OperatorCommand     create/update/delete/start/stop/pause/resume/restart a bot
//     kBlob               a bot config (the command that follows names it by blob id)
//     Timer               moves event time only (the bots' own deadlines fire below)
//   Before any input is handled, every bot timer whose deadline is at or before the input's
//   event time fires (deadline, bot id, timer id order), so live and replay fire alike.
//
// Derived records: OrderIntent (cause = client sequence: (input ordinal << 10) | index),
// OrderCancel (for one open order of the bot), Signal, BotStatus, Notification (bot status).
// Engine time is the largest event time seen: inputs from several clocks (exchange time,
// the sequencer's tick) never move a bot's now() backwards.
//
// Paused bots keep their handlers running (indicators stay warm, fills are booked) but what
// they submit is dropped and counted; cancels still go out. A stopped bot gets no callbacks.
//
// Determinism: no clock, no I/O, no randomness but the bots' seeded generators, no iteration
// over unordered containers. Allocation: creating, updating or deleting a bot and snapshots
// allocate (control inputs); market inputs and order updates do not after warm-up.
// Thread-safety: none; the stage belongs to one thread. describe() copies for the read model.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/counters.hpp"
#include "core/event.hpp"
#include "core/expected.hpp"
#include "core/intern_table.hpp"
#include "core/outbox.hpp"
#include "core/view_versions.hpp"
#include "strategies/bots/registry.hpp"
#include "strategies/conditions/engine.hpp"
#include "strategies/market/bar_aggregator.hpp"
#include "strategies/market/feed_health.hpp"

namespace be::stage {

struct StrategyCapacity {
  std::uint32_t instruments = 256;
  std::uint32_t venues = 16;
  std::uint32_t bots = 1024;
  std::uint32_t orders_per_bot = 1024;  // open orders tracked per bot
  std::uint32_t timers_per_bot = 16;
  std::uint32_t intents_per_input = 1024;  // 1 << kIntentIndexBits
};

// What the read model shows of a bot (copied on the control path).
struct BotSummary {
  BotId id = kNoBot;
  UserId owner{};
  std::string name, type, venue, symbol, config_json;
  InstrumentId instrument = kNoInstrument;
  BotState state = BotState::kStopped;
  BotStatusReason reason = BotStatusReason::kOperator;
  Nanos heartbeat = 0;
  std::uint64_t inputs = 0;
  std::int64_t position = 0;
  std::uint32_t open_orders = 0;
  std::uint64_t fills = 0;
  std::uint64_t suppressed_intents = 0;  // submitted while paused or not tradable
  std::vector<std::string> conditions;
  std::string failure;  // why a bot stopped itself (a script's error, with its line)
};

// The strategy stage's counters.
inline constexpr auto kStrategyCounters = counter_table({
    {"inputs", "Inputs the strategy stage folded."},
    {"intents", "Order intents bots emitted."},
    {"cancels", "Cancels bots or commands emitted."},
    {"signals", "Signals delivered to bots (webhooks, shared conditions)."},
    {"bars", "Bars delivered to bots."},
    {"intents_dropped",
     "Intents dropped: over intents_per_input, the bot's order table or its timers."},
    {"bad_commands", "Bot commands refused: unknown bot, bad config, wrong state."},
    {"unknown_orders", "Order updates for an order no bot tracks."},
    {"missing_blobs", "Bot creates or updates naming a config blob never seen."},
});
using StrategyStats = Counters<kStrategyCounters>;

class StrategyStage {
 public:
  explicit StrategyStage(StrategyCapacity capacity = {},
                         const bots::BotRegistry& registry = bots::BotRegistry::builtin());
  ~StrategyStage();
  StrategyStage(const StrategyStage&) = delete;
  StrategyStage& operator=(const StrategyStage&) = delete;

  // Folds one input. input.header.sequence is the input ordinal (dense over inputs); the
  // records derived from it are appended to `out`. For kBlob, BlobRef::data must be readable
  // during the call (the stage copies what it keeps).
  void on_input(const Event& input, Outbox& out);

  // ---- Control-path queries (allocate) ---------------------------------------------------
  // Validates a bot config against the instruments defined so far: every bad field named.
  std::vector<config::FieldError> validate(std::string_view json) const;
  std::vector<BotSummary> describe() const;
  // The next bot id that was never used (see bot_ids_used_).
  std::uint32_t next_bot_id() const noexcept { return bot_ids_used_; }
  std::optional<BotSummary> describe(BotId bot) const;
  std::vector<cond::ConditionStats> conditions() const { return conditions_.all_condition_stats(); }
  bool has_bot(BotId bot) const noexcept;
  // Per bot id index, a number that moves whenever describe(bot) would say something new
  // (core/view_versions.hpp): the read model rebuilds only the bots whose number moved.
  std::span<const std::uint32_t> view_versions() const noexcept { return view_versions_.all(); }
  BotState state_of(BotId bot) const noexcept;
  const StrategyStats& stats() const noexcept { return stats_; }
  // Whether the last operator command this stage saw was refused (unknown bot, wrong state, a
  // config that does not build): what the control plane answers (409), set by the stage's own
  // decision rather than guessed from the records a command derived.
  bool last_command_refused() const noexcept { return last_command_refused_; }
  const FeedHealth& feed_health() const noexcept { return health_; }
  Nanos engine_time() const noexcept { return now_; }
  SequenceNumber inputs() const noexcept { return input_ordinal_; }
  // The instrument's symbol and scales; nullptr when not defined.
  const bots::InstrumentInfo* instrument(InstrumentId id) const noexcept;
  std::string_view symbol(InstrumentId id) const noexcept;
  std::string_view venue_name(VenueId id) const noexcept;

  // ---- Snapshot ---------------------------------------------------------------------------
  std::uint64_t state_hash() const;
  std::vector<std::byte> snapshot() const;
  // Replaces the whole state (bots are rebuilt from their configs, then loaded). On error the
  // stage is unchanged and the message says what was wrong.
  std::optional<std::string> restore(std::span<const std::byte> bytes);

 private:
  // Defined in stage_state.hpp; the member functions below are grouped by the file that
  // defines them.
  struct BotSlot;
  struct Instrument;
  class Context;

  // market_data.cpp
  void define(const InstrumentDefined& def);
  void on_trade(const Trade& trade, Nanos t, Outbox& out);
  void on_bar_input(const Bar& bar, Outbox& out);
  void on_clock_tick(Outbox& out);
  void on_closed_bar(const Bar& bar, Outbox& out);
  void on_quote(const Quote& quote, Outbox& out);
  // bot_runtime.cpp
  void on_order_update(const OrderUpdate& update, Nanos t, Outbox& out);
  void fire_timers(Nanos t, Outbox& out);
  // bot_commands.cpp
  void on_command(const OperatorCommand& command, Nanos t, Outbox& out);
  std::optional<std::string> take_config(std::uint64_t blob_id);
  Expected<bots::CreatedBot, bots::ConfigErrors> build(std::string_view json, BotId id) const;
  std::unique_ptr<BotSlot> new_slot(bots::CreatedBot built, std::string_view json) const;
  void start_bot(BotSlot& slot, BotState to, std::uint32_t user, Nanos t, Outbox& out);
  void stop_bot(BotSlot& slot, BotState to, BotStatusReason reason, std::uint32_t user, Nanos t,
                Outbox& out);
  void set_state(BotSlot& slot, BotState to, BotStatusReason reason, std::uint32_t user, Nanos t,
                 Outbox& out);
  void subscribe_conditions(BotSlot& slot);
  // After a bot's handler ran: a bot that stopped itself (Bot::failure) goes to `error`.
  void fail_if_stopped(BotSlot& slot, Outbox& out);  // inline, stage_state.hpp
  void fail_bot(BotSlot& slot, Outbox& out);
  bots::InstrumentResolver resolver() const;
  // strategy_stage.cpp
  BotSlot* find(BotId bot) noexcept;
  const BotSlot* find(BotId bot) const noexcept;
  // The instrument index (listeners_): a bot joins its instrument's list when created or
  // updated, leaves it when updated or deleted; restore rebuilds every list.
  void listen(BotSlot& slot);
  void unlisten(const BotSlot& slot);
  void relisten_all();
  // snapshot.cpp
  template <class W>
  void write_state(W& w) const;

  StrategyCapacity capacity_;
  const bots::BotRegistry* registry_;
  std::vector<Instrument> instruments_;  // by InstrumentId
  InternTable<AssetId> assets_;
  std::vector<std::string> venue_names_;  // by VenueId
  FeedHealth health_;
  cond::ConditionEngine conditions_;
  std::map<BotId, std::unique_ptr<BotSlot>> bots_;  // ordered: deterministic iteration
  // bots_ by id index, for find() on every callback (a map lookup per bot was 5 % of the fold
  // at 10,000 bots); ids beyond capacity, if any, are looked up in bots_.
  std::vector<BotSlot*> slot_of_;
  ViewVersions view_versions_;  // by id index, like slot_of_; not fold state
  void index_slots();           // slot_of_ from bots_ (a restore)
  // By instrument: the bots that trade it, in id order (the order bots_ visits them), so a
  // market input runs only its instrument's bots instead of walking every bot. Derived from
  // bots_ (not snapshotted or hashed); slots never move (each is its own allocation).
  std::vector<std::vector<BotSlot*>> listeners_;
  std::map<cond::SubscriptionId, std::pair<BotId, std::uint32_t>> subscriptions_;
  std::map<std::uint64_t, std::string> blobs_;  // configs waiting for their command
  std::vector<std::int64_t> free_quote_;        // by AssetId (account 0)
  Nanos now_ = 0;
  // No armed timer is due before this (derived, not snapshotted): most inputs move time
  // without a timer due, and fire_timers() then skips its scan of every bot's timers.
  Nanos timer_floor_ = std::numeric_limits<Nanos>::min();
  SequenceNumber input_ordinal_ = 0;
  // 1 + the highest bot id a create command ever named, deleted bots included: ids (and so
  // client order ids) are never reused, across restarts too (snapshotted).
  std::uint32_t bot_ids_used_ = 0;
  std::uint32_t intents_this_input_ = 0;
  StrategyStats stats_;
  bool last_command_refused_ = false;  // not state: the answer to the command in flight
};

}  // namespace be::stage
