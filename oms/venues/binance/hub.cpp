#include "oms/venues/binance/hub.hpp"

#include <map>
#include <mutex>
#include <utility>

#include "net/io_threads.hpp"
#include "oms/venues/binance/rate_gate.hpp"
#include "oms/venues/binance/rest_pool.hpp"

namespace be::binance {

struct BinanceVenueHub::Impl {
  Impl(HubConfig c, oms::VenueResponses& r, const IngressClock& w)
      : config(c), responses(r), wall(w), io(c.io_threads), rest(c.rest_workers) {}

  HubConfig config;
  oms::VenueResponses& responses;
  const IngressClock& wall;
  net::IoThreads io;
  RestPool rest;
  mutable std::mutex mutex;
  std::map<std::uint32_t, std::unique_ptr<BinanceSpotGateway>> accounts;  // by account index
  // The host's request weight, which Binance counts per IP: every account's requests spend
  // it (rate_gate.hpp). Made with the first account's ceiling and window.
  std::shared_ptr<IpWeightGate> ip_weight;
  bool stopped = false;
};

namespace {

std::string refusal(AccountId account, std::string_view why) {
  return "account " + std::to_string(index_of(account)) + ": " + std::string(why);
}

}  // namespace

BinanceVenueHub::BinanceVenueHub(HubConfig config, oms::VenueResponses& responses,
                                 const IngressClock& wall_clock)
    : impl_(std::make_unique<Impl>(config, responses, wall_clock)) {}

BinanceVenueHub::~BinanceVenueHub() {
  stop();
}

Expected<oms::Venue*, std::string> BinanceVenueHub::add_account(GatewayConfig config,
                                                                ApiCredentials credentials) {
  Impl& s = *impl_;
  const AccountId account = config.account;
  std::lock_guard lock(s.mutex);
  if (s.stopped) return Unexpected(refusal(account, "the hub is stopped"));
  if (config.venue != s.config.venue) {
    return Unexpected(refusal(account, "venue " + std::to_string(index_of(config.venue)) +
                                           " is not this hub's (" +
                                           std::to_string(index_of(s.config.venue)) + ")"));
  }
  if (s.accounts.contains(index_of(account))) return Unexpected(refusal(account, "already added"));
  if (s.accounts.size() >= s.config.max_accounts) {
    return Unexpected(refusal(account, "the hub is full (" + std::to_string(s.config.max_accounts) +
                                           " accounts per hub)"));
  }
  if (!s.ip_weight)
    s.ip_weight = std::make_shared<IpWeightGate>(config.weight_limit, config.weight_window_ms);
  auto gateway =
      std::make_unique<BinanceSpotGateway>(std::move(config), std::move(credentials), s.responses,
                                           s.wall, GatewayThreads{&s.io, &s.rest, s.ip_weight});
  if (auto started = gateway->start(); !started)
    return Unexpected(refusal(account, started.error()));
  oms::Venue* venue = gateway.get();
  s.accounts.emplace(index_of(account), std::move(gateway));
  return venue;
}

bool BinanceVenueHub::remove_account(AccountId account) {
  std::unique_ptr<BinanceSpotGateway> gone;
  {
    std::lock_guard lock(impl_->mutex);
    auto it = impl_->accounts.find(index_of(account));
    if (it == impl_->accounts.end()) return false;
    gone = std::move(it->second);
    impl_->accounts.erase(it);
  }
  gone->stop();
  return true;
}

oms::Venue* BinanceVenueHub::venue(AccountId account) const {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->accounts.find(index_of(account));
  return it == impl_->accounts.end() ? nullptr : it->second.get();
}

std::vector<std::pair<AccountId, GatewayStats>> BinanceVenueHub::account_stats() const {
  std::lock_guard lock(impl_->mutex);
  std::vector<std::pair<AccountId, GatewayStats>> out;
  for (const auto& [index, gateway] : impl_->accounts)
    out.emplace_back(AccountId{index}, gateway->stats());
  return out;
}

HubStats BinanceVenueHub::stats() const {
  std::lock_guard lock(impl_->mutex);
  return HubStats{impl_->accounts.size(), impl_->io.size(), impl_->rest.workers()};
}

void BinanceVenueHub::stop() noexcept {
  std::map<std::uint32_t, std::unique_ptr<BinanceSpotGateway>> all;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopped = true;
    all.swap(impl_->accounts);
  }
  for (auto& [index, gateway] : all)
    gateway->stop();
}

}  // namespace be::binance
