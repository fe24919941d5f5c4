// The order stage: the pipeline's fourth stage, after strategy and risk. It folds the same
// sequenced inputs into the order manager (orders, positions, fees, balances) and the paper
// venue, and turns what the strategy and risk stages derived into orders and cancels:
//
//   input (header.sequence = the input ordinal)
//     InstrumentDefined   interns its assets; defines it for the order manager and paper venue
//     Trade / Quote       marks positions; the paper venue matches on them
//     OrderUpdate         the order manager applies it; a fill emits FillApplied and a
//                         Notification (kTrade)
//     BalanceUpdate       the ledger
//     OperatorCommand     create bot: assigns it to the command's account (the fold resolved
//                         it: 0 in journals from before accounts); kill switch set: a cancel
//                         for every open order it covers (the cancel sweep: one bot, one
//                         account's bots, or every bot)
//     Timer               kReconcileTimer: in-flight orders become unknown, the paper venue is
//                         asked about each; kReleaseTimer: held sends go out; the paper venue's
//                         time moves either way
//   derived records (what the strategy and risk stages made of the same input)
//     OrderIntent         risk-accepted: OrderNew (emitted) and a submit; held or refused: a
//                         local reject looped back to the bot as an input
//     OrderCancel         risk-accepted: a cancel for the venue
//
// Venue actions (submits, cancels, local rejects to loop back) are appended for the caller,
// who sends them to a live venue; the paper venue, when there is one, gets the submits and
// cancels here, after the order manager opened them (held until a kReleaseTimer input in
// durable mode). Its answers go to the VenueResponses sink, never straight back in.
//
// Determinism: no clock, no I/O; time is the inputs' event time. Allocation: none after
// construction except snapshots, restores and held sends past the reserved 16,384.
// Thread-safety: none; the stage belongs to one thread (hashes and snapshots while it is idle).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/counters.hpp"
#include "core/event.hpp"
#include "core/intern_table.hpp"
#include "core/outbox.hpp"
#include "core/state_io.hpp"
#include "oms/order_manager.hpp"
#include "oms/paper_venue.hpp"

namespace be::oms {

// A Timer input with owner kNoBot and this id asks the stage to reconcile: orders in flight
// become unknown and the venue is asked about each (and about balances). Being an input, it
// is journaled, so a replay reconciles at the same point and its paper venue agrees.
inline constexpr std::uint32_t kReconcileTimer = 0xFFFF'FFFEu;
// Durable mode (OrderStageConfig::hold_sends): the paper venue's orders and cancels wait in the
// stage until a Timer input with owner kNoBot and this id releases them: its `deadline` field
// carries the ordinal of the last input whose sends it releases (the engine sends it once the
// journal's durable watermark covers that input). An input, so replays release alike. Sends
// still held at a reconcile never left: they are dropped and the reconcile settles them.
inline constexpr std::uint32_t kReleaseTimer = 0xFFFF'FFFDu;

// OrderUpdate.reason of a local reject (kLocalRejectBase + this): the order manager could not
// open a risk-accepted intent (its order table is full, the bot has no account, ...).
inline constexpr std::uint16_t kOrderManagerRefusedReason = 0xFF;
// ... a live account's order channel is down (the fold's own decision, from the account's
// journaled Connectivity inputs): the order never left. Its cancel is answered kCancelRejected
// with the same reason (the order stays as it was; reconciliation settles it).
inline constexpr std::uint16_t kLiveDisconnectedReason = 0xFC;
// ... the engine had no gateway for the live account when the send was due (none attached,
// as in a replay or backtest, refused at preflight, or removed): looped back by the engine as
// an input, so a replay sees the same reject.
inline constexpr std::uint16_t kNoLiveVenueReason = 0xFB;

struct OrderStageConfig {
  OmsCapacity capacity{64, 16, 32, kAccountCapacity, 16'384};
  bool paper_venue = true;
  bool hold_sends = false;  // durable journal: see kReleaseTimer
  PaperConfig paper{};      // starting_balances are copied at construction
};

// What the venue side must do after an input. kSubmit/kCancel are the paper venue's (sent
// inside the stage when it has one; reported for the caller otherwise). kLive* go to the
// live venue of the account (engine/live_venues.hpp): the caller delivers them after the
// input's records are journaled (durable: after their release). Kinds are snapshotted with
// held sends: append, never renumber.
struct VenueAction {
  enum class Kind : std::uint8_t {
    kSubmit,
    kCancel,
    kLoopBackReject,
    kLiveSubmit,           // order
    kLiveCancel,           // cancel
    kLiveQueryOrder,       // cancel's bot, instrument, client_sequence, account: query_order
    kLiveQueryBalances,    // cancel.account: request_balances
    kLiveQueryOpenOrders,  // cancel.account: query_open_orders (and recent trades)
  };
  Kind kind = Kind::kSubmit;
  OrderNew order{};      // kSubmit, kLiveSubmit
  OrderCancel cancel{};  // kCancel, kLiveCancel, kLiveQuery*
  OrderUpdate reject{};  // kLoopBackReject: a local (risk) reject to feed back as an input
};
inline constexpr bool is_live_action(VenueAction::Kind k) noexcept {
  return k >= VenueAction::Kind::kLiveSubmit;
}
inline AccountId account_of(const VenueAction& a) noexcept {
  return a.kind == VenueAction::Kind::kSubmit || a.kind == VenueAction::Kind::kLiveSubmit
             ? a.order.account
             : a.cancel.account;
}

// The order stage's counters. Their order is the fold snapshot's (order_stage.cpp).
inline constexpr auto kOrderStageCounters = counter_table({
    {"inputs", "Inputs the order stage applied."},
    {"orders_sent", "Orders sent to a venue."},
    {"cancels_sent", "Cancels sent to a venue."},
    {"fills", "Fills applied to the order table."},
    {"risk_rejects", "Intents risk rejected, fed back to their bots."},
    {"oms_unknown", "Venue updates for an order the table does not know."},
    {"oms_refused", "Accepted intents the order manager could not open."},
    {"reconciled_unknown", "Orders made unknown by reconcile inputs (a lost connection)."},
    {"sends_held", "Sends that waited for the journal to make their input durable."},
    {"sends_dropped", "Held sends dropped at a reconcile: they never left."},
});
// Live-account counters, kept apart so the fold snapshot's counter block keeps its layout
// (snapshotted in the live block).
inline constexpr auto kLiveStageCounters = counter_table({
    {"live_orders_sent", "Orders routed to a live account's venue."},
    {"live_cancels_sent", "Cancels routed to a live account's venue."},
    {"live_disconnected_rejects", "Orders refused locally: the live account's channel was down."},
    {"live_cancels_refused", "Cancels a live venue refused (kCancelRejected)."},
    {"foreign_orders", "Open orders found at a live venue that we did not send."},
    {"live_reconnects", "Live order channels (re)connected, each followed by a reconcile."},
});
using LiveStageStats = Counters<kLiveStageCounters>;
using OrderStageStats = Counters<kOrderStageCounters>;

// The fold's snapshot blobs: a u64 byte count, then the bytes (engine/fold.cpp's frame).
void put_blob(state_io::Writer& w, std::span<const std::byte> blob);
// The next blob, or nothing (and !r.ok()) when the bytes end first.
std::optional<std::span<const std::byte>> get_blob(state_io::Reader& r) noexcept;

class OrderStage {
 public:
  // `responses`: where the paper venue's answers go; may change later with set_responses().
  OrderStage(const OrderStageConfig& config, VenueResponses& responses);
  ~OrderStage();
  OrderStage(const OrderStage&) = delete;
  OrderStage& operator=(const OrderStage&) = delete;

  // One input through the stage: records[0] is the input (header.sequence = its ordinal), the
  // rest what the strategy and risk stages derived from it, in order (an intent risk refused
  // is followed by its RiskReject). Appends the records the stage derives to `out` and what
  // the venue side must do to `actions`.
  void on_input(std::span<const Event> records, Outbox& out, std::vector<VenueAction>& actions);

  // The venue lost its order channel: in-flight orders become unknown; reconcile() then asks
  // the venue about each (answers arrive as inputs).
  std::size_t connection_lost();
  void reconcile(Nanos now);

  // A paper account was created (engine/directory.hpp): its opening balances go to the paper
  // venue, which then reports them (journaled BalanceUpdate inputs) like any balance query.
  // Nothing without a paper venue.
  void open_paper_account(AccountId account, std::span<const PaperStartingBalance> credits,
                          Nanos now);

  void set_responses(VenueResponses& responses) noexcept;

  // ---- Live accounts (docs/ACCOUNTS.md "Live accounts") ------------------------------------
  // The fold marks an account live when the directory creates it in mode "live". A live
  // account's orders, cancels and reconciliation questions leave as kLive* actions instead of
  // going to the paper venue, unless dry run is on: then the paper venue answers them on the
  // live market (its balances opened with `credits` the first time it routes to paper).
  // Route state (live set, each live account's order channel, dry run) is folded from
  // journaled inputs, hashed once any account is live, and snapshotted (save_live/load_live).
  // Dry run (OperatorCommand kDryRunSet/kDryRunReset, journaled by the engine at start when
  // EngineConfig::dry_run differs from the fold's): a live account's paper balances are the
  // deployment's configured ones, credited the first time it routes to paper.
  void mark_live(AccountId account, Nanos now);
  bool is_live(AccountId account) const noexcept;
  bool dry_run() const noexcept { return dry_run_; }
  // A live, not dry-run account whose order channel is up (its last Connectivity kConnected).
  bool live_connected(AccountId account) const noexcept;
  // What a live venue said that an operator must see: an order it holds that we did not
  // send, or a cancel it refused (the kill switch's among them). The newest kLiveNotes, in a
  // ring (snapshotted with the live block, not hashed: it is a record of answers, not state).
  struct LiveNote {
    std::uint8_t foreign = 0;       // 1: a foreign order; 0: a refused cancel
    std::uint8_t reserved[7] = {};  // no padding: the ring is snapshotted as bytes
    OrderUpdate update{};  // as the venue answered (account, instrument, client id or venue id)
    Nanos time = 0;
  };
  static constexpr std::size_t kLiveNotes = 256;
  // f(const LiveNote&) oldest first.
  template <class F>
  void for_each_live_note(F&& f) const {
    const std::uint64_t n = std::min<std::uint64_t>(notes_total_, kLiveNotes);
    for (std::uint64_t k = notes_total_ - n; k < notes_total_; ++k)
      f(notes_[k % kLiveNotes]);
  }

  const OrderManager& orders() const noexcept { return orders_; }
  const PaperVenue* paper() const noexcept { return paper_.get(); }
  const OrderStageStats& stats() const noexcept { return stats_; }
  const LiveStageStats& live_stats() const noexcept { return live_stats_; }
  bool holds_sends() const noexcept { return !held_.empty(); }
  std::string_view asset_name(AssetId id) const noexcept { return assets_.name(id); }
  std::size_t asset_count() const noexcept { return assets_.size(); }

  // ---- Snapshot ---------------------------------------------------------------------------
  // The order manager, the paper venue and the held sends (the fold's `orders` hash).
  std::uint64_t state_hash() const noexcept;

  // The fold's snapshot (engine/fold.cpp) holds this stage in two parts, where the fold held
  // them before the stage moved here, so that snapshots already in journals still restore:
  // the counters and asset names right after the fold's header, the tables after the strategy
  // and risk blobs.
  void save_counters(state_io::Writer& w) const;
  // The least save_counters writes (the counters, a zero word, the asset count).
  static constexpr std::size_t kCountersBytes = 11 * sizeof(std::uint64_t) + sizeof(std::uint32_t);
  void save_tables(state_io::Writer& w) const;
  // Restore in two steps, so that a frame that does not parse changes nothing: read_counters
  // and read_tables fill a Saved (false: the bytes end first), restore() then applies it. On
  // error the stage may be partly restored: discard it.
  struct HeldSend {  // a paper venue send waiting for its release (snapshotted as bytes)
    VenueAction action;
    Nanos at = 0;
    SequenceNumber ordinal = 0;
  };
  struct Saved {  // what read_counters and read_tables parsed (blobs point into the bytes)
    OrderStageStats stats;
    InternTable<AssetId> assets;
    std::span<const std::byte> orders, paper;
    std::vector<HeldSend> held;
  };
  bool read_counters(state_io::Reader& r, Saved& into) const;
  bool read_tables(state_io::Reader& r, Saved& into) const;
  std::optional<std::string> restore(const Saved& saved);
  // The live block of the fold's snapshot (version 4 on): live accounts, their channel state,
  // dry run, the live counters. A snapshot without it restores with no live account.
  void save_live(state_io::Writer& w) const;
  bool load_live(state_io::Reader& r);

 private:
  struct Forwarder;

  void on_market_input(const Event& input, std::vector<VenueAction>& actions, Outbox& out);
  void kill_switch_sweep(const OperatorCommand& command, Nanos t,
                         std::vector<VenueAction>& actions);
  void on_derived(std::span<const Event> records, std::size_t index, Outbox& out,
                  std::vector<VenueAction>& actions);
  void loop_back_reject(const OrderIntent& intent, std::uint16_t reason,
                        std::vector<VenueAction>& actions);
  void send_to_paper(const VenueAction& action, Nanos at);
  void release_held(SequenceNumber through, std::vector<VenueAction>& actions);
  // Live routing (order_stage_live.cpp).
  bool routes_live(AccountId account) const noexcept;
  void route_sends(std::size_t first, const Event& input, std::vector<VenueAction>& actions);
  void on_order_channel(const Connectivity& c, Nanos t, std::vector<VenueAction>& actions);
  void reconcile_live(AccountId account, std::vector<VenueAction>& actions);
  void on_live_update(const OrderUpdate& u, Nanos t);
  void set_dry_run(bool on, Nanos now);
  void open_dry_run_account(AccountId account, Nanos now);
  void note_live(bool foreign, const OrderUpdate& u, Nanos t);
  std::uint64_t live_hash() const noexcept;
  // Kill switches latched at bot, account or global scope (order_stage_live.cpp): folded from
  // the operator commands, so a reconciliation that brings a covered live order back open
  // (after a start or a reconnect) cancels it at the venue again.
  void on_kill_switch(const OperatorCommand& c);
  bool kill_latched(AccountId account, BotId bot) const noexcept;
  void recancel_if_killed(const OrderUpdate& u, const UpdateResult& r, Nanos t,
                          std::vector<VenueAction>& actions);

  OrderStageConfig config_;
  std::vector<PaperStartingBalance> starting_;
  OrderManager orders_;
  std::unique_ptr<Forwarder> forwarder_;  // before paper_: the venue holds a reference to it
  std::unique_ptr<PaperVenue> paper_;
  InternTable<AssetId> assets_;
  std::vector<HeldSend> held_;  // durable: sends awaiting their release, in order
  // A kill switch's sweep (kill_switch_sweep): the covered open orders bucketed by bot in one
  // walk of the order table; sized at construction, so a sweep allocates nothing.
  std::vector<SequenceNumber> sweep_orders_;  // capacity.orders
  std::vector<std::uint32_t> sweep_first_;    // capacity.bots + 1: each bot's first entry
  std::vector<std::uint32_t> sweep_next_;     // capacity.bots: where its next one goes
  OrderStageStats stats_;
  // Live routing, by account index (kAccountCapacity): folded, hashed, snapshotted.
  std::vector<std::uint8_t> live_;          // 1: the account is live
  std::vector<std::uint8_t> connected_;     // 1: its order channel is up
  std::vector<std::uint8_t> paper_opened_;  // dry run: its paper balances were credited
  std::vector<std::uint8_t> killed_;        // 1: its account kill switch is latched
  std::vector<std::uint8_t> killed_bots_;   // by bot index: 1: the bot's own switch is latched
  bool killed_all_ = false;                 // the global kill switch is latched
  bool dry_run_ = false;
  LiveStageStats live_stats_;
  std::array<LiveNote, kLiveNotes> notes_{};
  std::uint64_t notes_total_ = 0;
};

}  // namespace be::oms
