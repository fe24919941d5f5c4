// The seam between the engine and the live venues of a deployment (docs/ACCOUNTS.md "Live
// accounts"). The runner builds one gateway (an oms::Venue) per live account (multiplexed
// over shared I/O threads by oms/venues/binance's hub) and attaches them to the engine through
// this interface before Engine::start; the engine never builds a gateway and never knows a key.
//
// What crosses the seam, and on which thread:
//
//   engine -> gateway   LiveVenues::venue(account)->submit/cancel/query_order/
//                       request_balances/query_open_orders, on the thread that finishes
//                       inputs (fused: be-seq; pipelined: be-orders), only after the records
//                       of the input that decided them were appended to the journal, and in
//                       durable mode only once that input is durable (the fold holds the
//                       sends until a kReleaseTimer input releases them, as for paper).
//   gateway -> engine   Engine::venue_responses(): OrderUpdate / BalanceUpdate answers and
//                       each account's order-channel state (VenueResponses::order_channel),
//                       from any thread; each becomes a journaled input, so a replay folds
//                       exactly what the venue said, in the order the engine took it.
//   runner -> engine    Engine::set_live_account_status (connecting / connected / refused and
//                       why: shown in AccountView; not journaled, it is not business state)
//                       and Engine::define_venue_filters (exchangeInfo's filters, journaled
//                       as InstrumentDefined inputs so a replay applies the same filters).
//
// The fold decides what goes to the venue and journals it (OrderNew, OrderCancel); only the
// delivery is the caller's. So recovery, `replay --verify` and backtests, which attach no
// LiveVenues, rebuild the same state from the journal: the venue's answers are inputs there.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/ids.hpp"
#include "oms/venue.hpp"

namespace be::engine {

// What the runner knows about a live account's gateway (AccountView::connection).
enum class LiveConnection : std::uint8_t {
  kNone = 0,      // no gateway: a paper account, dry run, or no LiveVenues attached
  kConnecting,    // preflight and logon under way
  kConnected,     // orders flow
  kDisconnected,  // lost; the gateway reconnects (orders in flight are unknown until then)
  kRefused,       // preflight refused the account (keys, filters, clock): never connects
};
std::string_view to_string(LiveConnection state) noexcept;

class LiveVenues {
 public:
  // The gateway that carries `account`'s orders, or nullptr when it has none (refused at
  // preflight, never built, removed). Called on the thread that finishes inputs, once per
  // live action: must not block, lock or allocate (a table lookup). The returned Venue's
  // calls are made on that same thread and must not block either (a gateway writes a ready
  // frame or queues it for its I/O thread). A nullptr answer makes the engine loop back a
  // local reject to the order's bot (reason kNoLiveVenueReason, oms/order_stage.hpp).
  virtual oms::Venue* venue(AccountId account) noexcept = 0;

 protected:
  ~LiveVenues() = default;
};

}  // namespace be::engine
