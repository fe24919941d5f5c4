// The risk stage: the pipeline's third stage. It folds the same sequenced inputs as every
// stage into the RiskEngine (instruments and assets, bot risk configs from their journaled
// configs, fills and order lifecycle, balances, kill switches, circuit breakers) and checks
// what the strategy stage derived:
//
//   OrderIntent  -> check(): accepted: kFlagRiskAccepted set on the record (and a quote-amount
//                   buy's quantity written in); rejected: a RiskReject and a Notification
//                   follow it
//   OrderCancel  -> check_cancel(): the cancel throttle
//   Trade/Quote  -> position protection: stop-loss, take-profit and trailing exits become
//                   OrderIntent records (client sequence index from kExitIndexBase) checked
//                   like any intent, with a Notification each
//   OrderUpdate  -> venue rejects feed the circuit breaker; opening it emits BotStatus kError
//
// Determinism, allocation and thread rules are RiskEngine's: no clock, no I/O; creating or
// updating a bot allocates (control input); the rest does not after construction.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/blobs.hpp"
#include "core/counters.hpp"
#include "core/event.hpp"
#include "core/intern_table.hpp"
#include "core/outbox.hpp"
#include "core/record_index.hpp"
#include "core/seeded_rng.hpp"
#include "risk/risk_engine.hpp"

namespace be::risk {

// Exits that risk itself derives use client sequence indexes from here up, so they never
// collide with the bots' intents for the same input (those count up from 0).
inline constexpr std::uint32_t kExitIndexBase = 768;

// The risk stage's counters; with by_reason they are its snapshot's last bytes.
inline constexpr auto kRiskStageCounters = counter_table({
    {"checked", "Intents and cancels risk checked."},
    {"rejected", "Intents risk rejected (by reason: botengine_risk_rejects_total)."},
    {"exits", "Exit orders risk itself derived (stop-loss, take-profit, kill switch)."},
    {"circuit_opened", "Times a circuit breaker opened."},
    {"bad_configs", "Bot or account risk configs risk refused."},
});
using RiskStageCounters = Counters<kRiskStageCounters>;
struct RiskStageStats : RiskStageCounters {
  std::array<std::uint64_t, kRejectReasonCount> by_reason{};
};

class RiskStage {
 public:
  struct Options {
    Capacity capacity{256, 4, 256, 64};
    std::uint32_t max_tracked_orders = 65'536;
    AccountConfig account{};  // account 0's limits (the deployment's)
  };
  explicit RiskStage(Options options);

  // An input (header.sequence = the input ordinal). Appends what it derives to `out`.
  void on_input(const Event& input, Outbox& out);
  // A record the strategy stage derived from the same input: checks intents and cancels in
  // place (sets kFlagRiskAccepted), appending rejects and notifications to `out`.
  void on_derived(Event& record, Outbox& out);

  // An account's limits (a users-and-accounts command: the fold calls it). Counted as a bad
  // config when they do not fit.
  void configure_account(AccountId account, const AccountConfig& config) noexcept {
    if (!engine_.configure_account(account, config)) ++stats_["bad_configs"];
  }

  const RiskEngine& engine() const noexcept { return engine_; }
  const RiskStageStats& stats() const noexcept { return stats_; }

  std::uint64_t state_hash() const noexcept;
  std::vector<std::byte> snapshot() const;
  std::optional<std::string> restore(std::span<const std::byte> bytes);

 private:
  struct Tracked {
    SequenceNumber client_sequence;
    BotId bot;
    InstrumentId instrument;
    Side side;
    std::uint8_t resting;  // opened at the venue (a limit order acknowledged)
    std::uint8_t reserved[2];
    std::int64_t price;
    std::int64_t quantity;
    std::int64_t filled;
  };
  // Tracked orders by (bot, client sequence): an order update finds its order without a walk
  // over every live order (core/record_index.hpp).
  struct TrackedKey {
    BotId bot;
    SequenceNumber client_sequence;
    bool operator==(const TrackedKey&) const = default;
  };
  struct KeyOfTracked {
    TrackedKey operator()(const Tracked& t) const noexcept { return {t.bot, t.client_sequence}; }
  };
  struct HashTrackedKey {
    std::uint64_t operator()(const TrackedKey& k) const noexcept {
      return splitmix64_mix(k.client_sequence * SeededRng::kGamma + index_of(k.bot));
    }
  };
  using TrackedIndex = RecordIndex<Tracked, TrackedKey, KeyOfTracked, HashTrackedKey>;
  struct InstrumentRef {
    std::string symbol;
    std::uint8_t price_scale = 8;
    std::uint8_t qty_scale = 8;
  };

  void check_intent(Event& record, OrderIntent intent, Outbox& out);
  void on_order_update(const OrderUpdate& update, Nanos t, Outbox& out);
  void on_command(const OperatorCommand& command, Nanos t, Outbox& out);
  void emit_exits(std::span<OrderIntent> exits, Nanos t, Outbox& out);
  Tracked* find(SequenceNumber client_sequence, BotId bot) noexcept;

  Options options_;
  RiskEngine engine_;
  InternTable<AssetId> assets_;
  std::vector<InstrumentRef> instruments_;  // by InstrumentId
  std::vector<Tracked> orders_;             // live orders; capacity reserved
  TrackedIndex orders_index_;               // where each is in orders_
  SeenBlobs blobs_;                         // configs waiting for their create/update command
  SequenceNumber input_ordinal_ = 0;
  std::uint32_t exits_this_input_ = 0;
  RiskStageStats stats_;
};

}  // namespace be::risk
