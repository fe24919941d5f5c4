// What the order manager stage talks to: a venue gateway (the paper venue, Binance spot).
//
// The order manager hands a gateway the orders and cancels it decided (the derived OrderNew
// and OrderCancel records) and the reconciliation questions it has; the gateway answers only
// through VenueResponses, with OrderUpdate and BalanceUpdate records that the engine stamps
// and journals as inputs. So every venue answer, paper or live, is replayable, and the fold
// never depends on when a socket happened to deliver.
//
// Threads: submit/cancel/query_order/request_balances/query_open_orders/on_market are called
// on the thread that finishes inputs (engine/live_venues.hpp) and must not block (a live
// gateway writes a ready frame or queues the request for its own I/O thread).
// VenueResponses::respond may be called from any thread (the engine's sink is the multi-producer
// ingress).
#pragma once

#include <cstdint>
#include <deque>
#include <string_view>

#include "core/codes.hpp"
#include "core/event.hpp"

namespace be::oms {

// An answer about one order as every venue starts it: the order's client id, its instrument
// and account, what happened and the venue's reason code (0: none). The rest (venue order
// id, quantities, fill figures) is the caller's to add.
inline OrderUpdate order_update(BotId bot, SequenceNumber client_sequence, InstrumentId instrument,
                                AccountId account, be::OrderEvent event,
                                std::uint16_t reason) noexcept {
  OrderUpdate u;
  u.bot = bot;
  u.client_sequence = client_sequence;
  u.instrument = instrument;
  u.account = account;
  u.event = static_cast<std::uint8_t>(event);
  u.reason = reason;
  return u;
}

class VenueResponses {
 public:
  // `event_time` is the venue's time for the answer (the paper venue's simulated time; a live
  // venue's transaction time), `receive_time` when we learnt it (0: the engine stamps it).
  virtual void respond(const OrderUpdate& update, Nanos event_time,
                       Nanos receive_time) noexcept = 0;
  virtual void respond(const BalanceUpdate& balance, Nanos event_time,
                       Nanos receive_time) noexcept = 0;
  // `account`'s order channel at `venue` was lost (kDisconnected) or (re)established
  // (kConnected); kNoAccount: every account the gateway carries at that venue (a shared
  // connection). Journaled as a Connectivity input (channel kOrders, the account): on
  // kDisconnected the account's orders in flight become unknown and its new orders are refused
  // locally; on kConnected the order stage asks the venue about each unknown order, the
  // account's open orders and its balances (VenueAction kLiveQuery*), and the answers settle
  // them. A live account is disconnected until its first kConnected (and again after every
  // restart: recovery's reconcile marks it so). Sinks that do not care keep the default.
  virtual void order_channel(VenueId venue, AccountId account, ConnectivityState state,
                             Nanos event_time) noexcept {
    (void)account;
    connectivity(venue, state, event_time);
  }
  // The venue-wide form from before accounts: the engine takes it as order_channel(venue,
  // kNoAccount, ...). Market data's connectivity is the feed's, not a gateway's.
  virtual void connectivity(VenueId venue, ConnectivityState state, Nanos event_time) noexcept = 0;

 protected:
  ~VenueResponses() = default;
};

// Answers nobody is waiting for: recovery and replay rebuild a paper venue whose answers
// the journal already holds.
class DiscardResponses final : public VenueResponses {
 public:
  void respond(const OrderUpdate&, Nanos, Nanos) noexcept override {}
  void respond(const BalanceUpdate&, Nanos, Nanos) noexcept override {}
  void connectivity(VenueId, ConnectivityState, Nanos) noexcept override {}
};

// Every answer as the input it becomes, in order: what the engine's feedback ring does, for
// the tests and benchmarks that drive a fold themselves (each answer applied as the next
// input). Allocates as it queues: never on the engine's own path.
class QueuedResponses final : public VenueResponses {
 public:
  void respond(const OrderUpdate& u, Nanos t, Nanos) noexcept override {
    pending.push_back(Event::make(u, t, t));
  }
  void respond(const BalanceUpdate& b, Nanos t, Nanos) noexcept override {
    pending.push_back(Event::make(b, t, t));
  }
  void connectivity(VenueId, ConnectivityState, Nanos) noexcept override {}
  std::deque<Event> pending;
};

// An order the venue holds that we did not send (none of our client ids; found while
// reconciling an account's open orders): reported as an OrderUpdate input with bot kNoBot and
// event kReconciledNew (kReconciledPartial when partly filled), the account, instrument, side
// and venue_order_id set, last_price = its limit price, last_quantity = its original
// quantity, cumulative_quantity = what is filled. The engine counts and shows it
// (AccountView::foreign_orders) and notifies; it never adopts or cancels it.
inline OrderUpdate foreign_order(AccountId account, InstrumentId instrument, Side side,
                                 std::uint64_t venue_order_id, std::int64_t price,
                                 std::int64_t quantity, std::int64_t executed) noexcept {
  OrderUpdate u = order_update(
      kNoBot, 0, instrument, account,
      executed > 0 ? be::OrderEvent::kReconciledPartial : be::OrderEvent::kReconciledNew, 0);
  u.side = side;
  u.venue_order_id = venue_order_id;
  u.last_price = price;
  u.last_quantity = quantity;
  u.cumulative_quantity = executed;
  return u;
}
inline bool is_foreign_order(const OrderUpdate& u) noexcept {
  return u.bot == kNoBot;
}

// What a live account's gateway does with a foreign order it finds (docs/LIVE.md "Foreign
// orders"; the deployment config's `engine.foreign_orders`, per account
// `engine.live_accounts[].foreign_orders`). kReport: the foreign_order() input above, nothing
// else. kCancel: reported, then cancelled at the venue by its venue order id; the outcome is a
// second input for the same order (bot kNoBot, venue_order_id set): kCanceled, or
// kCancelRejected with the venue's reason. Adopting a foreign order (a bot taking it over) is
// not offered: its client id is not ours, so the user-data stream's reports of it name no bot,
// and no bot's state (its grid, its DCA ladder) ever planned it.
enum class ForeignOrderPolicy : std::uint8_t { kReport, kCancel };

class Venue {
 public:
  virtual ~Venue() = default;
  virtual std::string_view name() const noexcept = 0;
  // Sends a new order / a cancel. Errors come back as OrderUpdate rejects, never as throws.
  virtual void submit(const OrderNew& order, Nanos now) noexcept = 0;
  virtual void cancel(const OrderCancel& cancel, Nanos now) noexcept = 0;
  // Reconciliation: the venue answers with a kReconciled* OrderUpdate for this order (by its
  // client id), kReconciledNotFound when it does not know it.
  virtual void query_order(BotId bot, InstrumentId instrument, SequenceNumber client_sequence,
                           Nanos now) noexcept = 0;
  // Reconciliation: the venue answers with one BalanceUpdate per asset it holds.
  virtual void request_balances(AccountId account, Nanos now) noexcept = 0;
  // Reconciliation after a (re)connect: the account's open orders, each answered as a
  // kReconciledNew/kReconciledPartial OrderUpdate (ours by client id; others as
  // foreign_order()), and its recent trades, each fill we may have missed as a kPartialFill /
  // kFill OrderUpdate with its trade_id and cumulative_quantity (the order manager ignores a
  // fill its cumulative quantity already covers, so resending is safe). The paper venue needs
  // none of it: its answers are never lost.
  virtual void query_open_orders(AccountId account, Nanos now) noexcept {
    (void)account, (void)now;
  }
  // Market inputs as the pipeline sequenced them (the paper venue matches on them; a live
  // gateway ignores them). `now` is the input's event time.
  virtual void on_market(const Event& input, Nanos now) noexcept { (void)input, (void)now; }
};

}  // namespace be::oms
