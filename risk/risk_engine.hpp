// Pre-trade risk: checks every OrderIntent against per-bot, per-account and global limits,
// and folds the inputs it is given (fills, order opened/closed, prices, balances, operator
// commands, venue errors) into its own counters. docs/RISK.md states every rule.
//
// Where it lives: the rules are risk/checks.hpp (one named pure function each), the state
// records risk/state.hpp, the fold of inputs risk/fold.cpp, the hash and snapshot
// risk/snapshot.cpp; risk_engine.cpp has check() (the rules in order) and the queries.
//
// Determinism: no clock (time is the event_time argument), no I/O, no randomness, no hash
// iteration. Every mutating call is an apply of one input, so feeding the same inputs in the
// same order gives the same state_hash() and the same decisions (tests/risk twin test).
//
// Allocation: all tables are sized by Capacity at construction. check(), check_cancel() and
// every apply/on_* call allocate nothing (tests/risk proves it); only snapshot() allocates.
// Thread-safety: none; owned by the risk stage (one thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/event.hpp"
#include "core/expected.hpp"
#include "core/order_intent.hpp"
#include "core/position.hpp"
#include "risk/checks.hpp"
#include "risk/state.hpp"
#include "risk/types.hpp"

namespace be::risk {

// Table sizes, fixed for the engine's life. Ids are dense: 0 <= id < capacity.
struct Capacity {
  std::uint32_t bots = 0;
  std::uint32_t accounts = 0;
  std::uint32_t instruments = 0;
  std::uint32_t assets = 0;
};

// A fill of one of the bot's orders. fee is in quote units at price scale. When the order
// was resting (from_open_order), order_price releases its reservation.
struct FillInput {
  BotId bot = kNoBot;
  InstrumentId instrument = kNoInstrument;
  Side side = Side::kNone;
  bool from_open_order = false;
  std::int64_t price = 0;
  std::int64_t quantity = 0;
  std::int64_t fee = 0;
  std::int64_t order_price = 0;
};

// An order that rests at the venue (opened) or stops resting (closed: quantity is what was
// still unfilled, so the reservation left is released exactly).
struct OrderInput {
  BotId bot = kNoBot;
  InstrumentId instrument = kNoInstrument;
  Side side = Side::kNone;
  std::int64_t price = 0;
  std::int64_t quantity = 0;
};

// The venue's absolute balance of one asset; it replaces what fills moved so far.
// Quote assets at the price scale of the instruments quoted in them, base at qty scale.
struct BalanceInput {
  AccountId account{};
  AssetId asset{};
  std::int64_t amount = 0;
};

struct Decision {
  RiskReject reject;          // reason kNone: accepted
  std::int64_t quantity = 0;  // the quantity to send (quote-amount buys converted)
  bool accepted() const noexcept { return reject.accepted(); }
};

enum class RestoreError : std::uint8_t {
  kTruncated = 1,     // fewer bytes than the layout needs
  kBadVersion,        // a version byte this build does not know
  kCapacityMismatch,  // the snapshot was taken with other table sizes
  kCorrupt            // an id or scale out of range: not a snapshot this engine wrote
};

class RiskEngine {
 public:
  static constexpr std::uint8_t kSnapshotVersion = 1;
  static constexpr int kWindowBuckets = 60;               // error window: 60 x 1 minute
  static constexpr Nanos kBucketNanos = 60'000'000'000;   // one minute
  static constexpr Nanos kDayNanos = 86'400'000'000'000;  // one UTC day

  // Allocates every table. Throws std::bad_alloc only here.
  explicit RiskEngine(Capacity capacity);

  // ---- Reference data and configuration (operator inputs) ----------------------------------
  // Returns false (and changes nothing) for an id beyond capacity or a non-positive scale.
  bool define_instrument(const InstrumentDefined& def, AssetId base, AssetId quote) noexcept;
  bool configure_bot(BotId bot, AccountId account, const BotConfig& config) noexcept;
  bool configure_account(AccountId account, const AccountConfig& config) noexcept;

  // ---- Decisions ----------------------------------------------------------------------------
  // Checks one intent at `event_time`. On acceptance it consumes an order token and counts a
  // daily trade (non-reduce-only); a reject changes nothing but the day.
  Decision check(const OrderIntent& intent, Nanos event_time) noexcept;
  // A cancel request: only the cancel throttles apply (cancels are how risk is reduced).
  RiskReject check_cancel(BotId bot, Nanos event_time) noexcept;

  // ---- Inputs ------------------------------------------------------------------------------
  // Each returns false for a malformed input (an id beyond capacity, an undefined instrument,
  // an unconfigured bot, a non-positive fill): it changes nothing but bad_inputs().
  bool apply_fill(const FillInput& fill, Nanos event_time) noexcept;
  bool apply_order_opened(const OrderInput& order) noexcept;
  bool apply_order_closed(const OrderInput& order) noexcept;
  bool apply_balance(const BalanceInput& balance) noexcept;
  // Mark updates. Each writes the protection exits that fired into `exits` and returns their
  // count; exits that do not fit fire on a later update (the rule still holds then).
  std::size_t apply_trade(const Trade& trade, Nanos event_time,
                          std::span<OrderIntent> exits) noexcept;
  std::size_t apply_quote(const Quote& quote, Nanos event_time,
                          std::span<OrderIntent> exits) noexcept;
  // Any other timed input: only moves the UTC day forward.
  // Inline: every timed call starts here, and inside the current day (or earlier: time never
  // moves the day backwards) it is one comparison.
  void advance_time(Nanos event_time) noexcept {
    if (event_time >= (day_ + 1) * kDayNanos) start_day(event_time);
  }

  // ---- Kill switch (latched; folded from journaled operator commands) ---------------------
  // id: the bot or account id; ignored for kGlobal. Return whether anything changed.
  bool set_kill_switch(Scope scope, std::uint32_t id) noexcept;
  bool reset_kill_switch(Scope scope, std::uint32_t id) noexcept;
  // kKillSwitchSet / kKillSwitchReset: bot scope, or global when bot == kNoBot. Other kinds
  // are not risk's business and return false.
  bool apply(const OperatorCommand& command) noexcept;
  // True when this one switch (not an enclosing scope's) is latched.
  bool kill_switch_latched(Scope scope, std::uint32_t id) const noexcept;
  // True when the bot, its account or the whole engine is killed.
  bool kill_switch_active(BotId bot) const noexcept;

  // ---- Disk reserve (folded from kDiskReserveSet/Reset) ------------------------------------
  // While set, intents that are not reduce-only are refused (kDiskReserve); exits, stops and
  // reductions pass. Kept as bit 1 of the global kill byte: the snapshot layout stays, and a
  // journal that never used it hashes as before. Returns whether anything changed.
  bool set_disk_reserve(bool on) noexcept;
  bool disk_reserve() const noexcept { return (global_kill_ & kDiskReserveBit) != 0; }

  // ---- Circuit breaker and error tracking -------------------------------------------------
  // Returns true when this error opened the circuit.
  bool on_error(BotId bot, ErrorKind kind, Nanos event_time) noexcept;
  void on_success(BotId bot) noexcept;
  bool reset_circuit(BotId bot) noexcept;  // operator: returns whether it was open
  bool circuit_open(BotId bot) const noexcept;
  // Moves whenever a bot's own kill switch or circuit opens or closes, or the state is restored:
  // the read model re-reads those flags only then (not fold state; never goes back).
  std::uint64_t bot_flag_changes() const noexcept { return bot_flag_changes_; }
  // Errors of `kind` in the minute buckets of the last hour ending at `now`.
  std::uint32_t error_count(BotId bot, ErrorKind kind, Nanos now) const noexcept;

  // ---- Queries (price scale for money, qty scale for quantities) ---------------------------
  std::int64_t position(BotId bot, InstrumentId instrument) const noexcept;
  std::int64_t average_entry(BotId bot, InstrumentId instrument) const noexcept;
  std::int64_t bot_equity(BotId bot) const noexcept;  // realized + unrealized - fees
  std::int64_t bot_daily_pnl(BotId bot) const noexcept;
  std::int64_t account_equity(AccountId account) const noexcept;
  // The account a configured bot trades on; kNoAccount for one never configured.
  AccountId bot_account(BotId bot) const noexcept;
  std::int64_t account_daily_pnl(AccountId account) const noexcept;
  std::uint32_t open_orders(BotId bot) const noexcept;
  std::uint32_t daily_trades(BotId bot) const noexcept;
  std::int64_t balance(AccountId account, AssetId asset) const noexcept;
  std::int64_t reference_price(InstrumentId instrument) const noexcept;  // 0: none yet
  std::int64_t current_day() const noexcept { return day_; }
  // Inputs refused as malformed since construction (part of the state: replays agree).
  std::uint64_t bad_inputs() const noexcept { return bad_inputs_; }

  // ---- Persistence ---------------------------------------------------------------------------
  // FNV-1a 64 over the whole state, field by field (no padding is hashed).
  std::uint64_t state_hash() const noexcept;
  // Version byte, capacities, then every table. Allocates the returned buffer.
  std::vector<std::byte> snapshot() const;
  // Replaces the whole state; on error nothing is changed.
  Expected<bool, RestoreError> restore(std::span<const std::byte> bytes) noexcept;

 private:
  // The records (risk/state.hpp); the tables below hold them.
  using Instrument = state::Instrument;
  using Bucket = state::Bucket;
  using Scoped = state::Scoped;
  using Bot = state::Bot;
  using Account = state::Account;
  using BotInstrument = state::BotInstrument;
  using AccountInstrument = state::AccountInstrument;
  using ErrorBucket = state::ErrorBucket;

  // What an accepted intent spends: its quantity and the tokens left in each order bucket.
  struct Approval {
    std::int64_t quantity = 0;
    std::int64_t bot_tokens = 0;
    std::int64_t account_tokens = 0;
  };

  bool valid(BotId bot) const noexcept { return index_of(bot) < capacity_.bots; }
  bool valid(InstrumentId i) const noexcept { return index_of(i) < capacity_.instruments; }
  std::size_t bi(std::uint32_t bot, std::uint32_t instrument) const noexcept {
    return static_cast<std::size_t>(bot) * capacity_.instruments + instrument;
  }
  std::size_t ai(std::uint32_t account, std::uint32_t instrument) const noexcept {
    return static_cast<std::size_t>(account) * capacity_.instruments + instrument;
  }

  // ---- checks (risk_engine.cpp; the rules are risk/checks.hpp) ----
  // Runs every rule in order; the first breach decides. Fills `approval` when none fires.
  checks::Outcome first_breach(const OrderIntent& intent, Nanos t,
                               Approval& approval) const noexcept;
  // The account's balance of what the order spends (quote for a buy, base for a sell) less
  // what its resting orders of every instrument in that asset reserve.
  Wide available_balance(std::uint32_t account, const Instrument& in, bool buy) const noexcept;

  // ---- state fold (fold.cpp) ----
  // The first input of a later UTC day: daily figures restart from the current equity.
  void start_day(Nanos event_time) noexcept;
  bool accept_order_input(const OrderInput& order) noexcept;
  void move_resting(const OrderInput& order, bool opened) noexcept;
  // Re-marks one position; returns the change of its contribution (not yet added).
  std::int64_t revalue(std::uint32_t bot, std::uint32_t instrument) noexcept;
  void add_pnl(std::uint32_t bot, std::int64_t delta, std::int64_t fee) noexcept;
  std::size_t on_mark(std::uint32_t instrument, std::int64_t mark,
                      std::span<OrderIntent> exits) noexcept;
  bool mark_holder(std::uint32_t bot, std::uint32_t instrument, std::int64_t mark,
                   std::span<OrderIntent> exits, std::size_t fired) noexcept;
  std::uint8_t* kill_flag(Scope scope, std::uint32_t id) noexcept;

  // ---- snapshot (snapshot.cpp) ----
  // Every field but the positions, in hash and snapshot order, to a state_io visitor.
  template <class Visitor>
  void visit_tables(Visitor& visit) const;
  // holders_ from the positions (after a restore).
  void index_holders() noexcept;
  // Takes `old`'s state, each entry at its id (restore() from other table sizes): false when
  // an entry has no place in these tables.
  bool adopt(const RiskEngine& old);
  std::size_t snapshot_size() const noexcept;
  Expected<bool, RestoreError> restore_state(std::span<const std::byte> bytes) noexcept;
  std::uint64_t bot_flag_changes_ = 0;

  Capacity capacity_;
  std::int64_t day_ = 0;
  // Bit 0: the global kill switch; bit 1: the disk reserve.
  static constexpr std::uint8_t kKillBit = 1, kDiskReserveBit = 2;
  std::uint8_t global_kill_ = 0;
  std::uint64_t bad_inputs_ = 0;
  std::vector<Instrument> instruments_;
  std::vector<Bot> bots_;
  std::vector<Account> accounts_;
  std::vector<BotInstrument> bot_instruments_;
  std::vector<Position> positions_;  // bot x instrument
  std::vector<AccountInstrument> account_instruments_;
  std::vector<std::int64_t> balances_;      // account x asset
  std::vector<ErrorBucket> error_buckets_;  // bot x kWindowBuckets
  // Instrument x bot bits: the bots holding a position there, so a price update revalues
  // only them instead of walking every bot (derived from positions_: restore recomputes it).
  std::size_t holder_words_ = 0;  // per instrument
  std::vector<std::uint64_t> holders_;
  void note_holder(std::uint32_t b, std::uint32_t i, bool holds) noexcept {
    std::uint64_t& word = holders_[i * holder_words_ + b / 64];
    const std::uint64_t bit = std::uint64_t{1} << (b % 64);
    word = holds ? (word | bit) : (word & ~bit);
  }
};

}  // namespace be::risk
