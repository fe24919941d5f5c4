// The live accounts of `botengine run` (docs/LIVE.md): for each live account of the directory
// (the read model's AccountView with mode "live", not removed, a key attached) one Binance
// gateway on the runner's BinanceVenueHub (shared threads, oms/venues/binance/hub.hpp), its
// keys read from the key store (<data dir>/keys, under the master key) and checked by
// preflight (clock offset within recvWindow, a signed test call, the deployment's filters
// equal the venue's) before the gateway is handed to the engine through its seam
// (engine/live_venues.hpp). A refusal names the account and the reason, in the log and in the
// account's view (Engine::set_live_account_status), and never quotes a key.
//
// sync() is called at start and then every 200 ms: an account that appears, is removed, or
// whose key or URLs change is (re)built or dropped, and a refused account whose cause may clear
// (preflight's checks, the cap) is tried again on a bounded backoff (refusal_retry_*). Past
// `max_live_accounts` (and the hub's own cap, kMaxAccountsPerHub) an account is refused ("over
// the runner's cap").
//
// With dry_run no gateway is built: the engine answers live accounts' orders with the paper
// venue (EngineConfig::dry_run), and sync() only reports them as such.
//
// Thread-safety: venue() and the calls on what it returns on the engine's order thread,
// lock-free; sync() and stop() on the runner's control thread. The engine gets a GuardedVenue
// per account, never the hub's gateway itself: sync() may drop a gateway (account removed or
// re-keyed) while the engine is inside a call on it, so the guard detaches the gateway and
// waits for that call to return before the hub destroys it; a send that finds it detached is
// answered as one that found no gateway (a local reject, kNoLiveVenueReason). Lifetime:
// attach to the engine before it starts; stop() after the engine stopped (the gateways answer
// into the engine).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "engine/engine.hpp"
#include "engine/live_venues.hpp"
#include "net/tls_client.hpp"
#include "oms/ledger.hpp"
#include "oms/venues/binance/hub.hpp"
#include "oms/venues/binance/key_store.hpp"

namespace be::cli {

struct LiveAccountsOptions {
  std::filesystem::path keys_dir;                    // <data dir>/keys
  std::shared_ptr<const binance::MasterKey> master;  // null: every live account refused
  std::size_t max_live_accounts = 1000;
  net::TlsClientOptions tls;  // trust for https/wss venues (a simulator's throwaway CA)
  bool dry_run = false;
  std::string venue_name = "binance";  // the accounts' venue this runner connects
  VenueId venue{};
  // Foreign orders (docs/LIVE.md "Foreign orders"): the deployment's default and its
  // per-account entries (engine.foreign_orders, engine.live_accounts).
  oms::ForeignOrderPolicy foreign_orders = oms::ForeignOrderPolicy::kReport;
  std::vector<engine::EngineConfig::LiveAccountSettings> account_settings;
  // A refusal the venue's side may clear (preflight: the signed test call, the clock offset,
  // the filters, the venue unreachable; the runner's cap) is tried again after
  // refusal_retry_initial, doubling up to refusal_retry_max, for as long as the account
  // stays live: the wait is bounded, the attempts are not (docs/LIVE.md, 4.).
  std::chrono::milliseconds refusal_retry_initial{1'000};
  std::chrono::milliseconds refusal_retry_max{60'000};
};

// One account's gateway as the engine holds it (see Thread-safety above). The engine's thread
// marks itself inside a call before it reads the gateway; detach() clears the gateway, then
// waits while a call is inside. Both sides sequentially consistent, so either the call sees
// the gateway gone or detach() sees the call and waits: never a call on a destroyed gateway.
class GuardedVenue final : public oms::Venue {
 public:
  void bind(oms::VenueResponses& responses) noexcept { responses_ = &responses; }
  void attach(oms::Venue* gateway) noexcept { gateway_.store(gateway, std::memory_order_seq_cst); }
  // Returns once no call of the engine's thread uses the gateway it had.
  void detach() noexcept;
  bool attached() const noexcept { return gateway_.load(std::memory_order_acquire) != nullptr; }

  std::string_view name() const noexcept override { return "binance"; }
  void submit(const OrderNew& order, Nanos now) noexcept override;
  void cancel(const OrderCancel& cancel, Nanos now) noexcept override;
  void query_order(BotId bot, InstrumentId instrument, SequenceNumber client_sequence,
                   Nanos now) noexcept override;
  void request_balances(AccountId account, Nanos now) noexcept override;
  void query_open_orders(AccountId account, Nanos now) noexcept override;

 private:
  // Runs `call` on the gateway, or `gone` when it was detached meanwhile.
  template <class Call, class Gone>
  void guarded(Call&& call, Gone&& gone) noexcept;
  std::atomic<oms::Venue*> gateway_{nullptr};
  std::atomic<bool> in_call_{false};
  oms::VenueResponses* responses_ = nullptr;
};

class LiveAccounts final : public engine::LiveVenues {
 public:
  // `instruments` and `engine` outlive this object.
  LiveAccounts(engine::Engine& engine, const engine::InstrumentTable& instruments,
               LiveAccountsOptions options, const IngressClock& wall_clock);
  ~LiveAccounts();
  LiveAccounts(const LiveAccounts&) = delete;
  LiveAccounts& operator=(const LiveAccounts&) = delete;

  oms::Venue* venue(AccountId account) noexcept override;

  // Brings the gateways in line with the model's live accounts. Returns the refusals this
  // call made, each "account <id>: <reason>" (already logged and shown on the account).
  std::vector<std::string> sync(const engine::ReadModel& model);
  // The venue's exchangeInfo filters for the deployment's instruments, fetched from the first
  // live account's REST URL and journaled through Engine::define_venue_filters (once).
  // Error: why not (no live account, the venue unreachable, the engine refused them).
  Expected<bool, std::string> journal_venue_filters(const engine::ReadModel& model);
  std::size_t connected() const noexcept { return connected_; }
  void stop() noexcept;

 private:
  struct Known {
    std::string signature;  // key, fingerprint and URLs: a change rebuilds the gateway
    bool built = false;     // false: refused (shown on the account)
    // Refused for a cause the venue's side may clear: tried again at retry_at (monotonic),
    // then after twice the wait. Refused for a local cause (no key, no master key, the key
    // store): only a change of the signature tries again.
    bool retryable = false;
    Nanos retry_at = 0;
    Nanos wait = 0;
    std::uint32_t attempts = 0;
  };
  // Why an account was not built, and whether trying again later may succeed.
  struct Refusal {
    std::string reason;
    bool retryable = false;
  };
  // Builds one account's gateway, or why not.
  Expected<oms::Venue*, Refusal> build(const engine::AccountView& account);
  // One attempt for the account (new, re-keyed, or a due retry): built, or refused and shown.
  void connect(const engine::AccountView& account, Known& known,
               std::vector<std::string>& refusals);
  void drop(std::uint32_t account);
  binance::GatewayConfig gateway_config(const engine::AccountView& account) const;

  engine::Engine& engine_;
  const engine::InstrumentTable& instruments_;
  LiveAccountsOptions options_;
  const IngressClock& wall_clock_;
  // Made at the first live account to build: a paper-only deployment starts no hub thread.
  std::unique_ptr<binance::BinanceVenueHub> hub_;
  std::array<GuardedVenue, oms::kAccountCapacity> table_{};
  std::map<std::uint32_t, Known> known_;
  std::size_t connected_ = 0;
  bool filters_journaled_ = false;
};

}  // namespace be::cli
