// The live accounts of `botengine run` (live_accounts.hpp).
#include "runner/live_accounts.hpp"

#include <algorithm>
#include <thread>

#include "core/fixed_point.hpp"
#include "core/log.hpp"
#include "engine/format.hpp"
#include "oms/order_stage.hpp"
#include "oms/venues/binance/preflight.hpp"
#include "runner/key_directory.hpp"

namespace be::cli {

namespace {

std::string account_label(AccountId account) {
  return "account " + std::to_string(static_cast<std::uint32_t>(account));
}

// What a gateway is built from: a change of any of it rebuilds the gateway.
std::string signature_of(const engine::AccountView& a) {
  return a.key_name + '\n' + a.key_fingerprint + '\n' + a.rest_url + '\n' + a.ws_api_url;
}

}  // namespace

void GuardedVenue::detach() noexcept {
  gateway_.store(nullptr, std::memory_order_seq_cst);
  while (in_call_.load(std::memory_order_seq_cst))
    std::this_thread::yield();  // a gateway call does not block (oms::Venue): a short wait
}

template <class Call, class Gone>
void GuardedVenue::guarded(Call&& call, Gone&& gone) noexcept {
  in_call_.store(true, std::memory_order_seq_cst);
  if (oms::Venue* gateway = gateway_.load(std::memory_order_seq_cst)) {
    call(*gateway);
  } else {
    gone();
  }
  in_call_.store(false, std::memory_order_release);
}

// A send whose gateway was dropped between venue() and the call: answered as the engine
// answers a send with no gateway (engine/live.cpp), so the order does not wait for ever.
void GuardedVenue::submit(const OrderNew& order, Nanos now) noexcept {
  guarded([&](oms::Venue& v) { v.submit(order, now); },
          [&] {
            OrderUpdate u = oms::order_update(order.bot, order.client_sequence, order.instrument,
                                              order.account, OrderEvent::kRejected,
                                              kLocalRejectBase + oms::kNoLiveVenueReason);
            u.side = order.side;
            responses_->respond(u, now, 0);
          });
}

void GuardedVenue::cancel(const OrderCancel& cancel, Nanos now) noexcept {
  guarded([&](oms::Venue& v) { v.cancel(cancel, now); },
          [&] {
            responses_->respond(
                oms::order_update(cancel.bot, cancel.client_sequence, cancel.instrument,
                                  cancel.account, OrderEvent::kCancelRejected,
                                  kLocalRejectBase + oms::kNoLiveVenueReason),
                now, 0);
          });
}

// Questions to a dropped gateway stay unasked, as without a gateway: the orders stay unknown
// until the account's next gateway connects and reconciles.
void GuardedVenue::query_order(BotId bot, InstrumentId instrument, SequenceNumber client_sequence,
                               Nanos now) noexcept {
  guarded([&](oms::Venue& v) { v.query_order(bot, instrument, client_sequence, now); }, [] {});
}

void GuardedVenue::request_balances(AccountId account, Nanos now) noexcept {
  guarded([&](oms::Venue& v) { v.request_balances(account, now); }, [] {});
}

void GuardedVenue::query_open_orders(AccountId account, Nanos now) noexcept {
  guarded([&](oms::Venue& v) { v.query_open_orders(account, now); }, [] {});
}

LiveAccounts::LiveAccounts(engine::Engine& engine, const engine::InstrumentTable& instruments,
                           LiveAccountsOptions options, const IngressClock& wall_clock)
    : engine_(engine),
      instruments_(instruments),
      options_(std::move(options)),
      wall_clock_(wall_clock) {
  for (GuardedVenue& slot : table_)
    slot.bind(engine_.venue_responses());
}

LiveAccounts::~LiveAccounts() {
  stop();
}

oms::Venue* LiveAccounts::venue(AccountId account) noexcept {
  const auto i = static_cast<std::uint32_t>(account);
  return i < table_.size() && table_[i].attached() ? &table_[i] : nullptr;
}

binance::GatewayConfig LiveAccounts::gateway_config(const engine::AccountView& a) const {
  binance::GatewayConfig c;
  c.rest_url = a.rest_url;
  c.ws_api_url = a.ws_api_url;
  c.tls = options_.tls;
  c.venue = options_.venue;
  c.account = a.id;
  c.foreign_orders = options_.foreign_orders;
  for (const auto& settings : options_.account_settings)
    if (settings.account == index_of(a.id)) c.foreign_orders = settings.foreign_orders;
  for (std::size_t i = 0; i < instruments_.size(); ++i) {
    const InstrumentDefined& d = instruments_.definition(i);
    if (d.venue == options_.venue) c.instruments.push_back(d);
  }
  // The engine's asset ids, so the gateway's balances land on the fold's assets.
  const auto& names = instruments_.assets();
  for (std::size_t i = 0; i < names.size(); ++i) {
    c.assets.push_back(binance::AssetDef{AssetId{static_cast<std::uint16_t>(i)}, names[i],
                                         static_cast<std::uint8_t>(instruments_.asset_scale(i))});
  }
  return c;
}

Expected<oms::Venue*, LiveAccounts::Refusal> LiveAccounts::build(const engine::AccountView& a) {
  const std::string who = account_label(a.id);
  const auto local = [](std::string reason) {
    return Unexpected{Refusal{std::move(reason), false}};
  };
  if (a.key_name.empty()) return local(who + ": no API key attached");
  if (!options_.master) {
    return local(who + ": no master key to read its API key with (--master-key-file or " +
                 std::string(binance::kMasterKeyEnv) + ")");
  }
  const auto path = key_entry_path(options_.keys_dir, a.key_name);
  if (!path) return local(who + ": key store: " + path.error());
  auto credentials = binance::load_credentials(path->string(), *options_.master);
  if (!credentials)
    return local(who + ": key store entry '" + a.key_name + "': " + credentials.error());
  // The journal holds the fingerprint of the key attached: a file replaced since is refused.
  if (key_fingerprint(credentials->api_key.reveal()) != a.key_fingerprint) {
    return local(who + ": key store entry '" + a.key_name +
                 "' holds another API key than the one attached (fingerprints differ)");
  }
  const binance::GatewayConfig config = gateway_config(a);
  if (auto checked = binance::preflight(config, *credentials); !checked) {
    // "account <id>: <reason>" already; the venue's side may clear it (a key enabled, the
    // clock fixed, the filters changed back, the venue back up).
    return Unexpected{Refusal{checked.error(), true}};
  }
  if (!hub_) {
    binance::HubConfig hub;
    hub.venue = options_.venue;
    hub.max_accounts = std::min(options_.max_live_accounts, binance::kMaxAccountsPerHub);
    hub_ = std::make_unique<binance::BinanceVenueHub>(hub, engine_.venue_responses(), wall_clock_);
  }
  auto added = hub_->add_account(config, std::move(*credentials));
  if (!added) return Unexpected{Refusal{added.error(), true}};
  return *added;
}

void LiveAccounts::drop(std::uint32_t account) {
  const auto it = known_.find(account);
  if (it == known_.end()) return;
  if (it->second.built) {
    // The engine stops using the gateway before it goes: a send meanwhile is a local reject.
    table_[account].detach();
    hub_->remove_account(AccountId{account});
    --connected_;
  }
  known_.erase(it);
}

void LiveAccounts::connect(const engine::AccountView& a, Known& k,
                           std::vector<std::string>& refusals) {
  const std::size_t cap = std::min(options_.max_live_accounts, binance::kMaxAccountsPerHub);
  ++k.attempts;
  Expected<oms::Venue*, Refusal> venue =
      connected_ >= cap
          ? Expected<oms::Venue*, Refusal>(
                Unexpected{Refusal{account_label(a.id) + ": over the runner's cap of " +
                                       std::to_string(cap) + " live accounts",
                                   true}})
          : (engine_.set_live_account_status(a.id, engine::LiveConnection::kConnecting, ""),
             build(a));
  if (!venue) {
    k.retryable = venue.error().retryable;
    std::string reason = venue.error().reason;
    if (k.retryable) {
      const auto ns = [](std::chrono::milliseconds d) {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
      };
      k.wait = k.wait == 0 ? ns(options_.refusal_retry_initial)
                           : std::min(k.wait * 2, ns(options_.refusal_retry_max));
      k.retry_at = monotonic_now() + k.wait;
      reason += " (attempt " + std::to_string(k.attempts) + "; trying again in " +
                std::to_string((k.wait + 999'999'999) / 1'000'000'000) + " s)";
    }
    // Logged by the engine as it takes the status (naming the account).
    engine_.set_live_account_status(a.id, engine::LiveConnection::kRefused, reason);
    refusals.push_back(std::move(reason));
    return;
  }
  k.built = true;
  k.retryable = false;
  ++connected_;
  table_[index_of(a.id)].attach(*venue);
  engine_.set_live_account_status(a.id, engine::LiveConnection::kConnected, "");
  log::write(log::Level::kInfo, log::kRun,
             account_label(a.id) + " (" + a.name + ") live on " + a.rest_url +
                 (k.attempts > 1 ? " after " + std::to_string(k.attempts) + " attempts" : ""));
}

std::vector<std::string> LiveAccounts::sync(const engine::ReadModel& model) {
  std::vector<std::string> refusals;
  for (const engine::AccountView& a : model.accounts) {
    const auto id = static_cast<std::uint32_t>(a.id);
    if (a.mode != "live" || a.venue != options_.venue_name || id >= table_.size()) continue;
    const auto it = known_.find(id);
    if (a.removed || options_.dry_run) {
      drop(id);
      continue;
    }
    const std::string signature = signature_of(a);
    if (it != known_.end() && it->second.signature == signature) {
      Known& k = it->second;
      // Refused for a cause that may have cleared: once its wait is over, again.
      if (!k.built && k.retryable && monotonic_now() >= k.retry_at) connect(a, k, refusals);
      continue;
    }
    drop(id);
    Known& k = known_[id];
    k.signature = signature;
    connect(a, k, refusals);
  }
  // Accounts gone from the model altogether.
  for (auto it = known_.begin(); it != known_.end();) {
    const auto id = (it++)->first;
    if (model.find_account(AccountId{id}) == nullptr) drop(id);
  }
  return refusals;
}

Expected<bool, std::string> LiveAccounts::journal_venue_filters(const engine::ReadModel& model) {
  if (filters_journaled_) return true;
  const engine::AccountView* first = nullptr;
  for (const auto& a : model.accounts)
    if (a.mode == "live" && !a.removed && a.venue == options_.venue_name) {
      first = &a;
      break;
    }
  if (first == nullptr) return Unexpected{std::string("no live account")};
  const binance::GatewayConfig config = gateway_config(*first);
  auto info = binance::fetch_exchange_info(config, config.instruments);
  if (!info) return Unexpected{"exchangeInfo from " + first->rest_url + ": " + info.error()};
  std::vector<engine::Engine::VenueFilter> filters;
  for (const auto& s : info->symbols) {
    filters.push_back({s.symbol, decimal_to_string(s.tick_size, 8),
                       decimal_to_string(s.step_size, 8), decimal_to_string(s.min_notional, 8)});
  }
  const auto result = engine_.define_venue_filters(options_.venue_name, filters);
  if (result.status != engine::CommandStatus::kAccepted) {
    return Unexpected{"the engine refused the venue's filters: " + result.message};
  }
  filters_journaled_ = true;
  return true;
}

void LiveAccounts::stop() noexcept {
  for (GuardedVenue& slot : table_)
    slot.detach();
  if (hub_) hub_->stop();
  known_.clear();
  connected_ = 0;
}

}  // namespace be::cli
