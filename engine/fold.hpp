// The fold: the whole business state of one engine and the one function that advances it,
// apply(input). Live running, crash recovery, replay and backtests all go through it, which is
// what makes them agree (docs/ARCHITECTURE.md §4 and §6). It composes the three stages, each
// in its own folder, and keeps the fold's own books: the input ordinal, the records, the
// snapshot frame and the combined state hash.
//
//   input --> StrategyStage --derived--> RiskStage (checks in place) --> OrderStage
//             (strategies/stage/)         (risk/)                       (oms/order_stage.hpp)
//                                                                        |-> OrderNew / cancel
//                                                                        |   to the venue
//                                                                        '-> FillApplied, ...
// For each input, `records()` afterwards holds, in order: the input itself, then everything
// the three stages derived from it (each flagged kFlagDerived). The caller journals them in
// that order and hands `actions()` (orders and cancels to send, local rejects to loop back as
// inputs) to the venue side.
//
// The venue: a paper venue (deterministic matching) lives inside the order stage, so its
// state is a fold too and is rebuilt by recovery and replay; it sees market inputs and the
// orders the stage sends. Its answers are not applied here: they go to a VenueResponses sink
// the caller owns (live: the ingress, so they come back as journaled inputs; recovery and
// replay: dropped, because the journal already holds them). A live venue is the caller's
// business: the fold then only reports the actions.
//
// The same work also runs split in three phases, one per pipeline stage, on three threads
// (the `pipelined` topology): strategy_phase -> risk_phase -> order_phase, each on a
// FoldBatch that travels between the stages. Each phase touches only its own stage's state
// and the batch, so a batch produces exactly the records the fused apply() would, and a
// pipelined journal replays through apply() to the same state.
//
// Thread-safety: apply() and everything else from one thread. The phases: each from its own
// one thread, with batches handed over through rings (release/acquire); hashes, snapshot,
// restore and the read accessors only while no phase runs. Allocation: control inputs and
// snapshots only.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/event.hpp"
#include "core/outbox.hpp"
#include "engine/directory.hpp"
#include "oms/order_stage.hpp"
#include "risk/risk_stage.hpp"
#include "strategies/stage/strategy_stage.hpp"

namespace be::engine {

// The order stage's control timers (oms/order_stage.hpp): reconcile, and durable release.
inline constexpr std::uint32_t kReconcileTimer = oms::kReconcileTimer;
inline constexpr std::uint32_t kReleaseTimer = oms::kReleaseTimer;

struct FoldConfig {
  // The defaults below are a deployment's without `engine.capacity`; size_tables() sizes
  // every table from one EngineCapacity instead.
  stage::StrategyCapacity strategy{};
  // Tables are sized bots x instruments: keep them to what a deployment uses (snapshots
  // carry them whole).
  // Accounts: kAccountCapacity in the risk, order manager and paper venue tables alike.
  risk::RiskStage::Options risk{{64, oms::kAccountCapacity, 16, 32}, 65'536, {}};
  oms::OmsCapacity oms{64, 16, 32, oms::kAccountCapacity, 16'384};
  bool paper_venue = true;
  bool hold_sends = false;   // durable journal: see oms::kReleaseTimer
  oms::PaperConfig paper{};  // starting_balances are copied at construction
  std::size_t max_records_per_input = 8192;
  // Users and accounts: asset scales, default paper balances (fold_config() fills it from
  // the deployment; max_accounts 0 = the tables' account capacity).
  DirectoryConfig directory{};
};

// How much one engine holds: `engine.capacity` in the deployment config (docs/CONFIG.md
// "capacity", docs/ARCHITECTURE.md "Capacity"). The defaults are what FoldConfig's tables
// held before the section existed. A snapshot taken with other sizes restores into these
// when what it holds fits (each stage copies its entries, ids kept), so a deployment grows
// by restarting with a larger capacity.
struct EngineCapacity {
  std::uint32_t bots = 64;  // bot ids ever created (a deleted bot's id is never reused)
  std::uint32_t instruments = 16;
  std::uint32_t accounts = oms::kAccountCapacity;
  std::uint32_t open_orders = 16'384;  // live orders plus remembered terminal ones
  bool operator==(const EngineCapacity&) const = default;
};
// The largest each may be, and the largest bots x instruments: the position and per-bot
// instrument tables are dense (one entry per bot and instrument, about 200 bytes across the
// stages), so their product bounds the memory.
inline constexpr EngineCapacity kMaxEngineCapacity{1'000'000, 100'000, 1'000'000, 1u << 24};
inline constexpr std::uint64_t kMaxBotInstrumentCells = std::uint64_t{1} << 22;

// Sizes every table of `config` (strategy, risk, order manager, paper venue, directory, the
// per-input record limit) for `capacity`; `assets`: the distinct assets the deployment's
// instruments name (the asset tables hold at least 32).
void size_tables(FoldConfig& config, const EngineCapacity& capacity, std::uint32_t assets);

// What the venue side must do after an input (the order stage decides it).
using VenueAction = oms::VenueAction;

// One input on its way through the phases: the input, its records (the input first, then
// what each phase derived, in phase order) and the venue actions. Preallocated; reused.
struct FoldBatch {
  explicit FoldBatch(std::size_t max_records) : records(max_records) {
    actions.reserve(max_records);
  }
  SequenceNumber ordinal = 0;
  Nanos engine_time = 0;  // the strategy stage's clock after the input (loop-backs use it)
  Outbox records;
  std::vector<VenueAction> actions;
  std::size_t strategy_end = 1;  // records [1, strategy_end) came from the strategy phase
  // An operator command the strategy stage refused (unknown bot, wrong state, a config that
  // does not build): the answer says 409 only when this is set, never by guessing from the
  // records a command happened to derive.
  bool command_refused = false;
  DirectoryEffect directory;  // what a users-and-accounts command did (strategy phase)
  std::uint64_t strategy_overflow = 0, risk_overflow = 0;
};

// The order stage's counters, and the records the last input's stages could not hold.
struct FoldStats : oms::OrderStageStats {
  std::uint64_t record_overflow = 0;
};

// `directory` is mixed into `combined` only once the directory holds anything, so journals
// from before users and accounts keep the combined hashes their StateHash records hold.
struct StateHashes {
  std::uint64_t strategy = 0, risk = 0, orders = 0, combined = 0, directory = 0;
};

class Fold {
 public:
  // `responses`: where the paper venue's answers go (see the file comment); may change later
  // with set_responses().
  Fold(const FoldConfig& config, oms::VenueResponses& responses);
  ~Fold();
  Fold(const Fold&) = delete;
  Fold& operator=(const Fold&) = delete;

  // Applies one input. `ordinal` numbers inputs densely from 1 (it is the input's sequence
  // for the stages: client order ids derive from it). Returns the records (see above).
  std::span<const Event> apply(const Event& input, SequenceNumber ordinal);
  std::span<const VenueAction> actions() const noexcept { return batch_.actions; }

  // apply() in three phases (see the file comment); apply(i, n) is exactly
  // strategy_phase(i, n, b); risk_phase(b); order_phase(b).
  void strategy_phase(const Event& input, SequenceNumber ordinal, FoldBatch& batch);
  void risk_phase(FoldBatch& batch);
  void order_phase(FoldBatch& batch);
  FoldBatch make_batch() const { return FoldBatch(config_.max_records_per_input); }

  // The venue lost its order channel: in-flight orders become unknown; reconcile() then asks
  // the venue about each (answers arrive as inputs).
  std::size_t connection_lost();
  void reconcile(Nanos now);

  void set_responses(oms::VenueResponses& responses);

  StateHashes hashes() const;
  // The StateHash record journaled with a snapshot of the state now (at = ordinal()).
  StateHash state_hash_record() const;
  std::vector<std::byte> snapshot() const;
  // On error the fold may be partly restored: discard it (recovery builds a fresh one).
  std::optional<std::string> restore(std::span<const std::byte> bytes);

  SequenceNumber ordinal() const noexcept { return ordinal_; }
  const stage::StrategyStage& strategy() const noexcept { return strategy_; }
  const risk::RiskStage& risk() const noexcept { return risk_; }
  const oms::OrderStage& order_stage() const noexcept { return order_; }
  const oms::OrderManager& orders() const noexcept { return order_.orders(); }
  const oms::PaperVenue* paper() const noexcept { return order_.paper(); }
  const Directory& directory() const noexcept { return directory_; }
  FoldStats stats() const noexcept {
    return FoldStats{{order_.stats()}, record_overflow_ + batch_.records.overflow()};
  }
  std::string_view asset_name(AssetId id) const noexcept { return order_.asset_name(id); }
  std::size_t asset_count() const noexcept { return order_.asset_count(); }

 private:
  FoldConfig config_;
  stage::StrategyStage strategy_;
  risk::RiskStage risk_;
  oms::OrderStage order_;
  Directory directory_;  // the strategy phase's (read by the others only through the batch)
  FoldBatch batch_;      // apply()'s
  Outbox strategy_out_;  // each phase's scratch: touched by that phase only
  Outbox risk_out_;
  Outbox oms_out_;
  SequenceNumber ordinal_ = 0;  // of the last input through order_phase
  std::uint64_t record_overflow_ = 0;
};

}  // namespace be::engine
