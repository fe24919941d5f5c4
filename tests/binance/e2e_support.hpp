// What the gateway's and the hub's tests against the mock exchange share: the engine's side
// of VenueResponses (a Recorder to wait on), the instrument, the venue's and the gateway's
// configurations, orders.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "net/http_client.hpp"
#include "net/url.hpp"
#include "oms/order.hpp"
#include "oms/order_state_machine.hpp"
#include "oms/venues/binance/gateway.hpp"
#include "oms/venues/binance/signing.hpp"
#include "sim/binance/mock_exchange.hpp"
#include "tests/support/payload_fields.hpp"

namespace be::binance::e2e {

using namespace std::chrono_literals;
using oms::OrderEvent;

constexpr auto kWait = 10s;
constexpr BotId kBot{4};
constexpr AccountId kAccount{1};
constexpr VenueId kVenue{2};
constexpr InstrumentId kBtc{7};
constexpr std::int64_t kE8 = 100'000'000;

struct Recorded {
  OrderUpdate update;
  Nanos event_time;
};

// The engine's side of VenueResponses: records everything, lets the test wait for it.
class Recorder final : public oms::VenueResponses {
 public:
  void respond(const OrderUpdate& u, Nanos t, Nanos) noexcept override {
    std::lock_guard lock(mutex_);
    updates_.push_back({u, t});
    cv_.notify_all();
  }
  void respond(const BalanceUpdate& b, Nanos, Nanos) noexcept override {
    std::lock_guard lock(mutex_);
    balances_.push_back(b);
    cv_.notify_all();
  }
  void order_channel(VenueId venue, AccountId account, ConnectivityState s,
                     Nanos t) noexcept override {
    {
      std::lock_guard lock(mutex_);
      channels_.emplace_back(account, s);
    }
    connectivity(venue, s, t);
  }
  // Accounts that reported kConnected at least once (under the lock, by wait predicates).
  std::size_t connected_accounts_locked() const {
    std::vector<AccountId> seen;
    for (const auto& [account, state] : channels_) {
      if (state == ConnectivityState::kConnected &&
          std::find(seen.begin(), seen.end(), account) == seen.end()) {
        seen.push_back(account);
      }
    }
    return seen.size();
  }
  void connectivity(VenueId, ConnectivityState s, Nanos) noexcept override {
    std::lock_guard lock(mutex_);
    states_.push_back(s);
    cv_.notify_all();
  }

  bool wait(const std::function<bool()>& pred, std::chrono::milliseconds timeout = kWait) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, pred);
  }
  // Called under the lock by wait predicates.
  int count_locked(SequenceNumber seq, OrderEvent e) const {
    return static_cast<int>(std::count_if(updates_.begin(), updates_.end(), [&](const Recorded& r) {
      return r.update.client_sequence == seq && r.update.event == static_cast<std::uint8_t>(e);
    }));
  }
  int count_for_account_locked(SequenceNumber seq, OrderEvent e, AccountId account) const {
    return static_cast<int>(std::count_if(updates_.begin(), updates_.end(), [&](const Recorded& r) {
      return r.update.client_sequence == seq && r.update.event == static_cast<std::uint8_t>(e) &&
             r.update.account == account;
    }));
  }
  int connected_locked() const {
    return static_cast<int>(
        std::count(states_.begin(), states_.end(), ConnectivityState::kConnected));
  }
  int disconnected_locked() const {
    return static_cast<int>(
        std::count(states_.begin(), states_.end(), ConnectivityState::kDisconnected));
  }

  bool wait_event(SequenceNumber seq, OrderEvent e, int n = 1) {
    return wait([&] { return count_locked(seq, e) >= n; });
  }
  int count(SequenceNumber seq, OrderEvent e) {
    std::lock_guard lock(mutex_);
    return count_locked(seq, e);
  }
  std::vector<Recorded> updates_for(SequenceNumber seq) {
    std::lock_guard lock(mutex_);
    std::vector<Recorded> out;
    for (const auto& r : updates_)
      if (r.update.client_sequence == seq) out.push_back(r);
    return out;
  }
  std::optional<OrderUpdate> last(SequenceNumber seq, OrderEvent e) {
    std::lock_guard lock(mutex_);
    for (auto it = updates_.rbegin(); it != updates_.rend(); ++it)
      if (it->update.client_sequence == seq && it->update.event == static_cast<std::uint8_t>(e))
        return it->update;
    return std::nullopt;
  }
  const std::vector<Recorded>& updates_locked() const { return updates_; }
  std::size_t balance_count() {
    std::lock_guard lock(mutex_);
    return balances_.size();
  }
  std::vector<BalanceUpdate> balances() {
    std::lock_guard lock(mutex_);
    return balances_;
  }
  std::vector<ConnectivityState> states() {
    std::lock_guard lock(mutex_);
    return states_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Recorded> updates_;
  std::vector<BalanceUpdate> balances_;
  std::vector<ConnectivityState> states_;
  std::vector<std::pair<AccountId, ConnectivityState>> channels_;
};

inline InstrumentDefined btcusdt() {
  // Finer scales than the engine would use, coarser than the venue's 8: the gateway converts.
  return {.instrument = kBtc,
          .venue = kVenue,
          .price_scale = 4,
          .qty_scale = 6,
          .symbol = test::symbol_field("BTCUSDT"),
          .base_asset = test::asset_field("BTC"),
          .quote_asset = test::asset_field("USDT")};
}

inline mock::MockConfig mock_config() {
  mock::MockConfig c;
  c.api_key = "e2e-api-key";
  c.secret = "e2e-secret-value";
  mock::MockSymbol s;
  s.symbol = "BTCUSDT";
  s.base = "BTC";
  s.quote = "USDT";
  s.tick_size = 1'000'000;        // 0.01
  s.step_size = 1'000;            // 0.00001
  s.min_qty = 1'000;              // 0.00001
  s.min_notional = 5 * kE8;       // 5 USDT
  s.market_price = 50'000 * kE8;  // 50000
  c.symbols.push_back(s);
  c.balances.push_back({"USDT", 10'000 * kE8, 0});
  c.balances.push_back({"BTC", 1 * kE8, 0});
  return c;
}

inline GatewayConfig gateway_config(std::string rest_url, std::string ws_api_url) {
  GatewayConfig g;
  g.rest_url = std::move(rest_url);
  g.ws_api_url = std::move(ws_api_url);
  g.venue = kVenue;
  g.account = kAccount;
  g.instruments = {btcusdt()};
  g.request_timeout = 1000ms;
  g.reconnect_delay = 20ms;
  g.max_reconnect_delay = 200ms;
  g.retry_delay = 10ms;
  g.weight_limit = 1'000'000;  // leave the limiting to the venue unless a test says otherwise
  return g;
}

inline GatewayConfig gateway_config(const mock::MockExchange& mock) {
  return gateway_config(mock.rest_url(), mock.ws_api_url());
}

// Orders over REST only: the fallback path the WS API session's absence leads to.
inline void rest_orders(GatewayConfig& g) {
  g.order_entry = GatewayConfig::OrderEntry::kRest;
}

inline ApiCredentials credentials(std::string_view secret = "e2e-secret-value") {
  return ApiCredentials{SecretString("e2e-api-key"), SecretString(secret)};
}

inline std::string client_id(SequenceNumber seq) {
  std::array<char, oms::kClientOrderIdMaxChars> buf{};
  const std::size_t n = oms::format_client_order_id({kBot, seq}, buf);
  return std::string(buf.data(), n);
}

inline OrderNew limit(SequenceNumber seq, Side side, std::int64_t price, std::int64_t qty) {
  return {.bot = kBot,
          .instrument = kBtc,
          .client_sequence = seq,
          .account = kAccount,
          .side = side,
          .order_type = static_cast<std::uint8_t>(OrderType::kLimit),
          .time_in_force = static_cast<std::uint8_t>(TimeInForce::kGtc),
          .price = price,
          .quantity = qty};
}

inline OrderNew market(SequenceNumber seq, Side side, std::int64_t qty) {
  OrderNew o = limit(seq, side, 0, qty);
  o.order_type = static_cast<std::uint8_t>(OrderType::kMarket);
  return o;
}

inline OrderCancel cancel_of(SequenceNumber seq) {
  return {.bot = kBot, .instrument = kBtc, .client_sequence = seq, .account = kAccount};
}

// Prices at scale 4, quantities at scale 6 (the gateway's instrument).
constexpr std::int64_t px(std::int64_t whole) {
  return whole * 10'000;
}
constexpr std::int64_t qty_micro(std::int64_t micro) {
  return micro;  // 1 = 0.000001 BTC
}

// A signed REST request straight to the venue, as another program on the same key would send
// it (the gateway knows nothing of it).
inline net::HttpResponse signed_rest(const mock::MockExchange& mock, const IngressClock& wall,
                                     std::string_view method, std::string_view path,
                                     QueryBuilder q) {
  q.add("timestamp", wall.now() / 1'000'000);
  const std::string target = std::string(path) + "?" + q.signed_query("e2e-secret-value");
  net::HttpClientOptions options;
  options.timeout = 2000ms;
  net::HttpClient http(net::parse_http_url(mock.rest_url()).value(), options);
  const net::HttpHeader key[] = {{"X-MBX-APIKEY", "e2e-api-key"}};
  net::HttpRequest request;
  request.method = method;
  request.target = target;
  request.headers = key;
  auto answer = http.request(request);
  EXPECT_TRUE(answer.has_value());
  return answer ? *answer : net::HttpResponse{};
}

}  // namespace be::binance::e2e
