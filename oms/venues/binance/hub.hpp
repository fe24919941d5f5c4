// BinanceVenueHub: every live account of one Binance venue, multiplexed on a fixed set of
// threads, so the thread count does not grow with the accounts.
//
//   engine (order manager thread)         hub threads (fixed, whatever the account count)
//   account A's Venue --submit/cancel-->  WS API frame written for A's session
//   account B's Venue --REST fallback-->  A's / B's SpscRing --> RestPool: `rest_workers`
//   ...                                     threads; each runs one account's queue at a time
//                                           (its requests stay in order), keep-alive HTTP per
//                                           (worker, origin)
//                                         net::IoThreads: `io_threads` threads, each an
//                                           io_context; every account's WebSocket API session
//                                           (logon, user-data subscription, answers) is
//                                           pinned to one of them, round robin
//
// Threads of a hub: io_threads, plus Asio's resolver thread per io_context (started at the
// first connection), plus rest_workers, plus a resolver thread per worker and REST origin
// (started at its first request). Defaults (1 I/O thread, 2 REST workers, one origin): 6
// threads whatever the account count (tests/binance/hub_test.cpp counts /proc/self/task: 6 for
// 5 accounts and for 50); standalone gateways take 4 per account. A standalone
// BinanceSpotGateway is a hub of one account on its own threads (gateway.hpp).
//
// Per account, unchanged from the gateway (gateway.hpp): orders over the WebSocket API while
// its session is up, REST otherwise; the user-data stream by subscription; reconciliation at
// start and after every reconnect; rate limits per account (REST headers, rateLimits).
//
// The cap (kMaxAccountsPerHub, HubConfig::max_accounts): 300 accounts per hub. Not the
// threads (fixed) nor memory (~0.3 MB per account: its queues, pending-request table and read
// buffer; hub_test measured 280 KiB) nor descriptors (one WebSocket connection per account;
// REST connections are per worker): what binds is Binance's per-IP limits, which every
// account of a runner shares. The WebSocket API takes 300 connections per 5 minutes per IP,
// and each account holds one session: with 300 accounts, a venue-wide drop (maintenance, a
// network cut) is recovered within one such window, each account reconnected, logged on and
// reconciled; with 1,000 it would take over 15 minutes, orders meanwhile on REST. Coming up
// also costs each account ~30 request weight (time, account, open orders, session): 300
// accounts spend ~9,000, 1.5 minutes of the IP's 6,000 per minute. More accounts: more
// runners, on other IPs. docs/BINANCE.md ("Many accounts").
//
// Errors name the account ("account 7: ...") and never quote a key.
// Thread-safety: add_account/remove_account/stop from one control thread (the runner's);
// each returned Venue is called as oms::Venue says (its order manager's thread); stats() from
// any thread. Lifetime: `responses` and `wall_clock` outlive the hub; a Venue* is valid until
// remove_account of its account or the hub's stop()/destructor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/expected.hpp"
#include "core/ids.hpp"
#include "oms/venue.hpp"
#include "oms/venues/binance/gateway.hpp"
#include "oms/venues/binance/key_store.hpp"

namespace be::binance {

inline constexpr std::size_t kMaxAccountsPerHub = 300;

struct HubConfig {
  VenueId venue{};
  std::size_t io_threads = 1;    // WebSocket API sessions, all accounts
  std::size_t rest_workers = 2;  // REST requests, all accounts (bounded pool)
  std::size_t max_accounts = kMaxAccountsPerHub;
};

struct HubStats {
  std::size_t accounts = 0;
  std::size_t io_threads = 0;
  std::size_t rest_workers = 0;
};

class BinanceVenueHub {
 public:
  // Starts the hub's threads (I/O and REST pool). `responses` receives every account's
  // answers (each carries its account id).
  BinanceVenueHub(HubConfig config, oms::VenueResponses& responses, const IngressClock& wall_clock);
  ~BinanceVenueHub();
  BinanceVenueHub(const BinanceVenueHub&) = delete;
  BinanceVenueHub& operator=(const BinanceVenueHub&) = delete;

  // Adds and starts one account's gateway on the hub's threads (its config's venue must be
  // the hub's). Errors: "account <id>: <reason>" (already added, hub full, a bad URL, no or
  // unreadable credentials, no instruments), never quoting the key.
  Expected<oms::Venue*, std::string> add_account(GatewayConfig config, ApiCredentials credentials);
  // Stops the account's session and drops its queued work; false when it is not here. Waits
  // for a REST request of the account in progress (at most its request_timeout).
  bool remove_account(AccountId account);
  // nullptr when the account is not here.
  oms::Venue* venue(AccountId account) const;
  // Every account's gateway statistics, by account id.
  std::vector<std::pair<AccountId, GatewayStats>> account_stats() const;
  HubStats stats() const;
  // Stops every account, then the threads. Idempotent; the destructor calls it.
  void stop() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace be::binance
