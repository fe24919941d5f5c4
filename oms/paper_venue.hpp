// The paper venue: a deterministic simulated exchange behind the Venue interface. It matches
// our orders against the market inputs the pipeline feeds it (on_market) and answers only
// through the VenueResponses sink, so its answers are inputs journaled like a real venue's.
// docs/OMS.md states the matching rules with examples; in short:
//  - Latency: a request made at event time t reaches the venue at t + feed_latency_ns +
//    latency_ns (+ a seeded draw, LatencyDistribution). Work that is due is released at the
//    start of every call with that call's `now` (event time, never a wall clock); answers
//    carry the arrival time (acks, taker fills, cancels, queries) or the trade's time (maker
//    fills).
//  - Market orders fill in full at the opposite best price of the latest Quote (the last trade
//    when there is no quote yet), moved against us by slippage_bps; taker fee.
//  - Limit orders marketable on arrival (a buy at or above the ask, a sell at or below the bid)
//    fill in full as taker at the touch. Otherwise they rest and fill as maker at their own
//    price when a Trade prints: strictly through the price fills the whole remainder; at the
//    price fills up to the traded size, shared in arrival order (FillModel::kOptimistic; the
//    queue model first lets the quantity ahead trade, FillModel::kQueue). Quotes never fill
//    resting orders. IOC/FOK orders that cannot take expire; post-only orders that would take
//    are rejected.
//  - Fees: notional x bps / 10000 at price scale, rounded half away from zero per fill.
//    Slipped prices are rounded half away from zero too. Integers only.
//  - Balances per account and asset follow oms/ledger.hpp (the same rules as the order
//    manager, so both report the same figures); with enforce_balances, orders the account
//    cannot pay for are rejected (kInsufficientBalance).
//
// Determinism: the same calls in the same order give the same responses and state_hash().
// Allocation: the constructor sizes everything; afterwards only snapshot()/restore() allocate.
// Thread-safety: none; called on the order manager stage's thread. The sink must not call
// back into the venue. Lifetime: the sink must outlive the venue.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/counters.hpp"
#include "core/event.hpp"
#include "core/expected.hpp"
#include "core/names.hpp"
#include "core/state_io.hpp"
#include "oms/ledger.hpp"
#include "oms/order_manager.hpp"
#include "oms/order_table.hpp"
#include "oms/venue.hpp"

namespace be::oms {

// OrderUpdate::reason codes the paper venue uses. Stable numbering.
enum class PaperReason : std::uint16_t {
  kNone = 0,
  kUnknownInstrument = 1,
  kBadQuantity = 2,
  kBadPrice = 3,
  kNoMarket = 4,  // a market order before any quote or trade
  kInsufficientBalance = 5,
  kPostOnlyWouldTake = 6,
  kTooManyOrders = 7,  // every order slot holds a live order
  kVenueBusy = 8,      // the in-flight request queue is full
  kUnknownOrder = 9,   // cancel of an order the venue does not know
  kTooLateToCancel = 10,
  kBadAccount = 11,
};

struct PaperStartingBalance {
  AccountId account{};
  AssetId asset{};
  std::int64_t amount = 0;
};

// How resting limit orders fill (docs/RESEARCH.md "Fill models"; the name is the config's).
enum class FillModel : std::uint8_t {
  // "optimistic": a trade at the order's price fills it at once, up to the traded size.
  kOptimistic = 0,
  // "queue": first the quantity queued ahead of the order at its price must trade
  // (hftbacktest's risk-averse queue model): the queue ahead is the level's size when the
  // order rests (from the latest quote at the touch or book delta at the price; 0 at a price
  // better than the touch); trades at the price shorten it, book deltas can only shorten it
  // (min), and what trades beyond it fills the order, partially if need be. A level whose
  // size the venue has not seen fills only through trades beyond the price.
  kQueue = 1,
};
// How long a request takes to reach the venue: the feed's latency (the bot saw the market
// late) plus the order entry latency, plus a draw from the distribution keyed by the bot,
// the order and latency_seed (core/seeded_rng.hpp's splitmix64), so one bot's draws never
// depend on another's. A request never overtakes an earlier one of the same bot.
enum class LatencyDistribution : std::uint8_t {
  kConstant = 0,     // no draw
  kUniform = 1,      // uniform in [0, latency_jitter_ns]
  kExponential = 2,  // exponential with mean latency_jitter_ns
};

inline constexpr std::array<Named<FillModel>, 2> kFillModelNames{{
    {FillModel::kOptimistic, "optimistic"},
    {FillModel::kQueue, "queue"},
}};
inline constexpr std::array<Named<LatencyDistribution>, 3> kLatencyDistributionNames{{
    {LatencyDistribution::kConstant, "constant"},
    {LatencyDistribution::kUniform, "uniform"},
    {LatencyDistribution::kExponential, "exponential"},
}};

struct PaperConfig {
  std::int64_t slippage_bps = 0;
  std::int64_t maker_fee_bps = 0;  // negative: a rebate
  std::int64_t taker_fee_bps = 0;
  Nanos latency_ns = 0;  // order entry latency
  Nanos feed_latency_ns = 0;
  Nanos latency_jitter_ns = 0;
  LatencyDistribution latency_distribution = LatencyDistribution::kConstant;
  std::uint64_t latency_seed = 0;
  FillModel fill_model = FillModel::kOptimistic;
  // A trade's quantity at a price is shared in arrival order by the resting orders of one
  // account only; each account sees the whole trade (a sweep: no configuration takes
  // another's fills).
  bool isolate_accounts = false;
  std::uint32_t max_orders = 1024;  // live plus remembered terminal orders
  std::uint32_t max_pending = 0;    // requests in flight; 0 means max_orders
  std::uint32_t instruments = 16;
  std::uint32_t accounts = kAccountCapacity;
  std::uint32_t assets = 16;
  bool enforce_balances = false;
  VenueId venue{0};
  // Copied at construction.
  std::span<const PaperStartingBalance> starting_balances{};
};

// The paper venue's counters (part of its state: hashed and snapshotted in this order).
inline constexpr auto kPaperCounters = counter_table({
    {"requests", "Requests the paper venue answered: submits, cancels, queries, balances."},
    {"accepted", "Orders the paper venue accepted."},
    {"rejected", "Orders the paper venue rejected."},
    {"fills", "Fills the paper venue made."},
    {"canceled", "Orders the paper venue canceled."},
    {"cancel_rejected", "Cancels the paper venue refused (unknown or finished order)."},
    {"expired", "Orders the paper venue expired (IOC, FOK)."},
    {"duplicates", "Submits for a client id the paper venue had already seen."},
    {"busy", "Requests refused because the paper venue's queue of pending requests was full."},
});
using PaperStats = Counters<kPaperCounters>;
static_assert(state_io::PlainField<PaperStats>);

// Reads (or sizes) an older layout of the paper venue's snapshot: fields() ask layout_of(v)
// and visit only what that layout had, so fields a newer version added keep their defaults.
// Every other visitor is at the current layout. (The paper venue is the one component with
// two layouts today; this moves to core/state_io.hpp when a second needs it.)
template <class V>
struct AtLayout {
  V& inner;
  std::uint8_t layout;
  template <class T>
  void operator()(T& x) {
    inner(x);
  }
};
template <class V>
constexpr std::uint8_t layout_of(const V&, std::uint8_t current) noexcept {
  return current;
}
template <class V>
constexpr std::uint8_t layout_of(const AtLayout<V>& v, std::uint8_t) noexcept {
  return v.layout;
}

class PaperVenue final : public Venue {
 public:
  static constexpr std::uint32_t kSnapshotMagic = 0x50505631;  // "PPV1"
  // v2: queue positions (PaperOrder::queue_ahead, queue_known) and the touch's sizes.
  static constexpr std::uint8_t kSnapshotVersion = 2;
  static constexpr std::uint8_t kLayoutBeforeQueueModel = 1;  // still restored

  PaperVenue(const PaperConfig& config, VenueResponses& sink);

  // Reference data (the engine's asset ids). False for ids beyond capacity or a bad scale.
  bool define_instrument(const InstrumentDefined& def, AssetId base, AssetId quote) noexcept;

  std::string_view name() const noexcept override { return "paper"; }
  void submit(const OrderNew& order, Nanos now) noexcept override;
  void cancel(const OrderCancel& cancel, Nanos now) noexcept override;
  void query_order(BotId bot, InstrumentId instrument, SequenceNumber client_sequence,
                   Nanos now) noexcept override;
  void request_balances(AccountId account, Nanos now) noexcept override;
  void on_market(const Event& input, Nanos now) noexcept override;
  // Releases the work due by `now` without a market input (e.g. on a timer).
  void advance(Nanos now) noexcept { release_due(now); }

  // A paper account's opening balance (users and accounts: credited once, when the account
  // is created, as a journaled command applies). False for ids beyond capacity.
  bool credit(AccountId account, AssetId asset, std::int64_t amount) noexcept;
  Balance balance(AccountId account, AssetId asset) const noexcept;
  std::uint32_t resting_orders() const noexcept { return resting_; }
  std::uint32_t pending_requests() const noexcept { return pending_count_; }
  const PaperStats& stats() const noexcept { return stats_; }
  FillModel fill_model() const noexcept { return config_.fill_model; }

  std::uint64_t state_hash() const noexcept;
  std::vector<std::byte> snapshot() const;
  // Replaces the whole state (allocates scratch); on error nothing is changed.
  Expected<bool, state_io::FrameError> restore(std::span<const std::byte> bytes);

 private:
  enum class Status : std::uint8_t { kLive = 0, kFilled, kCanceled, kExpired, kRejected };
  enum class WorkKind : std::uint8_t { kNew = 0, kCancel, kQuery, kBalances };
  static constexpr std::uint32_t kNil = 0xFFFF'FFFFu;  // no slot

  struct PaperOrder {
    InstrumentId instrument{};
    AccountId account{};
    Side side = Side::kNone;
    OrderType type = OrderType::kLimit;
    Status status = Status::kLive;
    std::uint8_t resting = 0;
    std::int64_t price = 0;
    std::int64_t quantity = 0;
    std::int64_t filled = 0;
    std::int64_t fees = 0;
    std::uint64_t venue_order_id = 0;
    OrderMoney money;
    std::uint32_t prev = kNil;  // resting list of the instrument, arrival order
    std::uint32_t next = kNil;
    // FillModel::kQueue: the market's quantity ahead of the order at its price.
    std::int64_t queue_ahead = 0;
    std::uint8_t queue_known = 0;
    template <class V>
    void fields(V& v) {
      v(instrument);
      v(account);
      v(side);
      v(type);
      v(status);
      v(resting);
      v(price);
      v(quantity);
      v(filled);
      v(fees);
      v(venue_order_id);
      money.fields(v);
      v(prev);
      v(next);
      if (layout_of(v, kSnapshotVersion) >= 2) {  // layout 1: before the queue model
        v(queue_ahead);
        v(queue_known);
      }
    }
  };
  struct Market {
    std::uint8_t defined = 0;
    AssetId base{};
    AssetId quote{};
    std::int64_t unit = 1;
    std::int64_t bid = 0;  // 0: none
    std::int64_t ask = 0;
    std::int64_t bid_size = 0;  // the quote's sizes at bid and ask
    std::int64_t ask_size = 0;
    std::int64_t last = 0;
    std::uint32_t head = kNil;
    std::uint32_t tail = kNil;
    // Bounds over resting orders so most trades skip the list: highest buy, lowest sell.
    // Recomputed lazily (fresh_bounds): an order leaving the best price only marks them
    // stale, and the walk over the list happens once, when something next reads them (a
    // trade, a level, the hash or a snapshot), not once per cancel. Whenever read they equal
    // what an eager recompute gives, so the state, its hash and snapshots are unchanged.
    mutable std::int64_t best_buy = 0;  // 0: no resting buy
    mutable std::int64_t best_sell = 0;
    mutable bool bounds_stale = false;  // not state: never hashed or snapshotted
    template <class V>
    void fields(V& v) {
      v(defined);
      v(base);
      v(quote);
      v(unit);
      v(bid);
      v(ask);
      if (layout_of(v, kSnapshotVersion) >= 2) {
        v(bid_size);
        v(ask_size);
      }
      v(last);
      v(head);
      v(tail);
      v(best_buy);
      v(best_sell);
    }
  };
  struct Work {
    WorkKind kind = WorkKind::kNew;
    Nanos due = 0;
    OrderNew order{};  // kNew: the order; others: bot, instrument, client_sequence, account
    template <class V>
    void fields(V& v) {
      v(kind);
      v(due);
      v(order.bot);
      v(order.instrument);
      v(order.client_sequence);
      v(order.account);
      v(order.side);
      v(order.order_type);
      v(order.time_in_force);
      v(order.flags);
      v(order.tag);
      v(order.price);
      v(order.quantity);
    }
  };

  // The whole state as one field list: state_io's hash_fields, snapshot_fields and
  // restore_fields take it (Self is const for the hash and the snapshot).
  struct Fields {
    template <class Self, class V>
    void operator()(Self& self, V& v) const;
  };
  std::array<std::uint32_t, 5> capacity_words() const noexcept {
    return {config_.instruments, config_.accounts, config_.assets, table_.capacity(),
            static_cast<std::uint32_t>(pending_.size())};
  }
  bool validate() const noexcept;
  // Takes `old`'s state, each entry at its id (restore() from other table sizes): false when
  // an entry has no place in these tables.
  bool adopt(const PaperVenue& old);
  void enqueue(const Work& w, Nanos now) noexcept;
  void release_due(Nanos now) noexcept;
  void arrive_new(const OrderNew& o, Nanos t) noexcept;
  void arrive_cancel(const OrderNew& o, Nanos t) noexcept;
  void arrive_query(const OrderNew& o, Nanos t) noexcept;
  void arrive_balances(AccountId account, Nanos t) noexcept;
  void on_trade(const Trade& trade, Nanos t) noexcept;
  // FillModel::kQueue: a level's size seen at `price` on `side` (a book delta or the touch).
  void on_level(InstrumentId instrument, Side side, std::int64_t price, std::int64_t size) noexcept;
  void place_in_queue(PaperOrder& o) const noexcept;
  Nanos arrival(const OrderNew& key, Nanos now) const noexcept;
  void fill(std::uint32_t slot, std::int64_t price, std::int64_t quantity, bool maker,
            Nanos t) noexcept;
  void finish(std::uint32_t slot, Status status) noexcept;
  void rest(std::uint32_t slot) noexcept;
  void unrest(std::uint32_t slot) noexcept;
  void recompute_bounds(const Market& m) const noexcept;
  // m's bounds, recomputed first if stale.
  const Market& fresh_bounds(const Market& m) const noexcept;
  // Every market's bounds fresh: before the state is hashed or written.
  void settle_bounds() const noexcept;
  void refuse(const OrderNew& o, OrderEvent event, PaperReason reason, Nanos t) noexcept;
  void reject(const OrderNew& o, PaperReason reason, Nanos t) noexcept;
  OrderUpdate update_of(std::uint32_t slot, OrderEvent event, PaperReason reason) const noexcept;
  void answer(std::uint32_t slot, OrderEvent event, Nanos t, PaperReason reason) noexcept;
  std::int64_t fee(std::int64_t price, std::int64_t quantity, std::int64_t unit,
                   std::int64_t bps) const noexcept;
  Ledger::Leg leg_of(const PaperOrder& o) const noexcept;

  PaperConfig config_;
  VenueResponses* sink_;
  PaperStats stats_;
  std::vector<Market> markets_;
  std::vector<std::uint8_t> asset_known_;  // assets seen in definitions or starting balances
  Ledger ledger_;
  OrderTable<PaperOrder> table_;
  std::vector<Work> pending_;  // ring in due order (enqueue inserts by due time)
  std::uint32_t pending_head_ = 0;
  std::uint32_t pending_count_ = 0;
  std::uint32_t resting_ = 0;
  std::uint64_t next_venue_order_id_ = 1;
  std::uint64_t next_trade_id_ = 1;
  // Scratch of one trade's matching (not state): quantity each account's orders took at the
  // trade's price (isolate_accounts), and the accounts touched.
  std::vector<std::int64_t> taken_;
  std::vector<std::uint32_t> touched_;
};

}  // namespace be::oms
