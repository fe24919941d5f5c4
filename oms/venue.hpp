// What the order manager stage talks to: a venue gateway (the paper venue, Binance spot).
//
// The order manager hands a gateway the orders and cancels it decided (the derived OrderNew
// and OrderCancel records) and the reconciliation questions it has; the gateway answers only
// through VenueResponses, with OrderUpdate and BalanceUpdate records that the engine stamps
// and journals as inputs. So every venue answer, paper or live, is replayable, and the fold
// never depends on when a socket happened to deliver.
//
// Threads: submit/cancel/query_order/request_balances/on_market are called on the order
// manager stage's thread and must not block (a live gateway queues the request for its own
// I/O thread). VenueResponses::respond may be called from any thread (the engine's sink is the
// multi-producer ingress).
#pragma once

#include <cstdint>
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
  // The gateway lost (kDisconnected) or regained (kConnected) its order channel; the order
  // manager marks in-flight orders unknown and reconciles after a reconnect.
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
  // Market inputs as the pipeline sequenced them (the paper venue matches on them; a live
  // gateway ignores them). `now` is the input's event time.
  virtual void on_market(const Event& input, Nanos now) noexcept { (void)input, (void)now; }
};

}  // namespace be::oms
