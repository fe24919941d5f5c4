// The order manager's state: every order of every bot, positions, fees and balances, as one
// deterministic fold of the records the engine sequences (intents accepted by risk, venue
// OrderUpdates and BalanceUpdates, connectivity losses, marks). docs/OMS.md states the rules.
//
// Determinism: no clock (time is the argument), no I/O, no randomness, no hash iteration
// (tables iterate in slot order). The same calls in the same order give the same
// state_hash(), snapshot bytes and returned records.
// Allocation: every table is sized by OmsCapacity in the constructor (which may throw
// std::bad_alloc); every other call except snapshot()/restore() allocates nothing and throws
// nothing (tests/oms proves it with be_alloc_counter).
// Thread-safety: none; owned by the order manager stage (one thread). Pointers and
// references returned by queries stay valid until the next mutating call.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/event.hpp"
#include "core/expected.hpp"
#include "core/order_intent.hpp"
#include "core/position.hpp"
#include "core/state_io.hpp"
#include "core/view_versions.hpp"
#include "oms/ledger.hpp"
#include "oms/order.hpp"
#include "oms/order_table.hpp"

namespace be::oms {

// Table sizes, fixed for the manager's life. Ids are dense: 0 <= id < capacity.
// `orders` bounds live plus remembered terminal orders (terminal ones are evicted oldest
// first when room is needed).
struct OmsCapacity {
  std::uint32_t bots = 0;
  std::uint32_t instruments = 0;
  std::uint32_t assets = 0;
  std::uint32_t accounts = 0;
  std::uint32_t orders = 0;
};

// One order as the manager keeps it.
struct ManagedOrder {
  Order order;
  AccountId account{};
  std::uint32_t tag = 0;
  std::uint8_t time_in_force = 0;  // TimeInForce
  std::uint8_t flags = 0;          // OrderIntent flags
  OrderMoney money;
  std::int64_t fees = 0;  // quote units at price scale
  std::uint64_t last_trade_id = 0;
  std::uint64_t venue_order_id = 0;
  Nanos created = 0;
  Nanos updated = 0;

  template <class V>
  void fields(V& v) {
    v(order.client_id.bot);
    v(order.client_id.sequence);
    v(order.instrument);
    v(order.side);
    v(order.type);
    v(order.price);
    v(order.quantity);
    v(order.state);
    v(order.filled_quantity);
    v(order.duplicate_events);
    v(order.illegal_events);
    v(account);
    v(tag);
    v(time_in_force);
    v(flags);
    money.fields(v);
    v(fees);
    v(last_trade_id);
    v(venue_order_id);
    v(created);
    v(updated);
  }
};

struct UpdateResult {
  Outcome outcome = Outcome::kIllegal;
  bool unknown_order = false;  // no such client id (or a malformed update): nothing applied
  OrderState from = OrderState::kPendingNew;
  OrderState to = OrderState::kPendingNew;
  ManagedOrder order{};             // the order after the update (when known)
  std::optional<FillApplied> fill;  // set when a fill was applied
  bool closed = false;              // the order left the live set (became terminal)
  std::int64_t remaining = 0;       // its unfilled quantity then
};

struct OmsStats {
  std::uint64_t illegal = 0;          // transitions refused (table, or a bad fill)
  std::uint64_t duplicates = 0;       // harmless repeats (acks, fills seen before, cancels)
  std::uint64_t unknown_ids = 0;      // updates or cancels naming no order we have
  std::uint64_t table_full = 0;       // opens refused: every slot holds a live order
  std::uint64_t duplicate_opens = 0;  // open_order with a client id we already have
  std::uint64_t bad_inputs = 0;       // ids beyond capacity, unassigned bots, bad quantities
  std::uint64_t fills = 0;            // fills applied
  std::array<std::array<std::uint32_t, kOrderEventCount>, kOrderStateCount> illegal_by{};

  template <class V>
  void fields(V& v) {
    v(illegal);
    v(duplicates);
    v(unknown_ids);
    v(table_full);
    v(duplicate_opens);
    v(bad_inputs);
    v(fills);
    for (auto& row : illegal_by)
      for (auto& cell : row)
        v(cell);
  }
};

class OrderManager {
 public:
  static constexpr std::uint32_t kSnapshotMagic = 0x4f4d5331;  // "OMS1"
  static constexpr std::uint8_t kSnapshotVersion = 1;

  explicit OrderManager(OmsCapacity capacity);

  // ---- Reference data -------------------------------------------------------------------
  // False (and nothing changes) for ids beyond capacity or a qty scale outside 0..18.
  bool define_instrument(const InstrumentDefined& def, AssetId base, AssetId quote) noexcept;
  // Which account a bot trades for; needed before its first order.
  bool assign_bot(BotId bot, AccountId account) noexcept;

  // ---- Orders ---------------------------------------------------------------------------
  // Creates the order (PendingNew) for an intent risk accepted, with the quantity risk
  // decided, keyed ClientOrderId{intent.bot, intent.cause}, locks its balance and returns the
  // record to send. nullopt (counted) for a client id already known (a resend is idempotent:
  // never a second order), a full table, or bad input.
  std::optional<OrderNew> open_order(const OrderIntent& accepted, std::int64_t quantity,
                                     Nanos t) noexcept;
  // PendingCancel through the table; the record to send, or nullopt (counted) when the order
  // is unknown, already pending cancel (duplicate) or not cancellable (illegal).
  std::optional<OrderCancel> request_cancel(BotId bot, SequenceNumber client_sequence,
                                            Nanos t) noexcept;

  // ---- Venue responses --------------------------------------------------------------------
  UpdateResult apply(const OrderUpdate& update, Nanos t) noexcept;
  // Absolute balances replace the folded ones. False for ids beyond capacity (counted).
  bool apply(const BalanceUpdate& balance) noexcept;
  // Every live order of the account (kNoAccount: of every account) becomes Unknown
  // (kConnectionLost); returns how many.
  std::size_t connection_lost(AccountId account) noexcept;
  // f(const ManagedOrder&) for each order in Unknown, in slot order: what to query.
  template <class F>
  void for_each_unknown(F&& f) const {
    table_.for_each([&](std::uint32_t s) {
      if (table_[s].order.state == OrderState::kUnknown) f(table_[s]);
    });
  }

  // Mark price for unrealized PnL (last trade or mid). Ignored for unknown instruments.
  void mark(InstrumentId instrument, std::int64_t price) noexcept;

  // ---- Queries (money at price scale, quantities at qty scale) ------------------------------
  const ManagedOrder* find(BotId bot, SequenceNumber client_sequence) const noexcept;
  // f(const ManagedOrder&) for every order (live and remembered terminal) of `bot`, through
  // the bot's own list (no walk of the table); the order of the visits means nothing.
  template <class F>
  void for_each_order(BotId bot, F&& f) const {
    if (index_of(bot) >= capacity_.bots) return;
    for (std::uint32_t s = first_order_of_bot_[index_of(bot)]; s != kNoSlot; s = next_of_bot_[s])
      f(table_[s]);
  }
  // f(const ManagedOrder&) for every order of every bot, in slot order.
  template <class F>
  void for_each_order(F&& f) const {
    table_.for_each([&](std::uint32_t s) { f(table_[s]); });
  }
  // nullptr for ids beyond capacity or an undefined instrument.
  const Position* position(BotId bot, InstrumentId instrument) const noexcept;
  Balance balance(AccountId account, AssetId asset) const noexcept;
  std::int64_t realized_pnl(BotId bot) const noexcept;    // sum over instruments, fees excluded
  std::int64_t unrealized_pnl(BotId bot) const noexcept;  // at the mark (else last fill price)
  // The same in one instrument: what a caller that knows the bot's one instrument asks at
  // every price change (a parameter sweep), without walking every instrument's position.
  std::int64_t unrealized_pnl(BotId bot, InstrumentId instrument) const noexcept;
  std::int64_t fees(BotId bot) const noexcept;
  std::uint32_t open_orders(BotId bot) const noexcept;  // non-terminal orders
  // The account a bot trades on (assign_bot); kNoAccount when it has none.
  AccountId account_of(BotId bot) const noexcept {
    return index_of(bot) < capacity_.bots ? bots_[index_of(bot)].account : kNoAccount;
  }
  std::uint32_t live_orders() const noexcept { return table_.live(); }
  // The price unrealized PnL is taken at (the mark, else the last fill price; 0: none yet).
  std::int64_t valuation_price(InstrumentId instrument) const noexcept {
    if (index_of(instrument) >= capacity_.instruments) return 0;
    const InstrumentInfo& in = instruments_[index_of(instrument)];
    return in.mark != 0 ? in.mark : in.last_fill_price;
  }

  // ---- For the read model's incremental publication (not fold state) -----------------------
  // Per bot id index, a number that moves whenever the bot's orders, position or account
  // change (core/view_versions.hpp). A price move is not in it: see priced_instrument().
  std::span<const std::uint32_t> view_versions() const noexcept { return view_versions_.all(); }
  // The one instrument whose valuation price moves the bot's unrealized PnL: the instrument
  // of its first order, kNoInstrument before it has one. A bot with orders in several
  // instruments answers kAllInstruments (any price move may move it).
  static constexpr InstrumentId kAllInstruments{0xFFFF'FFFEu};
  InstrumentId priced_instrument(BotId bot) const noexcept {
    return index_of(bot) < capacity_.bots ? priced_instrument_[index_of(bot)] : kAllInstruments;
  }
  const OmsStats& stats() const noexcept { return stats_; }
  const OmsCapacity& capacity() const noexcept { return capacity_; }

  // ---- Persistence ---------------------------------------------------------------------------
  // FNV-1a 64 over the whole state, field by field (never padding).
  std::uint64_t state_hash() const noexcept;
  // Allocates the returned buffer; framed by core/state_io.hpp (write_frame).
  std::vector<std::byte> snapshot() const;
  // Replaces the whole state (allocates scratch); on error nothing is changed.
  Expected<bool, state_io::FrameError> restore(std::span<const std::byte> bytes);

 private:
  struct InstrumentInfo {
    std::uint8_t defined = 0;
    std::uint8_t qty_scale = 0;
    AssetId base{};
    AssetId quote{};
    std::int64_t unit = 1;  // 10^qty_scale
    std::int64_t mark = 0;  // 0: none yet
    std::int64_t last_fill_price = 0;
    template <class V>
    void fields(V& v) {
      v(defined);
      v(qty_scale);
      v(base);
      v(quote);
      v(unit);
      v(mark);
      v(last_fill_price);
    }
  };
  struct BotInfo {
    AccountId account = kNoAccount;
    std::uint32_t open_orders = 0;
    template <class V>
    void fields(V& v) {
      v(account);
      v(open_orders);
    }
  };

  // The whole state as one field list: state_io's hash_fields, snapshot_fields and
  // restore_fields take it (Self is const for the hash and the snapshot).
  struct Fields {
    template <class Self, class V>
    void operator()(Self& self, V& v) const;
  };
  std::array<std::uint32_t, 5> capacity_words() const noexcept {
    return {capacity_.bots, capacity_.instruments, capacity_.assets, capacity_.accounts,
            capacity_.orders};
  }
  bool validate() const noexcept;
  Expected<bool, state_io::FrameError> restore_state(std::span<const std::byte> bytes);
  // Takes `old`'s state, each entry at its id (restore() from other table sizes): false when
  // an entry has no place in these tables.
  bool adopt(const OrderManager& old);
  Ledger::Leg leg_of(const ManagedOrder& m) const noexcept;
  std::int64_t unrealized_at_mark(const Position& p, std::uint32_t instrument) const noexcept {
    const InstrumentInfo& in = instruments_[instrument];
    return p.unrealized_pnl(in.mark != 0 ? in.mark : in.last_fill_price);
  }
  Position& position_of(const Order& o) noexcept {
    return positions_[static_cast<std::size_t>(index_of(o.client_id.bot)) * capacity_.instruments +
                      index_of(o.instrument)];
  }
  void count(Outcome outcome, OrderState from, OrderEvent event) noexcept;
  Outcome apply_one_fill(ManagedOrder& m, std::int64_t price, std::int64_t quantity,
                         std::int64_t fee, std::uint8_t liquidity, UpdateResult& r) noexcept;
  void after_transition(std::uint32_t slot, OrderState from, UpdateResult& r) noexcept;

  // The derived indexes below, from the table and the positions (a restore).
  void index_orders() noexcept;
  void link_order(std::uint32_t slot) noexcept;
  void unlink_order(std::uint32_t slot) noexcept;
  void note_instrument(std::uint32_t bot, InstrumentId instrument) noexcept;

  OmsCapacity capacity_;
  OmsStats stats_;
  std::vector<InstrumentInfo> instruments_;
  std::vector<BotInfo> bots_;
  std::vector<Position> positions_;  // bot x instrument
  Ledger ledger_;
  OrderTable<ManagedOrder> table_;

  // Derived, never hashed or snapshotted. Each bot's orders as a doubly linked list through
  // the table's slots (kNoSlot ends it), kept as orders enter and are evicted.
  static constexpr std::uint32_t kNoSlot = OrderTable<ManagedOrder>::kNone;
  std::vector<std::uint32_t> first_order_of_bot_;         // per bot
  std::vector<std::uint32_t> next_of_bot_, prev_of_bot_;  // per slot
  std::vector<InstrumentId> priced_instrument_;           // per bot
  ViewVersions view_versions_;                            // per bot
};

}  // namespace be::oms
